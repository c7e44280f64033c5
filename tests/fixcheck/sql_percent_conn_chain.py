# fixcheck: family=sql
# fixcheck: rule=python.sql-injection.percent-formatted-query
# fixcheck: benign=["carol"]
# fixcheck: attack=["nobody' UNION SELECT password FROM credentials --"]
# fixcheck: attack-worked-if=contains "pa55"
# fixcheck: expect=fixed
# ruff: noqa: UP031  (the %-formatted query is the vulnerability under test)
import sqlite3
import sys

db = sqlite3.connect(":memory:")
db.executescript(
    """
    CREATE TABLE profiles (login TEXT, bio TEXT);
    INSERT INTO profiles VALUES ('carol', 'gardener');
    CREATE TABLE credentials (login TEXT, password TEXT);
    INSERT INTO credentials VALUES ('carol', 'pa55');
    """
)


def bio(login):
    row = db.execute("SELECT bio FROM profiles WHERE login = '%s'" % login).fetchone()
    return row[0] if row else None


print(bio(sys.argv[1]))
