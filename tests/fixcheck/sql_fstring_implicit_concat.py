# fixcheck: family=sql
# fixcheck: rule=python.sql-injection.fstring-query
# fixcheck: benign=["books"]
# fixcheck: attack=["books' OR '1'='1"]
# fixcheck: attack-worked-if=contains "games"
# fixcheck: expect=any
import sqlite3
import sys


def connect():
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE items (name TEXT, shelf TEXT)")
    conn.executemany("INSERT INTO items VALUES (?, ?)", [("dune", "books"), ("chess", "games")])
    return conn


def shelf(conn, name):
    cur = conn.cursor()
    cur.execute(
        "SELECT name, shelf FROM items "
        f"WHERE shelf = '{name}' "
        "ORDER BY name"
    )
    return cur.fetchall()


print(shelf(connect(), sys.argv[1]))
