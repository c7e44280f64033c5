// fixcheck: family=hash
// fixcheck: rule=javascript.weak-crypto.weak-hash
// fixcheck: benign=["report.pdf"]
// fixcheck: attack-worked-if=regex "\\b[0-9a-f]{32}\\b"
// fixcheck: fixed-benign=regex "\\b[0-9a-f]{64}\\b"
// fixcheck: expect=fixed
const crypto = require("crypto");

function etag(name) {
  return crypto.createHash("md5").update(name).digest("hex");
}

console.log(`etag ${etag(process.argv[2])}`);
