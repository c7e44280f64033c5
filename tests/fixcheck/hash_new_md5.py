# fixcheck: family=hash
# fixcheck: rule=python.weak-crypto.weak-hash
# fixcheck: benign=["certificate-bytes"]
# fixcheck: attack-worked-if=regex "\\b[0-9a-f]{32}\\b"
# fixcheck: fixed-benign=regex "\\b[0-9a-f]{64}\\b"
# fixcheck: expect=fixed
import hashlib
import sys


def fingerprint(cert_der):
    h = hashlib.new("md5", cert_der)
    return h.hexdigest()


print(fingerprint(sys.argv[1].encode()))
