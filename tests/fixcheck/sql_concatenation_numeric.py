# fixcheck: family=sql
# fixcheck: rule=python.sql-injection.formatted-sql-string
# fixcheck: benign=["1"]
# fixcheck: attack=["1 OR 1=1"]
# fixcheck: attack-worked-if=contains "bob"
# fixcheck: expect=any
import sqlite3
import sys


def connect():
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE users (id INTEGER, name TEXT)")
    conn.executemany("INSERT INTO users VALUES (?, ?)", [(1, "alice"), (2, "bob")])
    return conn


def by_id(conn, user_id):
    query = "SELECT name FROM users WHERE id = " + user_id
    return conn.execute(query).fetchall()


print(by_id(connect(), sys.argv[1]))
