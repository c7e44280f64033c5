// fixcheck: family=property
// fixcheck: rule=javascript.insecure-cookie.insecure-cookie-flags
// fixcheck: benign=["https"]
// fixcheck: attack=["http"]
// fixcheck: attack-worked-if=contains "sid"
// fixcheck: expect=fixed
// An Express-like res.cookie that writes Set-Cookie, and a browser model that drops Secure cookies on http.
const res = {
  headers: [],
  cookie(name, value, options) {
    const parts = [`${name}=${value}`, "Path=/"];
    if (options.secure) parts.push("Secure");
    if (options.httpOnly) parts.push("HttpOnly");
    this.headers.push(parts.join("; "));
  },
};

function login(user) {
  res.cookie("sid", `s-${user}`, { secure: false, httpOnly: true });
}

login("alice");
const channel = process.argv[2];
const sent = res.headers
  .filter((h) => channel === "https" || !h.split("; ").includes("Secure"))
  .map((h) => h.split("=")[0]);
console.log(`${channel}: ${JSON.stringify(sent)}`);
