# fixcheck: family=sql
# fixcheck: rule=python.sql-injection.percent-formatted-query
# fixcheck: benign=["lima"]
# fixcheck: attack=["x' OR '1'='1"]
# fixcheck: attack-worked-if=contains "oslo"
# fixcheck: expect=fixed
# ruff: noqa: UP031  (the %-formatted query is the vulnerability under test)
import sqlite3
import sys


def connect():
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE offices (city TEXT, phone TEXT)")
    conn.executemany("INSERT INTO offices VALUES (?, ?)", [("oslo", "+47"), ("lima", "+51")])
    return conn


def office(conn, form):
    cur = conn.cursor()
    cur.execute(
        "SELECT city, phone FROM offices WHERE city = '%s'" % form["city"]
    )
    return cur.fetchall()


print(office(connect(), {"city": sys.argv[1]}))
