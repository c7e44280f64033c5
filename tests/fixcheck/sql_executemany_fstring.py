# fixcheck: family=sql
# fixcheck: rule=python.sql-injection.fstring-query
# fixcheck: benign=["inbox"]
# fixcheck: attack=["inbox'), ('spam', 'pwned"]
# fixcheck: attack-worked-if=contains "spam"
# fixcheck: expect=any
import sqlite3
import sys


def connect():
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE tags (item TEXT, tag TEXT)")
    return conn


def bulk_tag(conn, tag, items):
    cur = conn.cursor()
    cur.executemany(f"INSERT INTO tags (item, tag) VALUES (?, '{tag}')", [(i,) for i in items])


conn = connect()
bulk_tag(conn, sys.argv[1], ["a", "b"])
print(conn.execute("SELECT item FROM tags ORDER BY item").fetchall())
