# fixcheck: family=sql
# fixcheck: rule=python.sql-injection.fstring-query
# fixcheck: benign=["price"]
# fixcheck: attack=["(SELECT CASE WHEN (SELECT substr(secret, 1, 1) FROM keys) = 'k' THEN name ELSE price END)"]
# fixcheck: attack-worked-if=contains "('apple', 9), ('banana', 2)"
# fixcheck: expect=unfixed
# A column name in ORDER BY cannot be a parameter (a parameter sorts by a constant).
import sqlite3
import sys


def connect():
    conn = sqlite3.connect(":memory:")
    conn.executescript(
        """
        CREATE TABLE fruit (name TEXT, price INTEGER);
        INSERT INTO fruit VALUES ('cherry', 5), ('apple', 9), ('banana', 2);
        CREATE TABLE keys (secret TEXT);
        INSERT INTO keys VALUES ('k3y');
        """
    )
    return conn


def listing(conn, column):
    cur = conn.cursor()
    cur.execute(f"SELECT name, price FROM fruit ORDER BY {column}")
    return cur.fetchall()


print(listing(connect(), sys.argv[1]))
