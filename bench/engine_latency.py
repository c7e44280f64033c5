"""Latency and throughput of the model features through the real language server over stdio.

Measures, with the shipped default slot on CPU:

1. AI fix: time from a ``textDocument/codeAction`` request on a finding to the response that
   carries the verified AI fix (the first request per finding asks the model), p50/p95;
2. AI review: time from the end of the typing pause (``ai.reviewPauseMs``) to the diagnostics
   report that includes the review of the changed function, p50/p95;
3. throughput with 8 documents at once: AI fixes per second when code actions for every
   finding of 8 documents are requested together, and reviews per second when all 8 change.

    .venv/bin/python bench/engine_latency.py [--functions 12] [--rounds 10]

The baseline printed beside (1) is the same request with the model off, in the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import sys
import tempfile
import time
from asyncio.subprocess import DEVNULL, PIPE
from pathlib import Path
from typing import Any

from lsprotocol import types

sys.path.insert(0, str(Path(__file__).resolve().parent))
from lsp_latency import ROOT, SERVERS, RawClient, percentile

PAUSE_MS = 100
YAML = "python.insecure-deserialization.yaml-load"


def source(functions: int, salt: str = "") -> str:
    out = ["import yaml", ""]
    for i in range(functions):
        out += ["", f"def load_{salt}{i}(stream):", f"    config_{i} = yaml.load(stream)", f"    return config_{i}", ""]
    return "\n".join(out) + "\n"


class Client(RawClient):
    """RawClient that also keeps each publish (per uri) and the engine's status notifications."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.reports: dict[str, list[tuple[float, int, list[Any]]]] = {}
        self.status: dict[str, Any] = {}
        self.news = asyncio.Event()
        super().__init__(process)

    def handle(self, message: dict[str, Any], received: float) -> None:
        method = message.get("method")
        if method == types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS:
            params = message["params"]
            self.reports.setdefault(params["uri"], []).append((received, params.get("version"), params["diagnostics"]))
        elif method == "coderev/status":
            self.status = message["params"]
        else:
            super().handle(message, received)
        self.news.set()

    async def until(self, check: Any, timeout: float = 120) -> Any:
        deadline = time.perf_counter() + timeout
        while not (found := check()):
            self.news.clear()
            if time.perf_counter() > deadline:
                raise TimeoutError("condition not met")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.news.wait(), 0.05)
        return found


async def start(model: bool, workdir: Path) -> tuple[asyncio.subprocess.Process, Client]:
    env = {**os.environ, "CODEREV_CACHE_DIR": str(workdir / "cache")}
    process = await asyncio.create_subprocess_exec(*SERVERS["python -m coderev.server.lsp"], cwd=str(ROOT), env=env,
                                                   stdin=PIPE, stdout=PIPE, stderr=DEVNULL, limit=2**26)
    client = Client(process)
    options = {"debounceMs": 0, "model.enabled": model, "model.storePath": str(workdir / "slots"),
               "ai.reviewPauseMs": PAUSE_MS, "ai.review": model, "select": [YAML]}
    caps = types.ClientCapabilities(
        text_document=types.TextDocumentClientCapabilities(
            publish_diagnostics=types.PublishDiagnosticsClientCapabilities(version_support=True)))
    await client.request(types.INITIALIZE, types.InitializeParams(
        capabilities=caps, root_uri=workdir.as_uri(), initialization_options=options))
    client.notify(types.INITIALIZED, types.InitializedParams())
    if model:
        await client.until(lambda: client.status.get("mode") == "ready")
    return process, client


async def stop(process: asyncio.subprocess.Process, client: Client) -> None:
    await client.request(types.SHUTDOWN, None)
    client.notify(types.EXIT, None)
    await asyncio.wait_for(process.wait(), 20)


def open_doc(client: Client, workdir: Path, name: str, text: str) -> str:
    path = workdir / name
    path.write_text(text)
    uri = path.as_uri()
    client.notify(types.TEXT_DOCUMENT_DID_OPEN, types.DidOpenTextDocumentParams(
        types.TextDocumentItem(uri=uri, language_id="python", version=1, text=text)))
    return uri


async def diagnostics(client: Client, uri: str, version: int) -> list[Any]:
    reports = await client.until(lambda: [r for r in client.reports.get(uri, []) if r[1] == version])
    return list(reports[0][2])


async def code_action(client: Client, uri: str, diagnostic: dict[str, Any]) -> tuple[float, bool]:
    started = time.perf_counter()
    result = await client.request(types.TEXT_DOCUMENT_CODE_ACTION, {
        "textDocument": {"uri": uri}, "range": diagnostic["range"],
        "context": {"diagnostics": [diagnostic]}})
    elapsed = (time.perf_counter() - started) * 1000
    titles = [a.get("title", "") for a in result or []] if isinstance(result, list) else []
    return elapsed, any(t.startswith("AI fix") for t in titles)


