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

Path("words.txt").write_text("b\na\nb\nc\nb\n")
out = subprocess.run("sort words.txt | uniq -c", shell=True, capture_output=True, text=True, check=True).stdout
print([line.split() for line in out.splitlines()])
