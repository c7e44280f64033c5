# fixcheck: family=sql
# fixcheck: rule=python.sql-injection.fstring-query
# fixcheck: benign=["2"]
# fixcheck: attack=["2 OR 1=1"]
# fixcheck: attack-worked-if=contains "alice"
# fixcheck: expect=fixed
import sqlite3
import sys
from dataclasses import dataclass


@dataclass
class Request:
    user_id: str


def connect():
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE orders (id INTEGER, owner_id INTEGER, owner TEXT, item TEXT)")
    conn.executemany(
        "INSERT INTO orders VALUES (?, ?, ?, ?)",
        [(1, 1, "alice", "lamp"), (2, 2, "bob", "desk"), (3, 2, "bob", "chair")],
    )
    return conn


def my_orders(conn, request):
    cur = conn.cursor()
    cur.execute(f"SELECT owner, item FROM orders WHERE owner_id = {request.user_id} ORDER BY id")
    return cur.fetchall()


print(my_orders(connect(), Request(sys.argv[1])))
