# fixcheck: family=hash
# fixcheck: rule=python.weak-crypto.weak-hash
# fixcheck: benign=["/reports/q1", "1700000000"]
# fixcheck: attack-worked-if=regex "\\b[0-9a-f]{32}\\b"
# fixcheck: fixed-benign=regex "\\b[0-9a-f]{64}\\b"
# fixcheck: expect=fixed
# The "attack" is the weak algorithm itself: an MD5-sized digest in the output.
import hashlib
import sys

URL_SECRET = "s3cr3t"


def sign_url(path, expires):
    token = hashlib.md5(f"{path}:{expires}:{URL_SECRET}".encode()).hexdigest()
    return f"{path}?expires={expires}&token={token}"


print(sign_url(sys.argv[1], sys.argv[2]))
