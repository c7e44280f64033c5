# fixcheck: family=sql
# fixcheck: rule=python.sql-injection.percent-formatted-query
# fixcheck: benign=["7"]
# fixcheck: attack=["7 OR 1=1"]
# fixcheck: attack-worked-if=contains "secret-plan"
# fixcheck: expect=fixed
# ruff: noqa: UP031  (the %-formatted query is the vulnerability under test)
import sqlite3
import sys


def connect():
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE docs (id INTEGER, title TEXT)")
    conn.executemany("INSERT INTO docs VALUES (?, ?)", [(7, "readme"), (8, "secret-plan")])
    return conn


def doc_title(conn, doc_id):
    cur = conn.cursor()
    cur.execute("SELECT title FROM docs WHERE id = %s" % (doc_id))
    return cur.fetchall()


print(doc_title(connect(), sys.argv[1]))
