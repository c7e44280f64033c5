"""Team mode: TCP with TLS and bearer tokens, through a real ``coderev engine serve`` process.
Tokens are made and revoked with the real CLI; the server re-reads the token file."""

from __future__ import annotations

import json
import shutil
import ssl
import stat
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from coderev.server.engine_api.tokens import TokenFile
from tests.engine_api.conftest import Served, coderev, environment, short_dir, start

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl for a test certificate")


def _certificate(home: Path) -> tuple[Path, Path]:
    cert, key = home / "cert.pem", home / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True, timeout=60)
    return cert, key


@pytest.fixture(scope="module")
def team() -> Iterator[tuple[Served, dict[str, str], Path]]:
    home = short_dir()
    env = environment(home)
    tokens = {name: coderev("engine", "token", "create", name, "--scope", scope, env=env).stdout.strip()
              for name, scope in (("alice", "user"), ("ops", "admin"), ("bob", "user"))}
    cert, key = _certificate(home)
    served = start(home, "--host", "127.0.0.1", "--port", "0", "--tls-cert", str(cert), "--tls-key", str(key),
                   "--no-model", env=env)
    try:
        yield served, tokens, cert
    finally:
        assert served.stop() == 0


def _get(served: Served, cert: Path, path: str, token: str | None = None, method: str = "GET") -> tuple[int, dict]:
    with served.client(token, verify=ssl.create_default_context(cafile=str(cert))) as http:
        response = http.request(method, path)
    return response.status_code, {**response.json(), "_headers": dict(response.headers)}


def test_tls_and_a_user_token(team: tuple[Served, dict[str, str], Path]) -> None:
    served, tokens, cert = team
    assert served.address.startswith("https://127.0.0.1:")
    status, body = _get(served, cert, "/v1/status", tokens["alice"])
    assert status == 200 and body["server"]["mode"] == "team" and body["server"]["client"] == "alice"
    assert body["engine"]["mode"] == "disabled"


def test_missing_invalid_expired_and_insufficient_tokens(team: tuple[Served, dict[str, str], Path]) -> None:
    served, tokens, cert = team
    cases = {
        "AUTH002": _get(served, cert, "/v1/status"),
        "AUTH003": _get(served, cert, "/v1/status", "crv_not-a-token"),
        "AUTH005": _get(served, cert, "/v1/slots/promote", tokens["alice"], "POST"),
    }
    for code, (status, body) in cases.items():
        assert body["error"]["code"] == code and body["error"]["remedy"], body
        assert status == (403 if code == "AUTH005" else 401)
        if status == 401:
            assert body["_headers"]["www-authenticate"].startswith("Bearer")
    # an admin token passes the scope check; with no V1 there is nothing to promote (409)
    status, body = _get(served, cert, "/v1/slots/promote", tokens["ops"], "POST")
    assert status == 409 and body["error"]["code"] == "SYS002"
    # the OpenAPI document needs no token
    with served.client(verify=ssl.create_default_context(cafile=str(cert))) as http:
        assert http.get("/v1/openapi.json").status_code == 200


def test_an_expired_token_is_refused(team: tuple[Served, dict[str, str], Path]) -> None:
    served, _, cert = team
    secret = TokenFile(Path(served.env["CODEREV_DATA_DIR"]) / "engine" / "tokens.json").create(
        "stale", "admin", expires=time.time() - 1)
    status, body = _get(served, cert, "/v1/status", secret)
    assert status == 401 and body["error"]["code"] == "AUTH004" and "stale" in body["error"]["message"]


def test_tokens_are_stored_hashed_listed_and_revoked(team: tuple[Served, dict[str, str], Path]) -> None:
    served, tokens, cert = team
    path = Path(served.env["CODEREV_DATA_DIR"]) / "engine" / "tokens.json"
    text = path.read_text()
    assert all(secret not in text for secret in tokens.values()), "only digests are stored"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    listed = json.loads(coderev("engine", "token", "list", "--json", env=served.env).stdout)
    assert {"alice", "ops", "bob"} <= {t["name"] for t in listed["tokens"]}
    assert all("sha256" not in t for t in listed["tokens"])
    assert _get(served, cert, "/v1/status", tokens["bob"])[0] == 200
    coderev("engine", "token", "revoke", "bob", env=served.env)
    status, body = _get(served, cert, "/v1/status", tokens["bob"])
    assert status == 401 and body["error"]["code"] == "AUTH003", "a revoked token is refused at once"
    again = coderev("engine", "token", "create", "alice", env=served.env, check=False)
    assert again.returncode == 2 and "SYS002" in again.stderr


def test_coderev_engine_status_with_a_token_file(team: tuple[Served, dict[str, str], Path]) -> None:
    served, tokens, cert = team
    token_file = Path(served.env["CODEREV_DATA_DIR"]) / "alice.token"
    token_file.write_text(tokens["alice"] + "\n")
    env = {**served.env, "SSL_CERT_FILE": str(cert)}
    done = coderev("engine", "status", "--url", served.address, "--token-file", str(token_file), env=env)
    assert "team mode" in done.stdout and "warning" not in done.stderr
    refused = coderev("engine", "status", "--url", served.address, env=env, check=False)
    assert refused.returncode == 1 and "AUTH002" in refused.stderr
