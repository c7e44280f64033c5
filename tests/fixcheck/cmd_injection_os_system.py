# fixcheck: family=command
# fixcheck: rule=python.command-injection.shell-call
# fixcheck: benign=["notes.txt"]
# fixcheck: attack=["notes.txt; echo INJECTED"]
# fixcheck: attack-worked-if=contains "INJECTED"
# fixcheck: expect=any
import os
import sys
from pathlib import Path


def count_bytes(name):
    sys.stdout.flush()
    return os.system("wc -c " + name)


Path("notes.txt").write_text("twelve bytes")
print("exit:", count_bytes(sys.argv[1]))
