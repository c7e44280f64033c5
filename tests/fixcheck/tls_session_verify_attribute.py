# fixcheck: family=property
# fixcheck: rule=python.weak-crypto.tls-verify-disabled
# fixcheck: benign=["https://status.example.org/health"]
# fixcheck: attack=["https://mitm.test/health"]
# fixcheck: attack-worked-if=contains "secret-session-data"
# fixcheck: expect=fixed
# No network: a transport adapter plays the server; a forged certificate passes only with verify=False.
import sys

import requests
from requests.adapters import BaseAdapter


class FakeTLSAdapter(BaseAdapter):
    """Stands in for the network: a TLS handshake with a server whose certificate is valid
    (status.example.org) or forged by a man in the middle (anything else). Nothing is sent."""

    def send(self, request, stream=False, timeout=None, verify=True, cert=None, proxies=None):
        forged = "status.example.org" not in request.url
        if verify is not False and forged:
            raise requests.exceptions.SSLError("certificate verify failed")
        response = requests.models.Response()
        response.status_code = 200
        response._content = b"secret-session-data" if forged else b"all systems go"
        response.url = request.url
        response.request = request
        return response

    def close(self):
        pass


def make_client(token):
    session = requests.Session()
    session.verify = False
    session.headers["Authorization"] = f"Bearer {token}"
    session.mount("https://", FakeTLSAdapter())
    return session


try:
    print(make_client("t").get(sys.argv[1], timeout=5).text)
except requests.exceptions.SSLError as exc:
    print("refused:", exc)
