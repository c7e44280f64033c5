# fixcheck: family=sql
# fixcheck: rule=python.sql-injection.percent-formatted-query
# fixcheck: benign=["eu"]
# fixcheck: attack=["eu' OR '1'='1"]
# fixcheck: attack-worked-if=contains "us-east"
# fixcheck: expect=fixed
# ruff: noqa: UP031  (the %-formatted query is the vulnerability under test)
import sqlite3
import sys

if __name__ == "__main__":
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE servers (name TEXT, region TEXT)")
    conn.executemany("INSERT INTO servers VALUES (?, ?)", [("eu-west", "eu"), ("us-east", "us")])
    cur = conn.cursor()
    cur.execute("SELECT name FROM servers WHERE region = '%s' ORDER BY name" % sys.argv[1])
    print(cur.fetchall())
