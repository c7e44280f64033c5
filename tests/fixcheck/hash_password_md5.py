# fixcheck: family=hash
# fixcheck: rule=python.weak-crypto.fast-password-hash
# fixcheck: benign=["alice", "correct horse"]
# fixcheck: attack-worked-if=regex "\\b[0-9a-f]{32}\\b"
# fixcheck: expect=unfixed
# A password needs a slow, salted hash; swapping MD5 for SHA-256 would be no fix, so none is offered.
import hashlib
import sys


def register(username, password):
    digest = hashlib.md5(password.encode()).hexdigest()
    return {"user": username, "hash": digest}


print(register(sys.argv[1], sys.argv[2]))
