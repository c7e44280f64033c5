// fixcheck: family=hash
// fixcheck: rule=javascript.weak-crypto.weak-hash
// fixcheck: benign=["hello"]
// fixcheck: attack-worked-if=regex "\\b[0-9a-f]{40}\\b"
// fixcheck: fixed-benign=regex "\\b[0-9a-f]{64}\\b"
// fixcheck: expect=any
// WebCrypto names its algorithms "SHA-256" (with the hyphen); node's createHash says "sha256".
const { webcrypto } = require("crypto");

async function digestHex(text) {
  const hash = await webcrypto.subtle.digest("SHA-1", new TextEncoder().encode(text));
  return Buffer.from(hash).toString("hex");
}

digestHex(process.argv[2]).then((hex) => console.log("digest", hex));