async def fixes(client: Client, workdir: Path, functions: int, tag: str) -> tuple[list[float], int]:
    uri = open_doc(client, workdir, f"fix_{tag}.py", source(functions, tag))
    found = [d for d in await diagnostics(client, uri, 1) if d.get("code") == YAML]
    times, offered = [], 0
    for diagnostic in found:
        elapsed, ai = await code_action(client, uri, diagnostic)
        times.append(elapsed)
        offered += ai
    return times, offered


async def reviews(client: Client, workdir: Path, functions: int, rounds: int) -> list[float]:
    """ms from the end of the pause to the report that carries the review of each edit."""
    text = source(functions, "r")
    uri = open_doc(client, workdir, "review.py", text)
    await diagnostics(client, uri, 1)
    out = []
    for version in range(2, rounds + 2):
        # a line in the body of one function (found in the current text: earlier edits moved lines)
        line = text.split("\n").index(f"    config_{(version * 7) % functions} = yaml.load(stream)")
        inserted = f"n{version} = {version}\n    "
        change = {"range": {"start": {"line": line, "character": 4}, "end": {"line": line, "character": 4}},
                  "text": inserted}
        lines = text.split("\n")
        lines[line] = lines[line][:4] + inserted + lines[line][4:]
        text = "\n".join(lines)
        sent = time.perf_counter()
        client.notify(types.TEXT_DOCUMENT_DID_CHANGE, {"textDocument": {"uri": uri, "version": version},
                                                       "contentChanges": [change]})
        reports = await client.until(
            lambda v=version: [r for r in client.reports[uri] if r[1] == v][1:])  # rules first, then the review
        out.append((reports[0][0] - sent) * 1000 - PAUSE_MS)
    return out


async def concurrent(client: Client, workdir: Path, functions: int) -> tuple[float, float]:
    """(AI fixes per second, reviews per second) with 8 documents at once."""
    uris = [open_doc(client, workdir, f"many_{d}.py", source(functions, f"m{d}_")) for d in range(8)]
    found = [(u, d) for u in uris for d in await diagnostics(client, u, 1) if d.get("code") == YAML]
    started = time.perf_counter()
    results = await asyncio.gather(*(code_action(client, u, d) for u, d in found))
    fix_rate = sum(ai for _, ai in results) / (time.perf_counter() - started)
    started = time.perf_counter()
    for uri in uris:
        change = {"range": {"start": {"line": 4, "character": 4}, "end": {"line": 4, "character": 4}},
                  "text": "marker = 1\n    "}
        client.notify(types.TEXT_DOCUMENT_DID_CHANGE, {"textDocument": {"uri": uri, "version": 2},
                                                       "contentChanges": [change]})
    await client.until(lambda: all(len([r for r in client.reports[u] if r[1] == 2]) >= 2 for u in uris))
    review_rate = len(uris) / (time.perf_counter() - started - PAUSE_MS / 1000)
    return fix_rate, review_rate


async def run(functions: int, rounds: int) -> dict[str, Any]:
    workdir = Path(tempfile.mkdtemp(prefix="coderev-engine-bench-"))
    (workdir / "off").mkdir()
    (workdir / "on").mkdir()
    process, client = await start(False, workdir / "off")
    base, _ = await fixes(client, workdir / "off", functions, "off")
    await stop(process, client)
    process, client = await start(True, workdir / "on")
    fix_ms, offered = await fixes(client, workdir / "on", functions, "on")
    review_ms = await reviews(client, workdir / "on", functions, rounds)
    fix_rate, review_rate = await concurrent(client, workdir / "on", functions)
    status = client.status
    await stop(process, client)
    return {"base": base, "fix": fix_ms, "offered": offered, "review": review_ms, "fix_rate": fix_rate,
            "review_rate": review_rate, "slot": status.get("modelSlot")}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--functions", type=int, default=12, help="functions (findings) per document")
    parser.add_argument("--rounds", type=int, default=10, help="review rounds")
    args = parser.parse_args()
    r = asyncio.run(run(args.functions, args.rounds))

    def line(name: str, values: list[float]) -> str:
        return f"{name}: p50 {statistics.median(values):.1f} ms, p95 {percentile(values, 95):.1f} ms (n={len(values)})"

    print(f"slot: {r['slot']}")
    print(line("codeAction, model off (baseline)", r["base"]))
    print(line("codeAction with AI fix, model on", r["fix"]) + f"; AI fix offered for {r['offered']}/{len(r['fix'])}")
    print(f"ratio p50 model on / off: {statistics.median(r['fix']) / statistics.median(r['base']):.1f}x")
    print(line(f"AI review after the {PAUSE_MS} ms pause -> report", r["review"]))
    print(f"8 documents at once: {r['fix_rate']:.1f} AI fixes/s, {r['review_rate']:.1f} reviews/s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
