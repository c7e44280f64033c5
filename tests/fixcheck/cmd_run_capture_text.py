# fixcheck: family=command
# fixcheck: rule=python.command-injection.shell-literal
# fixcheck: attack-worked-if=stderr contains "spawn: /bin/sh"
# fixcheck: expect=fixed
import subprocess
import sys
from pathlib import Path


def trace(event, args):
    # Report every process this program starts: a shell shows up as /bin/sh.
    if event == "subprocess.Popen":
        print("spawn:", args[0], file=sys.stderr)


sys.addaudithook(trace)

Path("data.txt").write_text("one\ntwo\nthree\n")
result = subprocess.run("wc -l data.txt", shell=True, capture_output=True, text=True, check=True)
print("lines:", result.stdout.split()[0])
