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


def sorted_names():
    Path("names.txt").write_text("carol\nalice\nbob\n")
    return subprocess.check_output("sort names.txt", shell=True).decode().split()


print(sorted_names())
