// fixcheck: family=hash
// fixcheck: rule=javascript.weak-crypto.weak-hash
// fixcheck: benign=["order=42"]
// fixcheck: attack-worked-if=regex "\\b[0-9a-f]{40}\\b"
// fixcheck: fixed-benign=regex "\\b[0-9a-f]{64}\\b"
// fixcheck: expect=fixed
const { createHmac } = require("node:crypto");

const KEY = "webhook-key";

function sign(payload) {
  return createHmac('sha1', KEY)
    .update(payload)
    .digest("hex");
}

console.log("signature", sign(process.argv[2]));
