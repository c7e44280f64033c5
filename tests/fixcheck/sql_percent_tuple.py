# fixcheck: family=sql
# fixcheck: rule=python.sql-injection.percent-formatted-query
# fixcheck: benign=["bob", "user"]
# fixcheck: attack=["bob", "user' OR '1'='1"]
# fixcheck: attack-worked-if=contains "alice"
# fixcheck: expect=fixed
# ruff: noqa: UP031  (the %-formatted query is the vulnerability under test)
import sqlite3
import sys


def connect():
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE users (name TEXT, role TEXT)")
    conn.executemany("INSERT INTO users VALUES (?, ?)", [("alice", "admin"), ("bob", "user")])
    return conn


def check(conn, name, role):
    cur = conn.cursor()
    cur.execute("SELECT name, role FROM users WHERE name = '%s' AND role = '%s'" % (name, role))
    return cur.fetchall()


print(check(connect(), sys.argv[1], sys.argv[2]))
