# fixcheck: family=sql
# fixcheck: rule=python.sql-injection.percent-formatted-query
# fixcheck: benign=["robert", "2"]
# fixcheck: attack=["robert', role = 'admin", "2"]
# fixcheck: attack-worked-if=contains "admin"
# fixcheck: expect=any
# ruff: noqa: UP031  (the %-formatted query is the vulnerability under test)
import sqlite3
import sys


def connect():
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE app_user (id INTEGER, name TEXT, role TEXT)")
    conn.executemany("INSERT INTO app_user VALUES (?, ?, ?)", [(1, "alice", "staff"), (2, "bob", "guest")])
    return conn


def rename(conn, new_name, pk):
    cursor = conn.cursor()
    cursor.execute(
        "UPDATE app_user SET name = '%(name)s' WHERE id = %(pk)s" % {"name": new_name, "pk": pk}
    )


conn = connect()
rename(conn, sys.argv[1], sys.argv[2])
print(conn.execute("SELECT id, role FROM app_user ORDER BY id").fetchall())
print(conn.execute("SELECT COUNT(*) FROM app_user WHERE name = ?", (sys.argv[1],)).fetchone()[0])
