# fixcheck: family=sql
# fixcheck: rule=python.sql-injection.fstring-query
# fixcheck: benign=["user", "1"]
# fixcheck: attack=["admin' OR 1=1 --", "1"]
# fixcheck: attack-worked-if=contains "alice"
# fixcheck: expect=fixed
import sqlite3
import sys


def connect():
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT, role TEXT)")
    conn.executemany(
        "INSERT INTO users VALUES (?, ?, ?)",
        [(1, "alice", "admin"), (2, "bob", "user"), (3, "carol", "user")],
    )
    return conn


def members(conn, role, min_id):
    cur = conn.cursor()
    cur.execute(f"SELECT name FROM users WHERE role = '{role}' AND id > {min_id} ORDER BY id")
    return cur.fetchall()


print(members(connect(), sys.argv[1], sys.argv[2]))
