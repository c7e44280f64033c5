# fixcheck: family=hash
# fixcheck: rule=python.weak-crypto.weak-hash
# fixcheck: benign=["k1"]
# fixcheck: attack-worked-if=contains "16 bytes"
# fixcheck: fixed-benign=contains "32 bytes"
# fixcheck: expect=fixed
import hashlib
import sys


def cache_key(name):
    raw = hashlib.md5(name.encode()).digest()
    return f"{len(raw)} bytes"


print(cache_key(sys.argv[1]))
