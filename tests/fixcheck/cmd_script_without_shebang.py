# fixcheck: family=command
# fixcheck: rule=python.command-injection.shell-literal
# fixcheck: attack-worked-if=stderr contains "spawn: /bin/sh"
# fixcheck: expect=any
# A script without a #! line: the shell runs it itself (exec fails with ENOEXEC, sh falls back).
import os
import subprocess
import sys
from pathlib import Path


def trace(event, args):
    # Report every process this program starts: a shell shows up as /bin/sh.
    if event == "subprocess.Popen":
        print("spawn:", args[0], file=sys.stderr)


sys.addaudithook(trace)

Path("build.sh").write_text("echo building\necho built\n")
os.chmod("build.sh", 0o755)
subprocess.run("./build.sh", shell=True, check=True)
