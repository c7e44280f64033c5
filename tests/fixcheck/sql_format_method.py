# fixcheck: family=sql
# fixcheck: rule=python.sql-injection.concatenated-query
# fixcheck: benign=["alice"]
# fixcheck: attack=["x' OR '1'='1"]
# fixcheck: attack-worked-if=contains "bob"
# fixcheck: expect=any
# ruff: noqa: UP032  (the .format() query is the vulnerability under test)
import sqlite3
import sys


def connect():
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE users (name TEXT, team TEXT)")
    conn.executemany("INSERT INTO users VALUES (?, ?)", [("alice", "red"), ("bob", "blue")])
    return conn


def team_of(conn, name):
    cur = conn.cursor()
    cur.execute("SELECT name, team FROM users WHERE name = '{}'".format(name))
    return cur.fetchall()


print(team_of(connect(), sys.argv[1]))
