# fixcheck: family=sql
# fixcheck: rule=python.sql-injection.percent-formatted-query
# fixcheck: benign=["sessions", "2024-01-10"]
# fixcheck: attack=["sessions", "2024-01-10' OR '1'='1"]
# fixcheck: attack-worked-if=contains "left: 0"
# fixcheck: expect=unfixed
# ruff: noqa: UP031  (the %-formatted query is the vulnerability under test)
# The table name comes from the caller: the query keeps a pasted identifier.
import sqlite3
import sys


def connect():
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE sessions (id INTEGER, updated TEXT)")
    conn.executemany("INSERT INTO sessions VALUES (?, ?)", [(1, "2024-01-01"), (2, "2024-02-01")])
    return conn


def archive(conn, table, cutoff):
    cursor = conn.cursor()
    cursor.execute("DELETE FROM %s WHERE updated < '%s'" % (table, cutoff))


conn = connect()
archive(conn, sys.argv[1], sys.argv[2])
print("left:", conn.execute("SELECT COUNT(*) FROM sessions").fetchone()[0])
