# fixcheck: family=sql
# fixcheck: rule=python.sql-injection.percent-formatted-query
# fixcheck: benign=["2"]
# fixcheck: attack=["2 OR 1=1"]
# fixcheck: attack-worked-if=contains "gift"
# fixcheck: expect=fixed
# ruff: noqa: UP031  (the %-formatted query is the vulnerability under test)
# '100%%' is a literal 100% once formatted: the parameterized query must say '100%'.
import sqlite3
import sys


def connect():
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE coupons (id INTEGER, name TEXT, discount TEXT)")
    conn.executemany(
        "INSERT INTO coupons VALUES (?, ?, ?)",
        [(1, "gift", "100%"), (2, "free", "100%"), (3, "half", "50%")],
    )
    return conn


def free_coupon(conn, coupon_id):
    cur = conn.cursor()
    cur.execute("SELECT name FROM coupons WHERE discount = '100%%' AND id = %s" % coupon_id)
    return cur.fetchall()


print(free_coupon(connect(), sys.argv[1]))
