# fixcheck: family=hash
# fixcheck: rule=python.weak-crypto.weak-hash
# fixcheck: benign=[]
# fixcheck: attack-worked-if=regex "\\b[0-9a-f]{32}\\b"
# fixcheck: fixed-benign=regex "\\b[0-9a-f]{64}\\b"
# fixcheck: expect=fixed
import hashlib
from pathlib import Path


def checksum(path):
    digest = hashlib.md5()
    with Path(path).open("rb") as fh:
        for chunk in iter(lambda: fh.read(4), b""):
            digest.update(chunk)
    return digest.hexdigest()


Path("release.tar").write_bytes(b"0123456789abcdef" * 3)
print("release.tar", checksum("release.tar"))
