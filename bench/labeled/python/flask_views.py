import hashlib
import os
import pickle
import random
import sqlite3
import subprocess
import xml.etree.ElementTree as ET

import ldap
import requests
import yaml
from flask import Flask, Markup, make_response, redirect, render_template_string, request, session
from lxml import etree

app = Flask(__name__)
DB = "app.db"


@app.route("/user")
def user():
    conn = sqlite3.connect(DB)
    uid = request.args.get("id")
    cur = conn.cursor()
    # ruleid: sql-injection
    cur.execute("SELECT * FROM users WHERE id = '%s'" % uid)
    return str(cur.fetchall())


@app.route("/orders")
def orders():
    conn = sqlite3.connect(DB)
    status = request.args["status"]
    query = f"SELECT * FROM orders WHERE status = '{status}'"
    # ruleid: sql-injection, built on an earlier line
    rows = conn.execute(query).fetchall()
    return str(rows)


@app.route("/orders/safe")
def orders_safe():
    conn = sqlite3.connect(DB)
    status = request.args["status"]
    # ok: parameterized
    rows = conn.execute("SELECT * FROM orders WHERE status = ?", (status,)).fetchall()
    return str(rows)


@app.route("/ping")
def ping():
    host = request.args.get("host", "")
    # ruleid: command-injection
    out = subprocess.check_output("ping -c 1 " + host, shell=True)
    return out


@app.route("/ping/list")
def ping_list():
    host = request.args.get("host", "")
    # ok: argument list, no shell
    out = subprocess.check_output(["ping", "-c", "1", host])
    return out


@app.route("/lookup")
def lookup():
    name = request.form.get("name")
    # ruleid: command-injection through os.popen
    return os.popen("nslookup " + name).read()


@app.route("/spawn")
def spawn():
    tool = request.args.get("tool")
    # ruleid: command-injection through os.spawnlp
    os.spawnlp(os.P_WAIT, tool, tool, "--version")
    return "ok"


@app.route("/calc")
def calc():
    expr = request.args.get("expr")
    # ruleid: code-injection
    result = eval(expr)
    return str(result)


@app.route("/load", methods=["POST"])
def load():
    # ruleid: insecure-deserialization
    obj = pickle.loads(request.data)
    return str(obj)


@app.route("/config", methods=["POST"])
def config():
    # ruleid: insecure-deserialization
    cfg = yaml.load(request.data, Loader=yaml.Loader)
    return str(cfg)


@app.route("/config/safe", methods=["POST"])
def config_safe():
    # ok: safe loader
    cfg = yaml.safe_load(request.data)
    return str(cfg)


@app.route("/file")
def read_file():
    name = request.args.get("name")
    # ruleid: path-traversal
    with open(os.path.join("/srv/files", name)) as fh:
        return fh.read()


@app.route("/go")
def go():
    target = request.args.get("next")
    # ruleid: open-redirect
    return redirect(target)


@app.route("/go/home")
def go_home():
    # ok: constant target
    return redirect("/home")


@app.route("/hello")
def hello():
    name = request.args.get("name", "")
    RESPONSE = ""
    RESPONSE += "<p>Hello " + name + "</p>"
    # ruleid: xss, upper-case variable
    return RESPONSE


@app.route("/hello/markup")
def hello_markup():
    name = request.args.get("name", "")
    # ruleid: xss through Markup
    return Markup("<b>" + name + "</b>")


@app.route("/hello/template")
def hello_template():
    name = request.args.get("name", "")
    # ruleid: template-injection
    return render_template_string("<h1>Hello " + name + "</h1>")


@app.route("/hello/template/safe")
def hello_template_safe():
    name = request.args.get("name", "")
    # ok: the value is a template variable
    return render_template_string("<h1>Hello {{ name }}</h1>", name=name)


@app.route("/header")
def header():
    lang = request.args.get("lang", "en")
    resp = make_response("ok")
    # ruleid: header-injection
    resp.headers["Content-Language"] = lang
    return resp


@app.route("/remember")
def remember():
    resp = make_response("ok")
    token = str(random.random())[2:]
    # ruleid: weak-random value in a cookie
    resp.set_cookie("remember_me", token, secure=True, httponly=True)
    return resp


@app.route("/reset")
def reset():
    code = random.randint(100000, 999999)
    # ruleid: weak-random value stored in the session
    session["reset_code"] = code
    return "sent"


@app.route("/login", methods=["POST"])
def login():
    user = request.form["user"]
    # ruleid: trust-boundary
    session["user"] = user
    return "ok"


@app.route("/directory")
def directory():
    uid = request.args.get("uid")
    conn = ldap.initialize("ldap://ldap.internal")
    # ruleid: ldap-injection
    result = conn.search_s("ou=people,dc=example,dc=com", ldap.SCOPE_SUBTREE, "(uid=" + uid + ")")
    return str(result)


@app.route("/employee")
def employee():
    emp = request.args.get("id")
    tree = etree.parse("employees.xml")
    # ruleid: xpath-injection
    found = tree.xpath("//employee[@id='" + emp + "']")
    return str(found)


@app.route("/employee/et")
def employee_et():
    emp = request.args.get("id")
    root = ET.parse("employees.xml").getroot()
    # ruleid: xpath-injection through ElementTree
    found = root.findall(".//employee[@id='" + emp + "']")
    return str(len(found))


@app.route("/fetch")
def fetch():
    url = request.args.get("url")
    # ruleid: ssrf
    return requests.get(url, timeout=5).text


@app.route("/digest")
def digest():
    password = request.form["password"]
    # ruleid: weak-hash for a password
    return hashlib.md5(password.encode()).hexdigest()


@app.route("/digest/safe")
def digest_safe():
    body = request.get_data()
    # ok: sha256 checksum
    return hashlib.sha256(body).hexdigest()
