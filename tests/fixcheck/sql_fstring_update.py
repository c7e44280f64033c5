# fixcheck: family=sql
# fixcheck: rule=python.sql-injection.fstring-query
# fixcheck: benign=["editor", "2"]
# fixcheck: attack=["admin', name = 'pwned", "2"]
# fixcheck: attack-worked-if=contains "pwned"
# fixcheck: expect=fixed
import sqlite3
import sys


def connect():
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE users (id INTEGER, name TEXT, role TEXT)")
    conn.executemany("INSERT INTO users VALUES (?, ?, ?)", [(1, "alice", "admin"), (2, "bob", "user")])
    return conn


def set_role(conn, role, user_id):
    cur = conn.cursor()
    cur.execute(f"UPDATE users SET role = '{role}' WHERE id = {user_id}")
    conn.commit()


conn = connect()
set_role(conn, sys.argv[1], sys.argv[2])
print([row[0] for row in conn.execute("SELECT name FROM users ORDER BY id")])
print(conn.execute("SELECT COUNT(*) FROM users WHERE role = ?", (sys.argv[1],)).fetchone()[0])
