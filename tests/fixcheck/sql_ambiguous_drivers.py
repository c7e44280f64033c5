# fixcheck: family=sql
# fixcheck: rule=python.sql-injection.fstring-query
# fixcheck: benign=["alice"]
# fixcheck: attack=["x' OR '1'='1"]
# fixcheck: attack-worked-if=contains "bob"
# fixcheck: expect=unfixed
# Two drivers with different placeholder styles (psycopg2: %s, sqlite3: ?): the style is unknown,
# so no SQL fix can be verified.
import sqlite3
import sys

try:
    import psycopg2
except ImportError:
    psycopg2 = None


def connect():
    if psycopg2 is not None and len(sys.argv) > 2:
        return psycopg2.connect(sys.argv[2])
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE users (name TEXT)")
    conn.executemany("INSERT INTO users VALUES (?)", [("alice",), ("bob",)])
    return conn


def find(conn, name):
    cur = conn.cursor()
    cur.execute(f"SELECT name FROM users WHERE name = '{name}'")
    return cur.fetchall()


print(find(connect(), sys.argv[1]))
