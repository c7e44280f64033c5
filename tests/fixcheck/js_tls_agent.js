// fixcheck: family=property
// fixcheck: rule=javascript.weak-crypto.tls-verify-disabled
// fixcheck: benign=[]
// fixcheck: attack-worked-if=contains "rejectUnauthorized: false"
// fixcheck: fixed-benign=contains "rejectUnauthorized: true"
// fixcheck: expect=fixed
// Only constructs the agent (no connection): it prints the option a TLS socket would be opened with.
const https = require("https");

const agent = new https.Agent({
  keepAlive: true,
  rejectUnauthorized: false,
});

console.log(`keepAlive: ${agent.keepAlive}, rejectUnauthorized: ${agent.options.rejectUnauthorized}`);
