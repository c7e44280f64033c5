# fixcheck: family=sql
# fixcheck: rule=python.sql-injection.percent-formatted-query
# fixcheck: benign=["1"]
# fixcheck: attack=["1 OR 1=1"]
# fixcheck: attack-worked-if=contains "bob"
# fixcheck: expect=any
# ruff: noqa: UP031  (the %-formatted query is the vulnerability under test)
import sqlite3
import sys


def connect():
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE users (id INTEGER, name TEXT)")
    conn.executemany("INSERT INTO users VALUES (?, ?)", [(1, "alice"), (2, "bob")])
    return conn


def lookup(conn, user_id):
    cursor = conn.cursor()
    cursor.execute("SELECT name FROM users WHERE id = %(uid)s ORDER BY id" % {"uid": user_id})
    return cursor.fetchall()


print(lookup(connect(), sys.argv[1]))
