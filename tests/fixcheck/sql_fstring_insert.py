# fixcheck: family=sql
# fixcheck: rule=python.sql-injection.fstring-query
# fixcheck: benign=["bob", "hello there"]
# fixcheck: attack=["bob", "hi'), ('mallory', 'pwned"]
# fixcheck: attack-worked-if=contains "mallory"
# fixcheck: expect=fixed
import sqlite3
import sys


def connect():
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE notes (owner TEXT, body TEXT)")
    return conn


def add_note(conn, owner, body):
    cur = conn.cursor()
    cur.execute(f"INSERT INTO notes (owner, body) VALUES ('{owner}', '{body}')")
    conn.commit()


conn = connect()
add_note(conn, sys.argv[1], sys.argv[2])
print([row[0] for row in conn.execute("SELECT owner FROM notes")])
print(conn.execute("SELECT COUNT(*) FROM notes").fetchone()[0])
