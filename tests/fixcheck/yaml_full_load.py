# fixcheck: family=property
# fixcheck: rule=python.insecure-deserialization.yaml-unsafe-load
# fixcheck: benign=["colour: blue\n"]
# fixcheck: attack=["colour: !!python/name:builtins.exec\n"]
# fixcheck: attack-worked-if=contains "built-in function exec"
# fixcheck: expect=fixed
import sys

import yaml


def read_settings(text):
    return yaml.full_load(text)


try:
    print(read_settings(sys.argv[1]))
except yaml.YAMLError as exc:
    print("rejected:", type(exc).__name__)
