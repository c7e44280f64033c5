# fixcheck: family=sql
# fixcheck: rule=python.sql-injection.fstring-query
# fixcheck: benign=["products"]
# fixcheck: attack=["products UNION SELECT secret FROM api_keys"]
# fixcheck: attack-worked-if=contains "sk-live"
# fixcheck: expect=unfixed
# A table name cannot be a query parameter: no parameterized fix exists.
import sqlite3
import sys


def connect():
    conn = sqlite3.connect(":memory:")
    conn.executescript(
        """
        CREATE TABLE products (name TEXT);
        INSERT INTO products VALUES ('bolt');
        CREATE TABLE api_keys (secret TEXT);
        INSERT INTO api_keys VALUES ('sk-live-0001');
        """
    )
    return conn


def export(conn, table):
    cur = conn.cursor()
    cur.execute(f"SELECT name FROM {table}")
    return cur.fetchall()


print(export(connect(), sys.argv[1]))
