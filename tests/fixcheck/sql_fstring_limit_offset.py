# fixcheck: family=sql
# fixcheck: rule=python.sql-injection.fstring-query
# fixcheck: benign=["2", "0"]
# fixcheck: attack=["1 UNION SELECT value FROM secrets", "0"]
# fixcheck: attack-worked-if=contains "hunter2"
# fixcheck: expect=fixed
import sqlite3
import sys


def connect():
    conn = sqlite3.connect(":memory:")
    conn.executescript(
        """
        CREATE TABLE posts (id INTEGER, title TEXT);
        INSERT INTO posts VALUES (1, 'hello'), (2, 'world'), (3, 'again');
        CREATE TABLE secrets (value TEXT);
        INSERT INTO secrets VALUES ('hunter2');
        """
    )
    return conn


def page(conn, limit, offset):
    cur = conn.cursor()
    cur.execute(f"SELECT title FROM (SELECT title FROM posts ORDER BY id LIMIT {limit} OFFSET {offset})")
    return [row[0] for row in cur.fetchall()]


try:
    print(page(connect(), sys.argv[1], sys.argv[2]))
except sqlite3.Error as exc:
    print("error:", type(exc).__name__)
