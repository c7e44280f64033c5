# fixcheck: family=sql
# fixcheck: rule=python.sql-injection.fstring-query
# fixcheck: benign=["tools", "25.5"]
# fixcheck: attack=["tools", "0 OR 1=1"]
# fixcheck: attack-worked-if=contains "bolt"
# fixcheck: expect=fixed
import sqlite3
import sys


def connect():
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE products (name TEXT, category TEXT, price REAL)")
    conn.executemany(
        "INSERT INTO products VALUES (?, ?, ?)",
        [("saw", "tools", 20.0), ("drill", "tools", 80.0), ("bolt", "widgets", 0.5)],
    )
    return conn


def cheap(conn, category, max_price):
    cur = conn.cursor()
    cur.execute(f"SELECT name FROM products WHERE category = '{category}' AND price <= {max_price}")
    return cur.fetchall()


print(cheap(connect(), sys.argv[1], sys.argv[2]))
