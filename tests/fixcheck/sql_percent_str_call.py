# fixcheck: family=sql
# fixcheck: rule=python.sql-injection.percent-formatted-query
# fixcheck: benign=["3"]
# fixcheck: attack=["3 OR 1=1"]
# fixcheck: attack-worked-if=contains "internal"
# fixcheck: expect=fixed
# ruff: noqa: UP031  (the %-formatted query is the vulnerability under test)
import sqlite3
import sys


def connect():
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE tickets (id INTEGER, summary TEXT)")
    conn.executemany("INSERT INTO tickets VALUES (?, ?)", [(3, "printer jam"), (4, "internal audit")])
    return conn


def ticket(conn, number):
    cur = conn.cursor()
    cur.execute("SELECT summary FROM tickets WHERE id = %s" % str(number).strip())
    return cur.fetchall()


print(ticket(connect(), sys.argv[1]))
