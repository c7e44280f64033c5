# fixcheck: family=sql
# fixcheck: rule=python.sql-injection.fstring-query
# fixcheck: benign=["1", "3"]
# fixcheck: attack=["0) OR (1=1"]
# fixcheck: attack-worked-if=contains "bob"
# fixcheck: expect=any
# IN (...) with a comma-joined list: one placeholder would bind the whole list as one string.
import sqlite3
import sys


def connect():
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE users (id INTEGER, name TEXT)")
    conn.executemany("INSERT INTO users VALUES (?, ?)", [(1, "alice"), (2, "bob"), (3, "carol")])
    return conn


def names(conn, ids):
    cur = conn.cursor()
    cur.execute(f"SELECT name FROM users WHERE id IN ({','.join(ids)}) ORDER BY id")
    return cur.fetchall()


print(names(connect(), sys.argv[1:]))
