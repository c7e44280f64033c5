# fixcheck: family=hash
# fixcheck: rule=python.weak-crypto.weak-hash
# fixcheck: benign=["body"]
# fixcheck: attack-worked-if=regex "\\b[0-9a-f]{32}\\b"
# fixcheck: fixed-benign=regex "\\b[0-9a-f]{64}\\b"
# fixcheck: expect=unfixed
# md5 imported by name: the rule reports it, but its template only renames hashlib.<algo>.
import sys
from hashlib import md5


def etag(body):
    return md5(body.encode()).hexdigest()


print("etag", etag(sys.argv[1]))
