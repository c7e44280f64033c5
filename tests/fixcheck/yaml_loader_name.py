# fixcheck: family=property
# fixcheck: rule=python.insecure-deserialization.yaml-unsafe-loader
# fixcheck: benign=["a: 1\n"]
# fixcheck: attack=["!!python/object/apply:builtins.print [INJECTED]"]
# fixcheck: attack-worked-if=contains "INJECTED"
# fixcheck: expect=any
# The loader is imported by name: the rule reports it without a template fix.
import sys

import yaml
from yaml import Loader


def parse(text):
    return yaml.load(text, Loader=Loader)


try:
    print(parse(sys.argv[1]))
except yaml.YAMLError as exc:
    print("rejected:", type(exc).__name__)
