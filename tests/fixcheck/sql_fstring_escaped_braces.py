# fixcheck: family=sql
# fixcheck: rule=python.sql-injection.fstring-query
# fixcheck: benign=["1"]
# fixcheck: attack=["1 OR 1=1"]
# fixcheck: attack-worked-if=contains "bob"
# fixcheck: expect=fixed
# {{ }} in an f-string is a literal brace: the parameterized query must keep one brace.
import sqlite3
import sys


def connect():
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE users (id INTEGER, name TEXT)")
    conn.executemany("INSERT INTO users VALUES (?, ?)", [(1, "alice"), (2, "bob")])
    return conn


def badge(conn, user_id):
    cur = conn.cursor()
    cur.execute(f"SELECT '{{' || name || '}}' FROM users WHERE id = {user_id}")
    return cur.fetchall()


print(badge(connect(), sys.argv[1]))
