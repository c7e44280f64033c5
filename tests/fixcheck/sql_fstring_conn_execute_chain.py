# fixcheck: family=sql
# fixcheck: rule=python.sql-injection.fstring-query
# fixcheck: benign=["widgets"]
# fixcheck: attack=["widgets' UNION SELECT secret, 0 FROM api_keys --"]
# fixcheck: attack-worked-if=contains "sk-live"
# fixcheck: expect=fixed
import sqlite3
import sys

conn = sqlite3.connect(":memory:")
conn.executescript(
    """
    CREATE TABLE products (name TEXT, category TEXT, price INTEGER);
    INSERT INTO products VALUES ('bolt', 'widgets', 3), ('nut', 'widgets', 1), ('saw', 'tools', 20);
    CREATE TABLE api_keys (secret TEXT);
    INSERT INTO api_keys VALUES ('sk-live-0001');
    """
)


def by_category(category):
    return conn.execute(f"SELECT name, price FROM products WHERE category = '{category}' ORDER BY name").fetchall()


print(by_category(sys.argv[1]))
