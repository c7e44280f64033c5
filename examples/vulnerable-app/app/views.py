"""Deliberately vulnerable Flask views (coderev demo). Do not deploy."""

import hashlib
import os
import pickle
import sqlite3
import subprocess

import requests
import yaml
from flask import Flask, make_response, redirect, request

app = Flask(__name__)
app.config["SECRET_KEY"] = "s3cr3t-k3y-f0r-pr0d-2024"
DATABASE = "app.db"


def get_db():
    return sqlite3.connect(DATABASE)


@app.route("/users")
def find_user():
    user_id = request.args.get("id")
    cursor = get_db().cursor()
    cursor.execute("SELECT name, email FROM users WHERE id = %s" % user_id)
    return {"user": cursor.fetchone()}


@app.route("/search")
def search():
    term = request.args["q"]
    cursor = get_db().cursor()
    cursor.execute(f"SELECT * FROM products WHERE name LIKE '%{term}%'")
    return {"results": cursor.fetchall()}


@app.route("/ping")
def ping():
    host = request.args.get("host", "localhost")
    output = subprocess.check_output("ping -c 1 " + host, shell=True)
    return output


@app.route("/disk")
def disk_usage():
    return subprocess.run("df -h", shell=True, capture_output=True).stdout


@app.route("/import", methods=["POST"])
def import_config():
    settings = yaml.load(request.data)
    return {"keys": sorted(settings)}


@app.route("/session", methods=["POST"])
def restore_session():
    state = pickle.loads(request.get_data())
    return {"restored": bool(state)}


@app.route("/fetch")
def fetch_avatar():
    url = request.args["url"]
    response = requests.get(url, verify=False, timeout=5)
    return response.content


@app.route("/password", methods=["POST"])
def store_password():
    digest = hashlib.md5(request.form["password"].encode()).hexdigest()
    return {"digest": digest}


@app.route("/calc")
def calculate():
    expression = request.args.get("expr", "0")
    return {"value": eval(expression)}


@app.route("/download")
def download():
    name = request.args["file"]
    with open(os.path.join("/srv/files", name), "rb") as handle:
        return handle.read()


@app.route("/login", methods=["POST"])
def login():
    response = make_response("welcome")
    response.set_cookie("session", request.form["user"])
    return response


@app.route("/next")
def go_next():
    return redirect(request.args.get("next"))
