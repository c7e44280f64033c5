# fixcheck: family=sql
# fixcheck: rule=python.sql-injection.fstring-query
# fixcheck: benign=["  Alice "]
# fixcheck: attack=["x' OR 'a'='a"]
# fixcheck: attack-worked-if=contains "bob"
# fixcheck: expect=fixed
import sqlite3
import sys


def connect():
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE users (name TEXT, email TEXT)")
    conn.executemany("INSERT INTO users VALUES (?, ?)", [("alice", "alice@example.org"), ("bob", "bob@example.org")])
    return conn


def email_of(conn, raw_name):
    cur = conn.cursor()
    cur.execute(f"SELECT name, email FROM users WHERE name = '{raw_name.strip().lower()}'")
    return cur.fetchall()


print(email_of(connect(), sys.argv[1]))
