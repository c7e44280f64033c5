"""End to end with a real Prometheus (Debian's package) scraping the real engine under load: the
metrics arrive, an injected latency (``--inject-latency-file``) fires CoderevLatencySloBreached,
and the alert resolves once the latency is gone.

The rules are deploy/prometheus/alerts.yml with the time scales shrunk (``for`` 1 s, rate windows
10 s) so the test stays well under a minute; scrape and evaluation run every second. Every wait
polls Prometheus' HTTP API with a deadline.
"""

from __future__ import annotations

import re
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.engine_api.conftest import poll, short_dir
from tests.observability.conftest import FIX, Engine, tool
from tests.observability.test_metrics import ALERTS

pytestmark = pytest.mark.slow
ALERT = "CoderevLatencySloBreached"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def fast_rules(text: str) -> str:
    text = re.sub(r"for: \d+m", "for: 1s", text)
    return re.sub(r"\[\d+[mh]\]", "[10s]", text)


@pytest.fixture
def prometheus(engine: Engine) -> Iterator[httpx.Client]:
    home = short_dir()
    (home / "token").write_text(engine.admin_token)
    (home / "alerts.yml").write_text(fast_rules(ALERTS.read_text(encoding="utf-8")))
    (home / "prometheus.yml").write_text(f"""
global: {{scrape_interval: 1s, evaluation_interval: 1s}}
rule_files: [alerts.yml]
scrape_configs:
  - job_name: coderev-engine
    authorization: {{type: Bearer, credentials_file: {home / "token"}}}
    static_configs: [{{targets: ["127.0.0.1:{engine.port}"]}}]
""")
    port = free_port()
    log = (home / "prometheus.log").open("w")
    process = subprocess.Popen([tool("prometheus"), f"--config.file={home / 'prometheus.yml'}",
                                f"--storage.tsdb.path={home / 'data'}", f"--web.listen-address=127.0.0.1:{port}"],
                               stdout=log, stderr=log)
    log.close()
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as http:
            poll(lambda: _ok(http, "/-/ready"), 30, "Prometheus ready")
            yield http
    finally:
        process.terminate()
        process.wait(30)


def _ok(http: httpx.Client, path: str) -> bool:
    try:
        return http.get(path).status_code == 200
    except httpx.HTTPError:
        return False


def query(http: httpx.Client, promql: str) -> list[dict[str, Any]]:
    body = http.get("/api/v1/query", params={"query": promql}).json()
    assert body["status"] == "success", body
    result: list[dict[str, Any]] = body["data"]["result"]
    return result


def alert_state(http: httpx.Client) -> str | None:
    alerts = http.get("/api/v1/alerts").json()["data"]["alerts"]
    states = [a["state"] for a in alerts if a["labels"]["alertname"] == ALERT]
    return states[0] if states else None


class Load:
    """Threads sending /v1/fix until stopped."""

    def __init__(self, engine: Engine, threads: int = 3) -> None:
        self.engine, self.stop, self.sent = engine, threading.Event(), 0
        self.threads = [threading.Thread(target=self._run, daemon=True) for _ in range(threads)]

    def _run(self) -> None:
        with self.engine.client() as http:
            while not self.stop.is_set():
                assert http.post("/v1/fix", json=FIX).status_code == 200
                self.sent += 1

    def __enter__(self) -> Load:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(30)


def test_prometheus_scrapes_and_the_latency_alert_fires_and_resolves(engine: Engine, prometheus: httpx.Client
                                                                      ) -> None:
    started = time.monotonic()
    latency: Path = engine.latency_file
    with Load(engine):
        up = poll(lambda: query(prometheus, 'up{job="coderev-engine"} == 1'), 30, "the engine scraped")
        assert up[0]["metric"]["instance"] == f"127.0.0.1:{engine.port}"
        poll(lambda: query(prometheus, 'coderev_requests_total{endpoint="/v1/fix", outcome="ok"} > 0'), 30,
             "fix requests counted")
        assert query(prometheus, 'coderev_health_status{service="engine"} == 1')
        assert alert_state(prometheus) is None  # fast: no alert
        latency.write_text("4000")
        try:
            poll(lambda: alert_state(prometheus) == "firing", 40, f"{ALERT} firing")
        finally:
            latency.unlink()
        poll(lambda: alert_state(prometheus) is None, 40, f"{ALERT} resolved")
    assert time.monotonic() - started < 90
