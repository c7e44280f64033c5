# fixcheck: family=sql
# fixcheck: rule=python.sql-injection.fstring-query
# fixcheck: benign=["1", "0"]
# fixcheck: attack=["(SELECT CASE WHEN substr(value, 1, 1) = 'h' THEN 3 ELSE 0 END FROM secrets)", "0"]
# fixcheck: attack-worked-if=contains "again"
# A blind injection: the number of rows tells whether the secret starts with 'h'.
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
    cur.execute(f"SELECT title FROM posts ORDER BY id LIMIT {limit} OFFSET {offset}")
    return [row[0] for row in cur.fetchall()]


try:
    print(page(connect(), sys.argv[1], sys.argv[2]))
except sqlite3.Error as exc:
    print("error:", type(exc).__name__)
