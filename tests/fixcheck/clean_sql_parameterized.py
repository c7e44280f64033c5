# fixcheck: family=sql
# fixcheck: benign=["alice"]
# fixcheck: attack=["x' OR '1'='1"]
# fixcheck: attack-worked-if=contains "bob"
# fixcheck: expect=clean
# The safe shape (a parameterized query): no finding, and the attack does not work. A control.
import sqlite3
import sys


def connect():
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE users (name TEXT)")
    conn.executemany("INSERT INTO users VALUES (?)", [("alice",), ("bob",)])
    return conn


def find(conn, name):
    return conn.execute("SELECT name FROM users WHERE name = ?", (name,)).fetchall()


print(find(connect(), sys.argv[1]))
