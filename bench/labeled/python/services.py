import ftplib
import os
import random
import re
import smtplib
import string
import tempfile

import pandas as pd
import requests
from sqlalchemy import text


def export_prices(engine, region):
    sql = "SELECT sku, price FROM prices WHERE region = '" + region + "'"
    # ruleid: sql-injection through pandas
    return pd.read_sql(sql, engine)


def count_region(session, region):
    # ruleid: sql-injection through SQLAlchemy text()
    return session.execute(text(f"SELECT count(*) FROM prices WHERE region = '{region}'")).scalar()


def count_region_safe(session, region):
    # ok: bound parameter
    return session.execute(text("SELECT count(*) FROM prices WHERE region = :r"), {"r": region}).scalar()


async def find_user(pool, email):
    async with pool.acquire() as conn:
        # ruleid: sql-injection through asyncpg
        return await conn.fetchrow("SELECT * FROM users WHERE email = '%s'" % email)


async def find_user_safe(pool, email):
    async with pool.acquire() as conn:
        # ok: asyncpg placeholder
        return await conn.fetchrow("SELECT * FROM users WHERE email = $1", email)


def make_token(length=32):
    alphabet = string.ascii_letters + string.digits
    # ruleid: weak randomness for a token
    return "".join(random.choice(alphabet) for _ in range(length))


def make_password_reset_code():
    # ruleid: weak randomness for a reset code
    return str(random.getrandbits(64))


def jitter(base_delay):
    # ok: randomness for a retry delay is not a security value
    return base_delay * (1 + random.random() / 10)


def upload_report(path, user, password):
    # ruleid: cleartext-transport (FTP)
    ftp = ftplib.FTP("files.example.com")
    ftp.login(user, password)
    with open(path, "rb") as fh:
        ftp.storbinary("STOR report.csv", fh)


def send_alert(body, password):
    # ruleid: cleartext-transport (SMTP without STARTTLS)
    server = smtplib.SMTP("mail.example.com", 25)
    server.login("alerts", password)
    server.sendmail("alerts@example.com", ["ops@example.com"], body)


def send_alert_tls(body, password):
    server = smtplib.SMTP("mail.example.com", 587)
    server.starttls()
    server.login("alerts", password)
    # ok: STARTTLS before the login
    server.sendmail("alerts@example.com", ["ops@example.com"], body)


def login_api(user, password):
    # ruleid: cleartext-transport (credentials over http)
    return requests.post("http://api.example.com/login", auth=(user, password), timeout=10)


def publish(path):
    # ruleid: world-writable permissions
    os.chmod(path, 0o777)


def publish_safe(path):
    # ok: owner write only
    os.chmod(path, 0o644)


def scratch_file():
    # ruleid: insecure temporary file
    name = tempfile.mktemp(suffix=".csv")
    return open(name, "w")


def valid_email(address):
    # ruleid: redos (nested quantifier)
    return re.match(r"^([a-zA-Z0-9]+\.?)+@example\.com$", address) is not None


def valid_code(code):
    # ok: linear pattern
    return re.fullmatch(r"[A-Z]{3}-\d{4}", code) is not None
