# fixcheck: family=property
# fixcheck: rule=python.insecure-deserialization.yaml-unsafe-loader
# fixcheck: benign=["name: alice\nroles: [admin, dev]\n"]
# fixcheck: attack=["!!python/object/apply:builtins.print [INJECTED]"]
# fixcheck: attack-worked-if=contains "INJECTED"
# fixcheck: expect=fixed
# The payload's worst case is a print: it calls builtins.print, never anything harmful.
import sys

import yaml


def read_config(text):
    return yaml.load(text, Loader=yaml.Loader)


try:
    print(read_config(sys.argv[1]))
except yaml.YAMLError as exc:
    print("rejected:", type(exc).__name__)
