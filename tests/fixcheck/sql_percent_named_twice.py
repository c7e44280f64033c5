# fixcheck: family=sql
# fixcheck: rule=python.sql-injection.percent-formatted-query
# fixcheck: benign=["ally"]
# fixcheck: attack=["x' OR '1'='1"]
# fixcheck: attack-worked-if=contains "bob"
# fixcheck: expect=fixed
# ruff: noqa: UP031  (the %-formatted query is the vulnerability under test)
import sqlite3
import sys


def connect():
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE users (name TEXT, nickname TEXT)")
    conn.executemany("INSERT INTO users VALUES (?, ?)", [("alice", "ally"), ("bob", "bobby")])
    return conn


def lookup(conn, term):
    cur = conn.cursor()
    cur.execute(
        "SELECT name FROM users WHERE name = '%(t)s' OR nickname = '%(t)s'" % {"t": term}
    )
    return cur.fetchall()


print(lookup(connect(), sys.argv[1]))
