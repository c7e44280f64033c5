# fixcheck: family=hash
# fixcheck: rule=python.weak-crypto.weak-hash
# fixcheck: benign=["alpha", "beta", "gamma"]
# fixcheck: attack-worked-if=regex "\\b[0-9a-f]{40}\\b"
# fixcheck: fixed-benign=regex "\\b[0-9a-f]{64}\\b"
# fixcheck: expect=fixed
import hashlib
import sys


def manifest_digest(parts):
    h = hashlib.sha1()
    for part in parts:
        h.update(part.encode())
        h.update(b"\0")
    return h.hexdigest()


print("digest", manifest_digest(sys.argv[1:]))
