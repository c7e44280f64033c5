"""The same features written safely: coderev reports nothing here."""

import hashlib
import secrets
import sqlite3
import subprocess

import requests
import yaml
from flask import Flask, abort, make_response, redirect, request, url_for

app = Flask(__name__)
DATABASE = "app.db"
ALLOWED_HOSTS = {"example.com", "api.example.com"}


def get_db():
    return sqlite3.connect(DATABASE)


@app.route("/users")
def find_user():
    user_id = request.args.get("id")
    cursor = get_db().cursor()
    cursor.execute("SELECT name, email FROM users WHERE id = ?", (user_id,))
    return {"user": cursor.fetchone()}


@app.route("/ping")
def ping():
    host = request.args.get("host", "localhost")
    if host not in ALLOWED_HOSTS:
        abort(400)
    return subprocess.check_output(["ping", "-c", "1", host])


@app.route("/import", methods=["POST"])
def import_config():
    return {"keys": sorted(yaml.safe_load(request.data))}


@app.route("/fetch")
def fetch_status():
    response = requests.get("https://api.example.com/status", timeout=5)
    return response.content


@app.route("/password", methods=["POST"])
def store_password():
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(request.form["password"].encode(), salt=salt, n=2**14, r=8, p=1)
    return {"digest": digest.hex()}


@app.route("/login", methods=["POST"])
def login():
    response = make_response("welcome")
    response.set_cookie("session", secrets.token_urlsafe(32), secure=True, httponly=True, samesite="Lax")
    return response


@app.route("/next")
def go_next():
    return redirect(url_for("find_user"))
