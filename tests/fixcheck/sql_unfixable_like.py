# fixcheck: family=sql
# fixcheck: rule=python.sql-injection.fstring-query
# fixcheck: benign=["ell"]
# fixcheck: attack=["zzz' OR '1'='1' --"]
# fixcheck: attack-worked-if=contains "notes"
# fixcheck: expect=unfixed
# The value sits inside a LIKE pattern between wildcards: a plain placeholder would drop them.
import sqlite3
import sys


def connect():
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE blog_post (title TEXT, status TEXT)")
    conn.executemany(
        "INSERT INTO blog_post VALUES (?, ?)",
        [("hello", "published"), ("yellow", "published"), ("notes", "draft")],
    )
    return conn


def search(conn, term):
    cur = conn.cursor()
    cur.execute(f"SELECT title FROM blog_post WHERE status = 'published' AND title LIKE '%{term}%' ORDER BY title")
    return cur.fetchall()


print(search(connect(), sys.argv[1]))
