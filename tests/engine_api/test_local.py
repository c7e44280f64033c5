"""``coderev engine serve`` in local mode: a real process on a real Unix socket, the packaged model
slot answering /v1/fix and /v1/review, versions, body limits, the OpenAPI document, feedback."""

from __future__ import annotations

import json
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from coderev.analyzers import Analyzer, Document, get_language
from coderev.engine.feedback import FeedbackStore
from coderev.server.engine_api.compat import completion_routes
from coderev.server.engine_api.openapi import OPERATIONS
from coderev.server.engine_api.routes import Context, routes
from tests.engine_api.conftest import ROOT, Served, coderev, ready, short_dir, start

YAML = "python.insecure-deserialization.yaml-load"
BAD = "import yaml\n\n\ndef load_config(stream):\n    return yaml.load(stream)\n"
DIGEST = "def token_digest(token):\n    return hashlib.md5(token).hexdigest()\n"
MAX_BODY = 64 * 1024


@pytest.fixture(scope="module")
def local() -> Iterator[Served]:
    home = short_dir()
    served = start(home, "--socket", str(home / "run" / "e.sock"), "--idle-exit", "0",
                   "--max-body-bytes", str(MAX_BODY))
    try:
        ready(served)
        yield served
    finally:
        assert served.stop() == 0


def test_the_socket_is_the_users_alone(local: Served) -> None:
    assert local.socket is not None
    assert stat.S_ISSOCK(local.socket.stat().st_mode)
    assert stat.S_IMODE(local.socket.stat().st_mode) == 0o600
    assert stat.S_IMODE(local.socket.parent.stat().st_mode) == 0o700


def test_a_fix_round_trip_with_the_packaged_slot(local: Served) -> None:
    with local.client() as http:
        response = http.post("/v1/fix", json={"source": BAD, "language": "python", "rule_id": YAML, "line": 5,
                                              "path": "app/config.py"})
    assert response.status_code == 200, response.text
    assert response.headers["coderev-api-version"] == "1"
    body = response.json()
    finding = body["finding"]  # as `coderev scan --format json` writes it
    assert finding["rule_id"] == YAML and finding["path"] == "app/config.py"
    assert finding["start"] == {"line": 5, "column": 12} and finding["cwe"] == ["CWE-502"]
    expected = Analyzer().analyze(Document(BAD, get_language("python")))[0]
    assert finding["fingerprint"] == expected.fingerprint
    fix = body["fix"]
    assert fix is not None, body["reason"]
    assert "yaml.safe_load(stream)" in fix["text"] and "yaml.load(" not in fix["text"]
    assert fix["start"] == {"line": 4, "column": 1} and fix["end"] == {"line": 5, "column": 29}
    assert fix["checked"] and fix["slot_id"].startswith("coderev-default")
    lines = BAD.split("\n")
    fixed = "\n".join([*lines[:3], fix["text"], *lines[5:]])
    assert not [f for f in Analyzer().analyze(Document(fixed, get_language("python"))) if f.rule_id == YAML]


def test_a_review_round_trip_with_the_packaged_slot(local: Served) -> None:
    with local.client() as http:
        response = http.post("/v1/review", json={"function": DIGEST, "language": "python"})
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    assert {"line": 2, "cwe": 327, "message": "weak-crypto"} in items, "the shipped model points at the md5 call"


def test_a_finding_the_rules_do_not_see_is_refused(local: Served) -> None:
    with local.client() as http:
        response = http.post("/v1/fix", json={"source": BAD, "language": "python", "rule_id": YAML, "line": 1})
        malformed = http.post("/v1/fix", json={"source": BAD, "language": "cobol", "rule_id": YAML, "line": 5})
        not_json = http.post("/v1/review", content=b"{", headers={"content-type": "application/json"})
    assert response.status_code == 422 and response.json()["error"]["code"] == "SYS011"
    assert malformed.status_code == 400 and "language" in malformed.json()["error"]["message"]
    assert not_json.status_code == 400 and not_json.json()["error"]["code"] == "SYS011"
    assert "Traceback" not in response.text + malformed.text + not_json.text


