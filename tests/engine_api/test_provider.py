"""Remote provider slots (coderev/engine/runtime/provider.py) against real OpenAI-compatible servers:
a second real ``coderev engine serve`` (team mode on loopback, its token in the slot's
``token_env``) answering /v1/completions and /v1/chat/completions with the packaged slot. The
remote slot's fixes go through the same verification, its requests count in its SLO figures, a
chat slot as V1 gets shadow traffic, and when the provider dies the breaker opens (rules-only,
PRV005 after PRV009s) and closes again once it is back. Each failure has its PRV code."""

from __future__ import annotations

import http.server
import json
import shutil
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from coderev.engine.model.manifest import read_manifest, write_manifest
from coderev.engine.model.slot import TOKENIZER, default_slot_path
from coderev.engine.runtime.provider import Provider, ProviderWorker
from coderev.engine.slots.store import SlotStore
from tests.engine_api.conftest import Served, coderev, environment, poll, ready, short_dir, start
from tests.engine_api.test_local import BAD, DIGEST, YAML

TOKEN_ENV = "CODEREV_TEST_PROVIDER_TOKEN"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def remote_slot(where: Path, name: str, url: str, api: str) -> Path:
    """A slot that names ``url`` as its provider: the packaged slot's manifest fields and tokenizer."""
    local = read_manifest(default_slot_path())
    where.mkdir(parents=True)
    shutil.copyfile(default_slot_path() / TOKENIZER, where / TOKENIZER)
    fields = {k: v for k, v in local.items() if k not in ("files", "metrics", "training")}
    fields.update(name=name, quantization="remote", provider={
        "kind": "openai", "url": url, "model": "coderev-default", "api": api, "token_env": TOKEN_ENV})
    write_manifest(where, fields)
    return where


@pytest.fixture(scope="module")
def provider() -> Iterator[tuple[Served, str, str]]:
    """Engine A: the packaged slot behind team mode on loopback, and a user token for it."""
    home = short_dir()
    env = environment(home)
    secret = coderev("engine", "token", "create", "engine-b", env=env).stdout.strip()
    port = free_port()
    served = start(home, "--host", "127.0.0.1", "--port", str(port), "--rate-limit", "0", env=env)
    try:
        ready(served, token=secret)
        yield served, secret, f"http://127.0.0.1:{port}/v1"
    finally:
        served.stop()


def asking(home: Path, url: str, secret: str, *args: str) -> Served:
    """Engine B: a remote completions slot (to A) in production, a remote chat slot (to A) as V1."""
    store = SlotStore(home / "slots")
    store.ensure_default()
    store.install(remote_slot(home / "src-v2", "remote-completions", url, "completions"), role="V2")
    store.install(remote_slot(home / "src-v1", "remote-chat", url, "chat"), role="V1")
    env = {**environment(home), TOKEN_ENV: secret}
    return start(home, "--socket", str(home / "b.sock"), "--idle-exit", "0", "--store", str(home / "slots"),
                 "--shadow-sample", "1", *args, env=env)


def test_a_remote_slot_answers_through_the_engines_checks_slo_and_shadow(provider: tuple[Served, str, str]) -> None:
    served_a, secret, url = provider
    engine_b = asking(short_dir(), url, secret)
    try:
        status = ready(engine_b)["engine"]
        assert status["production"].startswith("remote-completions-")
        assert status["device"].startswith("remote 127.0.0.1")
        assert status["experimental"].startswith("remote-chat-")
        with served_a.client(secret) as a, engine_b.client() as b:
            direct = a.post("/v1/fix", json={"source": BAD, "language": "python", "rule_id": YAML, "line": 5}).json()
            remote = b.post("/v1/fix", json={"source": BAD, "language": "python", "rule_id": YAML, "line": 5}).json()
            assert remote["fix"] is not None, remote["reason"]
            assert remote["fix"]["slot_id"] == status["production"] and remote["fix"]["checked"]
            assert remote["fix"]["text"] == direct["fix"]["text"]  # the same model, greedy, same budget
            reviewed = b.post("/v1/review", json={"function": DIGEST, "language": "python"}).json()
            assert reviewed["items"] == a.post("/v1/review", json={"function": DIGEST, "language": "python"}).json()[
                "items"]

            def counted() -> dict[str, Any] | None:
                slo = b.get("/v1/status").json()["engine"]["slo"]
                done = slo.get(status["production"], {}).get("requests", 0) >= 2 and \
                    slo.get(status["experimental"], {}).get("requests", 0) >= 2  # shadowed to the chat slot
                return slo if done else None

            slo = poll(counted, 30, "SLO figures of both remote slots")
            assert slo[status["production"]]["verified_rate"] == 1.0
    finally:
        assert engine_b.stop() == 0


