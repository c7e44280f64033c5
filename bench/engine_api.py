"""The engine API's overhead: /v1/status requests per second over the Unix socket, and /v1/fix
latency (p50/p95) over the socket against the same fixes asked of a ModelEngine in-process.

    .venv/bin/python bench/engine_api.py [--requests 500] [--fixes 60]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from coderev.analyzers import Analyzer, Document, get_language
from coderev.analyzers.fix_units import fix_unit
from coderev.engine.runtime.api import EngineConfig
from coderev.engine.runtime.engine import ModelEngine
from coderev.engine.slots.store import SlotStore

YAML = "python.insecure-deserialization.yaml-load"
SOURCE = "import yaml\n\n\ndef load_config(stream):\n    return yaml.load(stream)\n"


def p(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


def over_socket(home: Path, requests: int, fixes: int) -> tuple[float, list[float]]:
    env = {**os.environ, "CODEREV_DATA_DIR": str(home / "data"), "CODEREV_CACHE_DIR": str(home / "cache")}
    sock = home / "e.sock"
    server = subprocess.Popen([sys.executable, "-m", "coderev.server.cli", "engine", "serve", "--socket", str(sock),
                               "--idle-exit", "0", "--rate-limit", "0"], env=env, stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None and server.stdout.readline().startswith("coderev engine: listening")
        with httpx.Client(base_url="http://engine", transport=httpx.HTTPTransport(uds=str(sock)), timeout=60) as http:
            deadline = time.monotonic() + 120
            while http.get("/v1/status").json()["engine"]["mode"] != "ready":
                assert time.monotonic() < deadline
                time.sleep(0.1)
            begin = time.perf_counter()
            for _ in range(requests):
                http.get("/v1/status").raise_for_status()
            rate = requests / (time.perf_counter() - begin)
            body = {"source": SOURCE, "language": "python", "rule_id": YAML, "line": 5}
            latencies = []
            for _ in range(fixes):
                start = time.perf_counter()
                answer = http.post("/v1/fix", json=body)
                latencies.append(time.perf_counter() - start)
                assert answer.status_code == 200 and answer.json()["fix"] is not None
        return rate, latencies
    finally:
        server.terminate()
        server.wait(60)


def in_process(home: Path, fixes: int) -> list[float]:
    analyzer = Analyzer()
    store = SlotStore(home / "slots")
    engine = ModelEngine(EngineConfig(store_path=home / "slots", shadow_sample=0.0, timeout_s=10), analyzer,
                         store=store)
    engine.start()
    try:
        deadline = time.monotonic() + 120
        while engine.status().mode != "ready":
            assert time.monotonic() < deadline
            time.sleep(0.1)
        latencies = []
        for i in range(fixes):
            start = time.perf_counter()  # the same work as the route: analysis, fix unit, model, checks
            snapshot = Document(SOURCE, get_language("python")).snapshot()
            finding = next(f for f in analyzer.analyze(snapshot) if f.rule_id == YAML)
            unit = fix_unit(snapshot, finding, analyzer)
            assert unit is not None
            assert engine.fix(unit.text, unit.finding, key=f"b{i}", version=0, style=unit.style).result(30)
            latencies.append(time.perf_counter() - start)
        return latencies
    finally:
        engine.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--fixes", type=int, default=60)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="crv-bench-", dir="/tmp") as tmp:
        rate, socket_fix = over_socket(Path(tmp) / "served", args.requests, args.fixes)
        local_fix = in_process(Path(tmp) / "local", args.fixes)
    print(f"/v1/status over the socket: {rate:.0f} requests/s ({args.requests} sequential, one keep-alive client)")
    for name, values in (("/v1/fix over the socket", socket_fix), ("fix in-process      ", local_fix)):
        print(f"{name}: p50 {1000 * p(values, 50):.1f} ms, p95 {1000 * p(values, 95):.1f} ms (n={len(values)})")


if __name__ == "__main__":
    main()
