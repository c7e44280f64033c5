# fixcheck: family=command
# fixcheck: rule=python.command-injection.shell-literal
# fixcheck: attack-worked-if=stderr contains "spawn: /bin/sh"
# fixcheck: expect=fixed
import sys
from subprocess import call


def trace(event, args):
    # Report every process this program starts: a shell shows up as /bin/sh.
    if event == "subprocess.Popen":
        print("spawn:", args[0], file=sys.stderr)


sys.addaudithook(trace)

status = call("printf ready", shell=True)
print()
print("status:", status)