def test_the_breaker_opens_when_the_provider_dies_and_closes_when_it_is_back(
        provider: tuple[Served, str, str]) -> None:
    home = short_dir()
    env = environment(home)
    secret = coderev("engine", "token", "create", "engine-b", env=env).stdout.strip()
    port = free_port()
    url = f"http://127.0.0.1:{port}/v1"
    engine_a = start(home, "--host", "127.0.0.1", "--port", str(port), "--rate-limit", "0", env=env)
    ready(engine_a, token=secret)
    # engine B without a rate limit: the test polls it quickly and its 429s are not the subject
    engine_b = asking(home / "b", url, secret, "--model-timeout-ms", "5000", "--rate-limit", "0")
    try:
        ready(engine_b)
        assert engine_a.stop() == 0
        with engine_b.client() as b:
            def fallback() -> dict[str, Any] | None:
                b.post("/v1/review", json={"function": DIGEST, "language": "python"})
                engine = b.get("/v1/status").json()["engine"]
                return engine if engine["mode"] == "fallback" else None

            engine = poll(fallback, 60, "the breaker open")
            assert engine["breaker"] != "closed" and engine["error"]["code"] == "PRV005"
            refused = b.post("/v1/review", json={"function": DIGEST, "language": "python"})
            assert refused.status_code == 503 and refused.json()["error"]["code"] == "PRV005"
            engine_a = start(home, "--host", "127.0.0.1", "--port", str(port), "--rate-limit", "0", env=env)
            def recovered() -> bool:
                return bool(b.get("/v1/status").json()["engine"]["mode"] == "ready")

            poll(recovered, 90, "recovered")
            answer = b.post("/v1/review", json={"function": DIGEST, "language": "python"})
            assert answer.status_code == 200 and answer.json()["items"], answer.text
    finally:
        engine_b.stop()
        engine_a.stop()


class _Odd(http.server.BaseHTTPRequestHandler):
    """An endpoint that answers 200 with JSON that is no completion, and 401 to /v1/locked."""

    def do_GET(self) -> None:
        self._answer()

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length", 0)))
        self._answer()

    def _answer(self) -> None:
        status = 401 if self.path.startswith("/locked") else 200
        body = json.dumps({"object": "list", "data": [{"id": "m", "object": "model"}]} if self.path.endswith("/models")
                          else {"note": "?"}).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None: ...


@pytest.fixture
def odd() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Odd)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _code(worker: ProviderWorker, timeout_s: float = 10.0) -> str:
    error = worker.submit(["x"], 4, timeout_s=timeout_s).exception(30)
    assert error is not None
    return str(getattr(error, "code", ""))


def test_each_failure_has_its_code(provider: tuple[Served, str, str], odd: str,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    _, secret, url = provider
    monkeypatch.setenv(TOKEN_ENV, secret)
    good = ProviderWorker(Provider(url, "coderev-default", "chat", TOKEN_ENV), slot_id="chat")
    plain = ProviderWorker(Provider(url, "coderev-default", "completions", TOKEN_ENV), slot_id="completions")
    assert good.start()["compute_type"] == "chat coderev-default" and plain.start()
    prompts = ["def f():\n    pass\n", "x = 1\n"]
    assert good.submit(prompts, 8).result(30) == plain.submit(prompts, 8).result(30)  # one model, two shapes
    plain.close()
    assert _code(good, timeout_s=0.0) == "PRV006"
    monkeypatch.setenv(TOKEN_ENV, "crv_not-a-token")
    assert _code(good) == "PRV010"
    assert not good.ping()
    good.close()
    malformed = ProviderWorker(Provider(f"{odd}/v1", "m"), slot_id="odd")
    malformed.start()
    assert _code(malformed) == "PRV011"
    with pytest.raises(Exception) as refused:
        ProviderWorker(Provider(f"{odd}/locked", "m"), slot_id="locked").start()
    assert getattr(refused.value, "code", "") == "PRV010"
    with pytest.raises(Exception) as unreachable:
        ProviderWorker(Provider(f"http://127.0.0.1:{free_port()}/v1", "m"), slot_id="gone").start()
    assert getattr(unreachable.value, "code", "") == "PRV009"
    with pytest.raises(Exception) as bad:
        Provider.from_manifest({"provider": {"kind": "openai", "url": "file:///etc/passwd"}})
    assert getattr(bad.value, "code", "") == "DAT003"
