"""Observability tests: one real ``coderev engine serve`` (team mode on 127.0.0.1, a free port, the
shipped model) shared by the module's tests, Debian's Prometheus and promtool, headless Chromium.

Prometheus and promtool are installed by deploy/scripts/install-test-deps.sh when missing (as
``make test`` does); a test skips, saying why, only when there is no apt-get to install them with.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.engine_api.conftest import ROOT, Served, coderev, environment, ready, short_dir

YAML_RULE = "python.insecure-deserialization.yaml-load"
BAD = "import yaml\n\n\ndef load_config(stream):\n    return yaml.load(stream)\n"
FIX = {"source": BAD, "language": "python", "rule_id": YAML_RULE, "line": 5}


def tool(name: str) -> str:
    """The path of ``name`` (prometheus, promtool), installing Debian's package when it is missing."""
    found = shutil.which(name)
    if found is None:
        if shutil.which("apt-get") is None:
            pytest.skip(f"{name} is not installed and there is no apt-get to install Debian's prometheus package "
                        "(install Prometheus 2.x by hand to run this test)")
        done = subprocess.run(["bash", str(ROOT / "deploy" / "scripts" / "install-test-deps.sh")],
                              capture_output=True, text=True, timeout=600, check=False)
        assert done.returncode == 0, done.stderr
        found = shutil.which(name)
    assert found is not None, f"{name} is still missing after deploy/scripts/install-test-deps.sh"
    return found


@dataclass
class Engine:
    served: Served
    home: Path
    admin_token: str
    user_token: str
    latency_file: Path

    @property
    def port(self) -> int:
        return int(self.served.address.rsplit(":", 1)[1])

    def client(self, token: str | None = None) -> httpx.Client:
        return self.served.client(token or self.admin_token)

    def scrape(self) -> str:
        with self.client() as http:
            response = http.get("/metrics")
            assert response.status_code == 200, response.text
            return response.text

    def log_lines(self) -> list[dict[str, Any]]:
        lines = (self.home / "serve.log").read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines if line.startswith("{")]


@pytest.fixture(scope="session")
def engine() -> Iterator[Engine]:
    home = short_dir()
    env = environment(home)
    admin = coderev("engine", "token", "create", "ops", "--scope", "admin", env=env).stdout.strip()
    user = coderev("engine", "token", "create", "editor", env=env).stdout.strip()
    latency = home / "inject-latency-ms"
    served = _start(home, env, latency)
    try:
        ready(served, token=admin)
        yield Engine(served, home, admin, user, latency)
    finally:
        assert served.stop() == 0


def _start(home: Path, env: dict[str, str], latency: Path) -> Served:
    """``coderev engine serve`` on a free port of 127.0.0.1, JSON log lines in ``home/serve.log``."""
    process = subprocess.Popen([sys.executable, "-m", "coderev.server.cli", "--log-level", "info", "--log-file",
                                str(home / "serve.log"), "engine", "serve", "--host", "127.0.0.1", "--port", "0",
                                "--inject-latency-file", str(latency), "--rate-limit", "0"],
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert process.stdout is not None
    line = process.stdout.readline()
    assert line.startswith("coderev engine: listening on "), line
    return Served(process, line.rsplit(" ", 1)[1].strip(), env)


def exercise(engine: Engine) -> None:
    """One request of each kind, so that every metric family has samples."""
    with engine.client() as http:
        assert http.post("/v1/fix", json=FIX).status_code == 200
        assert http.post("/v1/review", json={"function": BAD.split("\n\n\n")[1], "language": "python"}
                         ).status_code == 200
        for kind in ("accept", "dismiss"):
            assert http.post("/v1/feedback", json={"kind": kind, "rule_id": YAML_RULE, "fingerprint": "f" * 16,
                                                   "origin": "rule"}).status_code == 201
        assert http.post("/v1/fix", json={**FIX, "language": "cobol"}).status_code == 400
    with engine.client(engine.user_token) as http:
        assert http.post("/v1/slots/demote", json={}).status_code == 403
