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


def head():
    Path("log.txt").write_text("l1\nl2\nl3\nl4\n")
    subprocess.check_call(
        "head -n 2 log.txt",
        shell=True,
    )


head()
print("done")
