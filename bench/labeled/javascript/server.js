const express = require("express");
const { exec, execFile, spawn } = require("child_process");
const fs = require("fs");
const path = require("path");
const vm = require("vm");
const axios = require("axios");
const mysql = require("mysql2");
const jwt = require("jsonwebtoken");
const _ = require("lodash");
const User = require("./models/user");

const app = express();
app.use(express.json());
const db = mysql.createConnection({ host: "db", user: "app", database: "shop" });

app.get("/products", (req, res) => {
  const category = req.query.category;
  // ruleid: sql-injection
  db.query("SELECT * FROM products WHERE category = '" + category + "'", (err, rows) => res.json(rows));
});

app.get("/products/safe", (req, res) => {
  // ok: placeholder
  db.query("SELECT * FROM products WHERE category = ?", [req.query.category], (err, rows) => res.json(rows));
});

app.get("/orders", async (req, res) => {
  const sql = `SELECT * FROM orders WHERE customer = '${req.query.customer}'`;
  // ruleid: sql-injection, built on an earlier line
  const [rows] = await db.promise().query(sql);
  res.json(rows);
});

app.get("/ping", (req, res) => {
  // ruleid: command-injection
  exec(`ping -c 1 ${req.query.host}`, (err, stdout) => res.send(stdout));
});

app.get("/ping/safe", (req, res) => {
  // ok: argument array without a shell
  execFile("ping", ["-c", "1", req.query.host], (err, stdout) => res.type("text").send(stdout));
});

app.get("/convert", (req, res) => {
  // ruleid: command-injection with shell: true
  const child = spawn("convert", [req.query.input, "out.png"], { shell: true });
  child.on("close", () => res.end());
});

app.get("/calc", (req, res) => {
  // ruleid: code-injection
  const value = eval(req.query.expr);
  res.json({ value });
});

app.post("/rule", (req, res) => {
  // ruleid: code-injection through new Function
  const check = new Function("order", req.body.rule);
  res.json({ ok: check({ total: 10 }) });
});

app.post("/sandbox", (req, res) => {
  // ruleid: code-injection through vm
  const out = vm.runInNewContext(req.body.code, {});
  res.json({ out });
});

app.get("/later", (req, res) => {
  // ruleid: code-injection through a string timer
  setTimeout("notify('" + req.query.user + "')", 1000);
  res.end();
});

app.get("/file", (req, res) => {
  // ruleid: path-traversal
  fs.readFile(path.join(__dirname, "files", req.query.name), (err, data) => res.send(data));
});

app.get("/download", (req, res) => {
  // ruleid: path-traversal
  res.download("/srv/exports/" + req.params.name);
});

app.get("/download/safe", (req, res) => {
  // ok: base name under a root
  res.sendFile(path.basename(req.query.name), { root: "/srv/exports" });
});

app.get("/hello", (req, res) => {
  // ruleid: xss
  res.send("<h1>Hello " + req.query.name + "</h1>");
});

app.get("/hello/json", (req, res) => {
  // ok: JSON response
  res.json({ hello: req.query.name });
});

app.get("/proxy", async (req, res) => {
  // ruleid: ssrf
  const answer = await axios.get(req.query.url);
  res.send(answer.data);
});

app.get("/avatar", async (req, res) => {
  const target = req.query.src;
  // ruleid: ssrf through fetch
  const r = await fetch(target);
  res.type("png").send(Buffer.from(await r.arrayBuffer()));
});

app.get("/proxy/safe", async (req, res) => {
  // ok: fixed host, the request value is only a query parameter
  const answer = await axios.get("https://api.example.com/search", { params: { q: req.query.q } });
  res.json(answer.data);
});

app.get("/out", (req, res) => {
  // ruleid: open-redirect
  res.redirect(req.query.next);
});

app.get("/out/safe", (req, res) => {
  // ok: constant
  res.redirect("/dashboard");
});

app.post("/login", async (req, res) => {
  // ruleid: nosql-injection, the body can hold {"$ne": null}
  const user = await User.findOne({ username: req.body.username, password: req.body.password });
  res.json({ ok: !!user });
});

app.get("/search", async (req, res) => {
  // ruleid: nosql-injection through $where
  const users = await User.find({ $where: "this.name == '" + req.query.name + "'" });
  res.json(users);
});

app.post("/settings", (req, res) => {
  const settings = {};
  // ruleid: prototype-pollution
  _.merge(settings, req.body);
  res.json(settings);
});

app.get("/me", (req, res) => {
  // ruleid: auth-bypass, the token is decoded but never verified
  const claims = jwt.decode(req.headers.authorization.split(" ")[1]);
  res.json({ admin: claims.admin });
});

app.get("/verify", (req, res) => {
  // ruleid: hardcoded-secret signing key
  const claims = jwt.verify(req.cookies.token, "s3cr3t-signing-key");
  res.json(claims);
});

app.get("/verify/safe", (req, res) => {
  // ok: key from the environment, algorithm pinned
  const claims = jwt.verify(req.cookies.token, process.env.JWT_PUBLIC_KEY, { algorithms: ["RS256"] });
  res.json(claims);
});

app.listen(3000);
