# fixcheck: family=sql
# fixcheck: rule=python.sql-injection.percent-formatted-query
# fixcheck: benign=["2024-01-01", "2024-02-01"]
# fixcheck: attack=["2024-01-01", "2024-02-01' OR '1'='1"]
# fixcheck: attack-worked-if=contains "999"
# fixcheck: expect=fixed
# ruff: noqa: UP031  (the %-formatted query is the vulnerability under test)
import sqlite3
import sys
from contextlib import closing


def connect():
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE orders (id INTEGER, total INTEGER, created TEXT)")
    conn.executemany(
        "INSERT INTO orders VALUES (?, ?, ?)",
        [(1, 10, "2024-01-05"), (2, 25, "2024-01-20"), (3, 999, "2024-03-01")],
    )
    return conn


def orders_between(conn, start, end):
    with closing(conn.cursor()) as cur:
        cur.execute(
            "SELECT id, total FROM orders WHERE created >= '%s' AND created < '%s' ORDER BY id"
            % (start, end)
        )
        return cur.fetchall()


print(orders_between(connect(), sys.argv[1], sys.argv[2]))
