# fixcheck: family=sql
# fixcheck: rule=python.sql-injection.fstring-query
# fixcheck: benign=["10"]
# fixcheck: attack=["10 OR customer_id = 20"]
# fixcheck: attack-worked-if=contains "999"
# fixcheck: expect=fixed
import sqlite3
import sys


class InvoiceRepository:
    def __init__(self):
        self.conn = sqlite3.connect(":memory:")
        self.cursor = self.conn.cursor()
        self.cursor.execute("CREATE TABLE invoices (id INTEGER, customer_id INTEGER, amount INTEGER)")
        self.cursor.executemany("INSERT INTO invoices VALUES (?, ?, ?)", [(1, 10, 120), (2, 10, 80), (3, 20, 999)])

    def by_customer(self, customer_id):
        self.cursor.execute(
            f"""
            SELECT id, amount
            FROM invoices
            WHERE customer_id = {customer_id}
            ORDER BY id
            """
        )
        return self.cursor.fetchall()


print(InvoiceRepository().by_customer(sys.argv[1]))
