# fixcheck: family=hash
# fixcheck: rule=python.weak-crypto.weak-hash
# fixcheck: benign=["blob"]
# fixcheck: attack-worked-if=regex "\\b[0-9a-f]{40}\\b"
# fixcheck: fixed-benign=regex "\\b[0-9a-f]{64}\\b"
# fixcheck: expect=fixed
import hashlib
import sys


def content_id(data):
    return hashlib.sha1(
        b"blob:" + data,
    ).digest().hex()


print(content_id(sys.argv[1].encode()))
