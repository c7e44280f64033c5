# fixcheck: family=hash
# fixcheck: rule=python.weak-crypto.weak-hash
# fixcheck: benign=["payload"]
# fixcheck: attack-worked-if=regex "\\b[0-9a-f]{40}\\b"
# fixcheck: fixed-benign=regex "\\b[0-9a-f]{64}\\b"
# fixcheck: expect=fixed
import hashlib
import sys

digest = hashlib.new("SHA1")
digest.update(sys.argv[1].encode())
print("sha:", digest.hexdigest())
