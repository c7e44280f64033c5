"""What the language server's AI fix costs with each ``engine.url`` (issue 22): the fix the editor
asks for (the file's finding, its fix unit, the model, the checks) through

* ``inprocess``: the server's own ModelEngine (as ``ModelBridge.fix`` calls it);
* ``unix:PATH``: RemoteEngine to a shared ``coderev engine serve`` over its Unix socket;
* a remote provider slot: that shared engine's production slot is a provider slot whose endpoint
  is a second engine on loopback TCP (``/v1/completions``).

    .venv/bin/python bench/engine_client.py [--fixes 60]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from coderev.analyzers import Analyzer, Document, get_language
from coderev.analyzers.fix_units import fix_unit
from coderev.engine.model.manifest import read_manifest, write_manifest
from coderev.engine.model.slot import TOKENIZER, default_slot_path
from coderev.engine.runtime.api import EngineConfig
from coderev.engine.runtime.engine import ModelEngine
from coderev.engine.slots.store import SlotStore
from coderev.server.engine_api.remote import RemoteEngine
from coderev.server.engine_api.shared import Where

YAML = "python.insecure-deserialization.yaml-load"
SOURCE = "import yaml\n\n\ndef load_config(stream):\n    return yaml.load(stream)\n"


def p(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


def wait(check: Callable[[], bool], what: str, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


def fixes(engine: ModelEngine | RemoteEngine, n: int) -> list[float]:
    analyzer = Analyzer()
    latencies = []
    for i in range(n):
        start = time.perf_counter()  # what the editor does: analysis, fix unit, the engine's fix
        snapshot = Document(SOURCE, get_language("python")).snapshot()
        finding = next(f for f in analyzer.analyze(snapshot) if f.rule_id == YAML)
        unit = fix_unit(snapshot, finding, analyzer)
        assert unit is not None
        if isinstance(engine, RemoteEngine):
            answer = engine.fix_unit(snapshot, finding, unit, key=f"b{i}", version=i).result(30)
        else:
            answer = engine.fix(unit.text, unit.finding, key=f"b{i}", version=i, style=unit.style).result(30)
        assert answer is not None and "safe_load" in answer.fixed_source
        latencies.append(time.perf_counter() - start)
    return latencies


def serve(home: Path, *args: str, env: dict[str, str]) -> tuple[subprocess.Popen[str], str]:
    """``coderev engine serve ARGS`` and the address it listens on."""
    process = subprocess.Popen([sys.executable, "-m", "coderev.server.cli", "engine", "serve", "--idle-exit", "0",
                                "--rate-limit", "0", *args], env=env, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    line = process.stdout.readline()
    assert line.startswith("coderev engine: listening on "), line
    return process, line.rsplit(" ", 1)[1].strip()


def through(where: Where, n: int) -> list[float]:
    remote = RemoteEngine(where, timeout_s=10, health_interval_s=1)
    remote.start()
    try:
        wait(lambda: remote.status().mode == "ready", "engine ready")
        return fixes(remote, n)
    finally:
        remote.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--fixes", type=int, default=60)
    n = parser.parse_args().fixes
    with tempfile.TemporaryDirectory(prefix="crv-bench-", dir="/tmp") as tmp:
        home = Path(tmp)
        engine = ModelEngine(EngineConfig(store_path=home / "local", shadow_sample=0.0, timeout_s=10), Analyzer(),
                             store=SlotStore(home / "local"))
        engine.start()
        try:
            wait(lambda: engine.status().mode == "ready", "in-process engine ready")
            results = {"inprocess": fixes(engine, n)}
        finally:
            engine.stop()
        env = {**os.environ, "CODEREV_DATA_DIR": str(home / "data"), "CODEREV_CACHE_DIR": str(home / "cache")}
        shared, _ = serve(home, "--socket", str(home / "e.sock"), "--store", str(home / "shared"), env=env)
        try:
            results["unix socket"] = through(Where(socket=home / "e.sock"), n)
        finally:
            shared.terminate()
            shared.wait(60)
        # A provider slot: engine B's production slot asks engine A (TCP on loopback) for completions.
        token = subprocess.run([sys.executable, "-m", "coderev.server.cli", "engine", "token", "create", "b"],
                               env=env, capture_output=True, text=True, check=True).stdout.strip()
        provider, address = serve(home, "--host", "127.0.0.1", "--port", "0", "--store", str(home / "a"), env=env)
        slot = home / "remote-slot"
        slot.mkdir()
        shutil.copyfile(default_slot_path() / TOKENIZER, slot / TOKENIZER)
        fields = {k: v for k, v in read_manifest(default_slot_path()).items() if k not in ("files", "metrics")}
        write_manifest(slot, {**fields, "name": "remote", "provider": {
            "kind": "openai", "url": f"{address}/v1", "model": "x", "api": "completions",
            "token_env": "BENCH_TOKEN"}})
        store = SlotStore(home / "b")
        store.ensure_default()
        store.install(slot, role="V2")
        asking, _ = serve(home, "--socket", str(home / "b.sock"), "--store", str(home / "b"),
                       env={**env, "BENCH_TOKEN": token})
        try:
            results["provider slot"] = through(Where(socket=home / "b.sock"), n)
        finally:
            for process in (asking, provider):
                process.terminate()
                process.wait(60)
    for name, values in results.items():
        print(f"AI fix, {name:<14} p50 {1000 * p(values, 50):6.1f} ms  p95 {1000 * p(values, 95):6.1f} ms  (n={n})")


if __name__ == "__main__":
    main()
