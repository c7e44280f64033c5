// fixcheck: family=command
// fixcheck: rule=javascript.command-injection.shell-dynamic
// fixcheck: benign=["a.txt"]
// fixcheck: attack=["a.txt; echo INJECTED"]
// fixcheck: attack-worked-if=contains "INJECTED"
// fixcheck: expect=any
const { execSync } = require("child_process");
const fs = require("fs");

fs.writeFileSync("a.txt", "hello");

function size(name) {
  return execSync(`wc -c ${name}`, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
}

try {
  process.stdout.write(size(process.argv[2]));
} catch (err) {
  console.log("failed:", err.status);
}
