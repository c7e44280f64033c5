# fixcheck: family=sql
# fixcheck: rule=python.sql-injection.percent-formatted-query
# fixcheck: benign=["2"]
# fixcheck: attack=["2 OR 1=1"]
# fixcheck: attack-worked-if=contains "alice"
# fixcheck: expect=fixed
# ruff: noqa: UP031  (the %-formatted query is the vulnerability under test)
import sqlite3
import sys


def connect():
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE users (id INTEGER, name TEXT, email TEXT)")
    conn.executemany("INSERT INTO users VALUES (?, ?, ?)", [(1, "alice", "a@x.org"), (2, "bob", "b@x.org")])
    return conn


def show_user(conn, user_id):
    cursor = conn.cursor()
    cursor.execute("SELECT name, email FROM users WHERE id = %s" % user_id)
    return cursor.fetchall()


print(show_user(connect(), sys.argv[1]))
