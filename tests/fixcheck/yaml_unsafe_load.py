# fixcheck: family=property
# fixcheck: rule=python.insecure-deserialization.yaml-unsafe-load
# fixcheck: benign=["- 1\n- 2\n"]
# fixcheck: attack=["!!python/object/apply:builtins.print [INJECTED]"]
# fixcheck: attack-worked-if=contains "INJECTED"
# fixcheck: expect=fixed
import sys

import yaml

try:
    print(yaml.unsafe_load(sys.argv[1]))
except yaml.YAMLError as exc:
    print("rejected:", type(exc).__name__)
