# fixcheck: family=sql
# fixcheck: rule=python.sql-injection.fstring-query
# fixcheck: benign=["t-100"]
# fixcheck: attack=["x' OR '1'='1"]
# fixcheck: attack-worked-if=contains "remaining: 0"
# fixcheck: expect=fixed
import sqlite3
import sys


def connect():
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE sessions (token TEXT, user TEXT)")
    conn.executemany("INSERT INTO sessions VALUES (?, ?)", [("t-100", "alice"), ("t-200", "bob"), ("t-300", "carol")])
    return conn


def logout(conn, token):
    cur = conn.cursor()
    cur.execute(f"DELETE FROM sessions WHERE token = '{token}'")
    return cur.rowcount


conn = connect()
print("deleted:", logout(conn, sys.argv[1]))
print("remaining:", conn.execute("SELECT COUNT(*) FROM sessions").fetchone()[0])
