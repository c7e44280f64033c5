# fixcheck: family=sql
# fixcheck: rule=python.sql-injection.fstring-query
# fixcheck: benign=["1"]
# fixcheck: attack=["1 OR 1=1"]
# fixcheck: attack-worked-if=contains "bob"
# fixcheck: expect=fixed
import sqlite3
import sys


def connect():
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)")
    conn.executemany("INSERT INTO users VALUES (?, ?)", [(1, "alice"), (2, "bob"), (3, "carol")])
    return conn


def user_by_id(conn, user_id):
    cur = conn.cursor()
    cur.execute(f"SELECT name FROM users WHERE id = {user_id}")
    return [row[0] for row in cur.fetchall()]


print(user_by_id(connect(), sys.argv[1]))
