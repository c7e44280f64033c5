// fixcheck: family=key-size
// fixcheck: rule=javascript.weak-crypto.small-rsa-key
// fixcheck: benign=["hello"]
// fixcheck: attack-worked-if=contains "1024-bit"
// fixcheck: fixed-benign=regex "^signature verified: true\\n(2048|3072|4096)-bit key\\n$"
// fixcheck: expect=fixed
const crypto = require("crypto");

const { publicKey, privateKey } = crypto.generateKeyPairSync("rsa", {
  modulusLength: 1024,
  publicExponent: 0x10001,
});

const data = Buffer.from(process.argv[2]);
const signature = crypto.sign("sha256", data, privateKey);
console.log("signature verified:", crypto.verify("sha256", data, publicKey, signature));
console.log(`${publicKey.asymmetricKeyDetails.modulusLength}-bit key`);
