# fixcheck: family=command
# fixcheck: rule=python.command-injection.shell-literal
# fixcheck: attack-worked-if=stderr contains "spawn: /bin/sh"
# fixcheck: expect=any
# "! cmd" is the shell's negation (a reserved word), not a program named "!".
import subprocess
import sys
from pathlib import Path


def trace(event, args):
    # Report every process this program starts: a shell shows up as /bin/sh.
    if event == "subprocess.Popen":
        print("spawn:", args[0], file=sys.stderr)


sys.addaudithook(trace)

Path("app.log").write_text("INFO start\nWARN slow\n")
subprocess.run("! grep -q FATAL app.log", shell=True, check=True)
print("no fatal errors")
