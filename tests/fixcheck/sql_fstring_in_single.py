# fixcheck: family=sql
# fixcheck: rule=python.sql-injection.fstring-query
# fixcheck: benign=["3"]
# fixcheck: attack=["3) OR (1=1"]
# fixcheck: attack-worked-if=contains "root"
# fixcheck: expect=unfixed
# A variable inside IN (...) may hold a pasted list ("1,3"), which one parameter cannot stand for:
# no verified fix (sql_fstring_in_joined_list.py is the list case).
import sqlite3
import sys


def connect():
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE accounts (id INTEGER, login TEXT)")
    conn.executemany("INSERT INTO accounts VALUES (?, ?)", [(1, "root"), (3, "guest")])
    return conn


def logins(conn, account_id):
    cur = conn.cursor()
    cur.execute(f"SELECT login FROM accounts WHERE id IN ({account_id})")
    return cur.fetchall()


print(logins(connect(), sys.argv[1]))
