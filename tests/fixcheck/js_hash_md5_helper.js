// fixcheck: family=hash
// fixcheck: rule=javascript.weak-crypto.weak-hash
// fixcheck: benign=["avatar.png"]
// fixcheck: attack-worked-if=regex "\\b[0-9a-f]{32}\\b"
// fixcheck: fixed-benign=regex "\\b[0-9a-f]{64}\\b"
// fixcheck: expect=any
// md5() is a helper (as the npm md5 package gives): the call names the algorithm, no string to swap.
const crypto = require("crypto");

const ALGORITHM = ["md", "5"].join("");

function digestWith(algorithm, text) {
  return crypto.createHash(algorithm).update(text).digest("hex");
}

const md5 = (text) => digestWith(ALGORITHM, text);

console.log("cache key", md5(process.argv[2]));
