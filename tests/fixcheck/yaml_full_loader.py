# fixcheck: family=property
# fixcheck: rule=python.insecure-deserialization.yaml-unsafe-loader
# fixcheck: benign=["retries: 3\n"]
# fixcheck: attack=["hook: !!python/name:os.system\n"]
# fixcheck: attack-worked-if=contains "built-in function system"
# fixcheck: expect=fixed
# FullLoader still resolves python/name tags to live objects (here os.system; it is not called).
import sys

import yaml


def settings(text):
    return yaml.load(text, Loader=yaml.FullLoader)


try:
    print(settings(sys.argv[1]))
except yaml.YAMLError as exc:
    print("rejected:", type(exc).__name__)
