# fixcheck: family=property
# fixcheck: rule=python.insecure-deserialization.yaml-unsafe-loader
# fixcheck: benign=["stage: build\n---\nstage: test\n"]
# fixcheck: attack=["stage: build\n---\n!!python/object/apply:builtins.print [INJECTED]\n"]
# fixcheck: attack-worked-if=contains "INJECTED"
# fixcheck: expect=fixed
import sys

import yaml


def import_pipeline(data):
    docs = list(yaml.load_all(data, yaml.UnsafeLoader))
    return {"stages": len(docs), "first": docs[0]}


try:
    print(import_pipeline(sys.argv[1]))
except yaml.YAMLError as exc:
    print("rejected:", type(exc).__name__)
