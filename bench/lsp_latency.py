"""Latency of the real language server over stdio.

Measures (1) the time from sending a didChange (a one-character edit in a 5,000-line Python file)
to receiving the diagnostics published for that version, with debounce 0, over N edits; and
(2) the time from process start to the first diagnostics of the opened file: the very first start
with an empty cache directory (the parsed-rule cache is written then), and the median and worst
of ``--startups`` later starts for each way editors launch the server (``python -m coderev.server.lsp``,
as the VS Code extension does, and ``coderev serve``, as the Neovim plugin does); one start is too
noisy to compare with a target.

    .venv/bin/python bench/lsp_latency.py [--edits 300] [--lines 5000] [--dense] [--startups 5]

The file has about 50 findings (``--dense``: about 550, one in every function). The client is a
minimal JSON-RPC reader, so the numbers are the server's round trip, not a client's object mapping.

Targets: p95 <= 15 ms per edit; first diagnostics <= 1 s.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import statistics
import sys
import tempfile
import time
from asyncio.subprocess import DEVNULL, PIPE
from pathlib import Path
from typing import Any

from lsprotocol import types
from lsprotocol.converters import get_converter

SERVERS = {"python -m coderev.server.lsp": [sys.executable, "-m", "coderev.server.lsp"],
           "coderev serve": [sys.executable, "-m", "coderev.server.cli", "serve"]}
ROOT = Path(__file__).resolve().parents[1]
_converter = get_converter()


def make_source(lines: int, dense: bool = False) -> str:
    """A module of 10-line functions with one unsafe ``yaml.load`` every 10th function (about 50
    findings in 5,000 lines); ``dense`` also builds every file path from request data (a path
    traversal finding in every function: about 550 findings)."""
    out = ["import os", "import yaml", ""]
    i = 0
    while len(out) < lines - 12:
        out += [
            f"def handler_{i}(request, stream):",
            f'    """Handle request {i}."""',
            "    name = request.args.get('name', '')" if dense else f"    name = 'item-{i}.txt'",
            "    path = os.path.join('/srv/data', name)",
            "    with open(path) as fh:",
            "        text = fh.read()",
            "    total = sum(len(part) for part in text.split())",
            "    data = yaml.load(stream)" if i % 10 == 0 else "    data = yaml.safe_load(stream)",
            "    return {'total': total, 'data': data}",
            "",
        ]
        i += 1
    out += ["" for _ in range(lines - len(out))]
    return "\n".join(out) + "\n"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


class RawClient:
    """A minimal JSON-RPC client over the server's stdio. Messages are built from lsprotocol types;
    incoming ones are only ``json.loads``-ed, so the timings are the server's, not a client's
    object mapping."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.diagnostics: dict[int, tuple[float, int]] = {}  # version -> (time received, count)
        self.published: list[tuple[int, float]] = []  # (version, time received) of every push, in order
        self.waiting: dict[int, asyncio.Future[float]] = {}
        self._responses: dict[int, asyncio.Future[object]] = {}
        self._ids = itertools.count(1)
        self._reader = asyncio.ensure_future(self._read())

    def _send(self, message: dict[str, object]) -> None:
        body = json.dumps(message).encode()
        assert self.process.stdin is not None
        self.process.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)

    def notify(self, method: str, params: object) -> None:
        self._send({"jsonrpc": "2.0", "method": method, "params": _converter.unstructure(params)})

    async def request(self, method: str, params: object) -> object:
        msg_id = next(self._ids)
        future: asyncio.Future[object] = asyncio.get_running_loop().create_future()
        self._responses[msg_id] = future
        self._send({"jsonrpc": "2.0", "id": msg_id, "method": method, "params": _converter.unstructure(params)})
        return await asyncio.wait_for(future, 30)

    async def _read(self) -> None:
        stdout = self.process.stdout
        assert stdout is not None
        while True:
            length = 0
            while (line := await stdout.readline()) not in (b"\r\n", b""):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            if not line:
                return
            self.handle(json.loads(await stdout.readexactly(length)), time.perf_counter())

    def handle(self, message: dict[str, Any], received: float) -> None:
        """One message from the server: diagnostics, a request to answer, or a response."""
        method = message.get("method")
        if method == types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS:
            version = message["params"].get("version")
            self.published.append((version, received))
            self.diagnostics[version] = (received, len(message["params"]["diagnostics"]))
            future = self.waiting.get(version)
            if future is not None and not future.done():
                future.set_result(received)
        elif method is not None and "id" in message:  # a request from the server
            params = message.get("params") or {}
            result = [None] * len(params.get("items", [])) if method == types.WORKSPACE_CONFIGURATION else None
            self._send({"jsonrpc": "2.0", "id": message["id"], "result": result})
        elif "id" in message and message["id"] in self._responses:
            self._responses.pop(message["id"]).set_result(message.get("result"))


