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

Path("motd.txt").write_text("welcome\n")
proc = subprocess.Popen("cat motd.txt", shell=True, stdout=subprocess.PIPE, text=True)
out, _ = proc.communicate()
print("motd:", out.strip(), proc.returncode)
