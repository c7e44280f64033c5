# fixcheck: family=command
# fixcheck: rule=python.command-injection.subprocess-shell
# fixcheck: benign=["a.txt"]
# fixcheck: attack=["a.txt; echo INJECTED"]
# fixcheck: attack-worked-if=contains "INJECTED"
# fixcheck: expect=any
# ruff: noqa: PLW1510  (the exit status is not the point here)
import subprocess
import sys
from pathlib import Path


def listing(pattern):
    result = subprocess.run(f"ls -1 {pattern}", shell=True, capture_output=True, text=True)
    return result.stdout.split()


Path("a.txt").write_text("a")
print(listing(sys.argv[1]))
