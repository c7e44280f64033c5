// fixcheck: family=command
// fixcheck: benign=["a.txt"]
// fixcheck: attack=["a.txt; echo INJECTED"]
// fixcheck: attack-worked-if=contains "INJECTED"
// fixcheck: expect=clean
// The safe shape (execFile with an argument list): no finding, and the attack does not work. A control.
const { execFileSync } = require("child_process");
const fs = require("fs");

fs.writeFileSync("a.txt", "hello");
try {
  process.stdout.write(execFileSync("wc", ["-c", process.argv[2]], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }));
} catch (err) {
  console.log("failed:", err.status);
}
