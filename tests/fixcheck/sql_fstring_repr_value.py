# fixcheck: family=sql
# fixcheck: rule=python.sql-injection.fstring-query
# fixcheck: benign=["alice"]
# fixcheck: attack=["a\" ' OR 1=1 --"]
# fixcheck: attack-worked-if=contains "bob"
# fixcheck: expect=any
import sqlite3
import sys


def connect():
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE users (name TEXT, plan TEXT)")
    conn.executemany("INSERT INTO users VALUES (?, ?)", [("alice", "pro"), ("bob", "free")])
    return conn


def plan_of(conn, name):
    cur = conn.cursor()
    cur.execute(f"SELECT name, plan FROM users WHERE name = {name!r}")
    return cur.fetchall()


print(plan_of(connect(), sys.argv[1]))
