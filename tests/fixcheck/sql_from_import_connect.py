# fixcheck: family=sql
# fixcheck: rule=python.sql-injection.fstring-query
# fixcheck: benign=["42"]
# fixcheck: attack=["0 UNION SELECT token FROM tokens"]
# fixcheck: attack-worked-if=contains "tok-"
# fixcheck: expect=fixed
import sys
from sqlite3 import connect


def open_db():
    conn = connect(":memory:")
    conn.executescript(
        """
        CREATE TABLE parcels (id INTEGER, status TEXT);
        INSERT INTO parcels VALUES (42, 'shipped');
        CREATE TABLE tokens (token TEXT);
        INSERT INTO tokens VALUES ('tok-9f8e');
        """
    )
    return conn


def status(conn, parcel_id):
    cur = conn.cursor()
    cur.execute(f"SELECT status FROM parcels WHERE id = {parcel_id}")
    return [row[0] for row in cur.fetchall()]


print(status(open_db(), sys.argv[1]))
