# fixcheck: family=sql
# fixcheck: rule=python.sql-injection.fstring-query
# fixcheck: benign=["alice"]
# fixcheck: attack=["nobody' OR '1'='1"]
# fixcheck: attack-worked-if=contains "bob"
# fixcheck: expect=fixed
import sqlite3
import sys


def connect():
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT, role TEXT)")
    conn.executemany("INSERT INTO users VALUES (?, ?, ?)", [(1, "alice", "admin"), (2, "bob", "user")])
    return conn


def find_user(conn, name):
    cur = conn.cursor()
    cur.execute(f"SELECT id, name, role FROM users WHERE name = '{name}'")
    return cur.fetchall()


print(find_user(connect(), sys.argv[1]))