async def start_server(workdir: Path, cache: Path, server: str = "python -m coderev.server.lsp",
                options: dict[str, object] | None = None) -> tuple[asyncio.subprocess.Process, RawClient, float]:
    """Start the server on ``workdir`` and initialize it (debounce 0 unless ``options`` say otherwise);
    returns the process, its client and when the process was started (``time.perf_counter``)."""
    env = {**os.environ, "CODEREV_CACHE_DIR": str(cache)}
    started = time.perf_counter()
    process = await asyncio.create_subprocess_exec(
        *SERVERS[server], cwd=str(ROOT), env=env, stdin=PIPE, stdout=PIPE, stderr=DEVNULL, limit=2**26
    )
    client = RawClient(process)
    caps = types.ClientCapabilities(
        text_document=types.TextDocumentClientCapabilities(
            publish_diagnostics=types.PublishDiagnosticsClientCapabilities(version_support=True)
        ),
        general=types.GeneralClientCapabilities(position_encodings=[types.PositionEncodingKind.Utf16]),
    )
    await client.request(
        types.INITIALIZE,
        types.InitializeParams(capabilities=caps, root_uri=workdir.as_uri(),
                               initialization_options={"debounceMs": 0, **(options or {})}),
    )
    client.notify(types.INITIALIZED, types.InitializedParams())
    return process, client, started


async def stop_server(process: asyncio.subprocess.Process, client: RawClient) -> None:
    await client.request(types.SHUTDOWN, None)
    client.notify(types.EXIT, None)
    await asyncio.wait_for(process.wait(), 10)


async def run(edits: int, lines: int, cache: Path, dense: bool = False, settle: float = 0.0,
              server: str = "python -m coderev.server.lsp") -> dict[str, float]:
    source = make_source(lines, dense)
    workdir = Path(tempfile.mkdtemp(prefix="coderev-bench-"))
    path = workdir / "big.py"
    path.write_text(source)
    uri = path.as_uri()
    loop = asyncio.get_running_loop()
    process, client, started = await start_server(workdir, cache, server)
    initialized = time.perf_counter() - started
    client.waiting[1] = loop.create_future()
    client.notify(
        types.TEXT_DOCUMENT_DID_OPEN,
        types.DidOpenTextDocumentParams(types.TextDocumentItem(uri=uri, language_id="python", version=1, text=source)),
    )
    first = await asyncio.wait_for(client.waiting[1], 30) - started
    findings = client.diagnostics[1][1]
    await asyncio.sleep(settle)  # let the model engine finish starting (it starts 1 s after initialize)

    latencies: list[float] = []
    handlers = (lines - 20) // 10
    for i in range(edits):
        version = i + 2
        # Insert one character into a handler's body, then delete it: pairs walk through the file.
        line = 3 + 2 + 10 * ((i // 2) * 37 % handlers)
        start = types.Position(line, 8)
        end = types.Position(line, 8 if i % 2 == 0 else 9)
        change = types.TextDocumentContentChangePartial(range=types.Range(start, end), text="x" if i % 2 == 0 else "")
        client.waiting[version] = loop.create_future()
        sent = time.perf_counter()
        client.notify(
            types.TEXT_DOCUMENT_DID_CHANGE,
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
                content_changes=[change],
            ),
        )
        received = await asyncio.wait_for(client.waiting[version], 30)
        latencies.append((received - sent) * 1000)
    await stop_server(process, client)
    return {
        "edits": edits,
        "findings": findings,
        "lines": lines,
        "first_diagnostics_s": first,
        "initialized_s": initialized,
        "p50_ms": statistics.median(latencies) if latencies else 0.0,
        "p95_ms": percentile(latencies, 95) if latencies else 0.0,
        "p99_ms": percentile(latencies, 99) if latencies else 0.0,
        "max_ms": max(latencies, default=0.0),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--edits", type=int, default=300)
    parser.add_argument("--lines", type=int, default=5000)
    parser.add_argument("--dense", action="store_true", help="a finding in every function (~550)")
    parser.add_argument("--startups", type=int, default=5, help="fresh server processes timed to first diagnostics")
    parser.add_argument("--settle", type=float, default=3.0,
                        help="seconds between the first diagnostics and the first edit, for the model engine to "
                        "start (0: type while it starts; it competes for the CPUs for about a second)")
    args = parser.parse_args()
    cache = Path(tempfile.mkdtemp(prefix="coderev-bench-cache-"))
    result = asyncio.run(run(args.edits, args.lines, cache, args.dense, args.settle))  # the first, cold start
    starts: dict[str, list[float]] = {}
    inits: list[float] = []
    for server in SERVERS:
        for _ in range(args.startups):
            again = asyncio.run(run(0, args.lines, cache, args.dense, server=server))
            starts.setdefault(server, []).append(again["first_diagnostics_s"])
            inits.append(again["initialized_s"])
    print(
        f"file: {result['lines']} lines, {result['findings']:.0f} findings; "
        f"edits: {result['edits']} one-character edits, debounce 0, starting {args.settle:.1f} s after the first "
        "diagnostics"
    )
    print(
        f"didChange -> publishDiagnostics(version): p50 {result['p50_ms']:.2f} ms, "
        f"p95 {result['p95_ms']:.2f} ms, p99 {result['p99_ms']:.2f} ms, max {result['max_ms']:.2f} ms "
        f"(target p95 <= 15 ms)"
    )
    cold = result["first_diagnostics_s"] * 1000
    print(f"process start -> first diagnostics, first start (empty cache): {cold:.0f} ms")
    for server, times in starts.items():
        print(f"process start -> first diagnostics, {server}, {len(times)} later starts: median "
              f"{statistics.median(times) * 1000:.0f} ms, worst {max(times) * 1000:.0f} ms (target <= 1000 ms)")
    print(f"initialize answered at median {statistics.median(inits) * 1000:.0f} ms")
    ok = result["p95_ms"] <= 15 and all(statistics.median(times) <= 1 for times in starts.values())
    print("targets met" if ok else "TARGETS MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