def test_the_version_comes_from_the_path_or_the_header(local: Served) -> None:
    with local.client() as http:
        by_header = http.get("/status", headers={"Coderev-Api-Version": "1"})
        both = http.get("/v1/status", headers={"Coderev-Api-Version": "1"})
        disagree = http.get("/v1/status", headers={"Coderev-Api-Version": "2"})
        unknown_path = http.get("/v9/status")
        unknown_header = http.get("/status", headers={"Coderev-Api-Version": "7"})
        neither = http.get("/status")
        no_route = http.delete("/v1/status")
    assert by_header.status_code == both.status_code == 200
    assert by_header.json()["api"] == {"version": "1", "versions": {"1": "current"}, "coderev": both.json()["api"][
        "coderev"]}
    assert "deprecation" not in both.headers
    for refused, code, status in ((disagree, "SYS007", 400), (unknown_path, "SYS007", 404),
                                  (unknown_header, "SYS007", 400), (neither, "SYS011", 404),
                                  (no_route, "SYS011", 405)):
        assert refused.status_code == status, refused.text
        error = refused.json()["error"]
        assert error["code"] == code and error["remedy"] and error["message"]


def test_a_body_over_the_cap_is_refused_declared_or_streamed(local: Served) -> None:
    big = json.dumps({"function": "x" * MAX_BODY, "language": "python"}).encode()

    def chunks() -> Iterator[bytes]:
        for offset in range(0, len(big), 4096):
            yield big[offset:offset + 4096]

    with local.client() as http:
        declared = http.post("/v1/review", content=big, headers={"content-type": "application/json"})
        streamed = http.post("/v1/review", content=chunks(), headers={"content-type": "application/json"})
        fine = http.get("/v1/status")
    for refused in (declared, streamed):
        assert refused.status_code == 413 and refused.json()["error"]["code"] == "SYS010"
    assert fine.status_code == 200


def test_the_served_openapi_document_is_the_checked_in_one(local: Served) -> None:
    with local.client() as http:
        served = http.get("/v1/openapi.json")
    assert served.status_code == 200
    assert served.content == (ROOT / "docs" / "openapi" / "engine-v1.json").read_bytes(), \
        "regenerate it: coderev engine openapi > docs/openapi/engine-v1.json (make docs)"
    document = served.json()
    assert document["openapi"].startswith("3.1") and "/v1/fix" in document["paths"]


def test_every_route_is_documented() -> None:
    context = Context.__new__(Context)  # the route table only: no route runs
    table = routes(context) + completion_routes(context)
    served = {(method.lower(), route.path) for route in table for method in route.methods or () if method != "HEAD"}
    assert served == {(op.method, op.path) for op in OPERATIONS}


def test_slots_history_and_feedback(local: Served) -> None:
    with local.client() as http:
        slots = http.get("/v1/slots").json()
        history = http.get("/v1/slots/history").json()
        recorded = http.post("/v1/feedback", json={"kind": "dismiss", "rule_id": YAML, "fingerprint": "abc123",
                                                   "language": "python", "path": "app/config.py"})
    assert [s["role"] for s in slots["slots"]] == ["V2"]
    assert history["transitions"][0]["reason"] == "bootstrap"
    assert recorded.status_code == 201
    store = FeedbackStore(Path(local.env["CODEREV_CACHE_DIR"]) / "feedback" / "engine-api")
    try:
        assert "abc123" in store.dismissed_fingerprints()
    finally:
        store.close()


def test_coderev_engine_status_over_the_socket(local: Served) -> None:
    assert local.socket is not None
    done = coderev("engine", "status", "--socket", str(local.socket), env=local.env)
    assert "ready" in done.stdout and "coderev-default" in done.stdout and "local mode" in done.stdout
    assert "warning" not in done.stderr
    as_json = json.loads(coderev("engine", "status", "--socket", str(local.socket), "--json", env=local.env).stdout)
    assert as_json["engine"]["mode"] == "ready"


def test_no_engine_at_the_socket_is_a_clear_failure(local: Served) -> None:
    done = coderev("engine", "status", "--socket", str(short_dir() / "none.sock"), env=local.env, check=False)
    assert done.returncode == 1 and "coderev engine serve" in done.stderr
