# fixcheck: family=command
# fixcheck: rule=python.command-injection.shell-literal
# fixcheck: attack-worked-if=stderr contains "spawn: /bin/sh"
# fixcheck: expect=fixed
# ruff: noqa: PLW1510  (a failing grep is expected: check=False on purpose)
import subprocess
import sys


def trace(event, args):
    # Report every process this program starts: a shell shows up as /bin/sh.
    if event == "subprocess.Popen":
        print("spawn:", args[0], file=sys.stderr)


sys.addaudithook(trace)

result = subprocess.run("grep -c needle missing.txt", shell=True, capture_output=True, text=True)
print("found nothing" if result.returncode != 0 else result.stdout)
