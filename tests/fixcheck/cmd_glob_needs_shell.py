# fixcheck: family=command
# fixcheck: rule=python.command-injection.shell-literal
# fixcheck: attack-worked-if=stderr contains "spawn: /bin/sh"
# fixcheck: expect=unfixed
import subprocess
import sys
from pathlib import Path


def trace(event, args):
    # Report every process this program starts: a shell shows up as /bin/sh.
    if event == "subprocess.Popen":
        print("spawn:", args[0], file=sys.stderr)


sys.addaudithook(trace)

Path("x.txt").write_text("12345")
Path("y.txt").write_text("123")
subprocess.run("wc -c *.txt", shell=True, check=True)
