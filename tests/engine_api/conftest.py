"""Engine API servers for the tests: real ``coderev engine serve`` processes, and the real app
under uvicorn in a thread (for limits and version tables a test sets up)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from coderev.analyzers import Finding
from coderev.engine.runtime.api import EngineConfig, EngineStatus
from coderev.server.engine_api.app import ApiSettings, build_app
from coderev.server.engine_api.guard import ServerState
from coderev.server.engine_api.host import EngineHost

ROOT = Path(__file__).resolve().parents[2]
WAIT = 60.0  # a fresh process loading the rules and the model on a busy machine


def poll(condition: Callable[[], Any], timeout: float = WAIT, what: str = "condition") -> Any:
    """Poll ``condition`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        assert time.monotonic() < deadline, f"{what} not reached within {timeout} s"
        time.sleep(0.02)


def short_dir() -> Path:
    """A directory with a short path: a Unix socket path must fit in 108 bytes."""
    return Path(tempfile.mkdtemp(prefix="crv-", dir="/tmp"))


@dataclass
class Served:
    """A ``coderev engine serve`` process and how to reach it."""

    process: subprocess.Popen[str]
    address: str
    env: dict[str, str]
    socket: Path | None = None

    def client(self, token: str | None = None, **kwargs: Any) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        if self.socket is not None:
            return httpx.Client(base_url="http://engine", headers=headers, timeout=30,
                                transport=httpx.HTTPTransport(uds=str(self.socket)), **kwargs)
        return httpx.Client(base_url=self.address, headers=headers, timeout=30, **kwargs)

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait(10)


def environment(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CODEREV_")}
    env.update(CODEREV_DATA_DIR=str(home / "data"), CODEREV_CACHE_DIR=str(home / "cache"))
    env.pop("XDG_RUNTIME_DIR", None)
    return env


def coderev(*args: str, env: dict[str, str], check: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([sys.executable, "-m", "coderev.server.cli", *args], check=False, env=env,
                          capture_output=True, text=True, timeout=60)
    if check:
        assert done.returncode == 0, done.stderr
    return done


def start(home: Path, *args: str, env: dict[str, str] | None = None) -> Served:
    """Start ``coderev engine serve ARGS`` and read the address it listens on."""
    env = env or environment(home)
    log = (home / "serve.log").open("a")
    process = subprocess.Popen([sys.executable, "-m", "coderev.server.cli", "--log-level", "info", "engine", "serve",
                                *args], env=env,
                               stdout=subprocess.PIPE, stderr=log, text=True)
    log.close()
    assert process.stdout is not None
    line = process.stdout.readline()  # printed once bound, before anything slow; "" if it died
    assert line.startswith("coderev engine: listening on "), (home / "serve.log").read_text()
    address = line.rsplit(" ", 1)[1].strip()
    path = Path(address.removeprefix("unix:")) if address.startswith("unix:") else None
    return Served(process, address, env, path)


def ready(served: Served, mode: str = "ready", token: str | None = None) -> dict[str, Any]:
    with served.client(token) as http:
        def status() -> dict[str, Any] | None:
            body: dict[str, Any] = http.get("/v1/status").json()
            return body if body["engine"]["mode"] == mode else None

        result: dict[str, Any] = poll(status, what=f"engine mode {mode}")
        return result


# -- the app in a thread, with an engine the test controls ---------------------------------------


@dataclass
class FakeEngine:
    """Answers only when the test says so: each fix/review call leaves a future in ``pending``."""

    pending: list[Future[Any]] = field(default_factory=list)
    calls: int = 0

    def start(self) -> None: ...
    def stop(self) -> None:
        for future in self.pending:
            future.cancel()

    def status(self) -> EngineStatus:
        return EngineStatus(mode="ready", production_id="fake-1.0.0", production_version="1.0.0")

    def fix(self, source: str, finding: Finding, **kwargs: Any) -> Future[Any]:
        return self._call()

    def review(self, function: str, **kwargs: Any) -> Future[Any]:
        return self._call()

    def record_feedback(self, slot_id: str, accepted: bool) -> None: ...

    def generate(self, prompts: list[str], max_new_tokens: int) -> Future[Any]:
        return self._call()

    def transition(self, action: str, reason: str) -> Future[Any]:
        return self._call()

    def _call(self) -> Future[Any]:
        future: Future[Any] = Future()
        self.pending.append(future)
        self.calls += 1
        return future


@dataclass
class InThread:
    server: uvicorn.Server
    thread: threading.Thread
    url: str
    state: ServerState
    engine: FakeEngine

    def client(self, **kwargs: Any) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30, **kwargs)


@pytest.fixture
def in_thread(tmp_path: Path) -> Iterator[Callable[[ApiSettings], InThread]]:
    """Start the real app (with a :class:`FakeEngine`) under uvicorn in a thread on 127.0.0.1."""
    started: list[InThread] = []

    def run(settings: ApiSettings) -> InThread:
        engine = FakeEngine()
        host = EngineHost(EngineConfig(enabled=False, store_path=tmp_path / f"slots{len(started)}"),
                          feedback_dir=tmp_path / "feedback", version="test", engine=engine)
        state = ServerState()
        sock = socket.create_server(("127.0.0.1", 0))
        config = uvicorn.Config(build_app(host, settings, state), lifespan="on", log_config=None, access_log=False)
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        poll(lambda: server.started, 30, "uvicorn started")
        served = InThread(server, thread, f"http://127.0.0.1:{sock.getsockname()[1]}", state, engine)
        started.append(served)
        return served

    yield run
    for served in started:
        for future in served.engine.pending:
            future.cancel()
        served.server.should_exit = True
        served.thread.join(30)
