# fixcheck: family=sql
# fixcheck: rule=python.sql-injection.percent-formatted-query
# fixcheck: benign=["bob"]
# fixcheck: attack=["' OR '1'='1"]
# fixcheck: attack-worked-if=contains "alice"
# fixcheck: expect=fixed
# ruff: noqa: UP031  (the %-formatted query is the vulnerability under test)
import sqlite3
import sys


def connect():
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE people (last_name TEXT, city TEXT)")
    conn.executemany("INSERT INTO people VALUES (?, ?)", [("alice", "Oslo"), ("bob", "Lima")])
    return conn


def find_by_name(conn, name):
    cursor = conn.cursor()
    cursor.execute("SELECT last_name, city FROM people WHERE last_name = '%s'" % name)
    return cursor.fetchall()


print(find_by_name(connect(), sys.argv[1]))
