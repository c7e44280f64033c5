"""Latency of the real language server over stdio.

Measures (1) the time from sending a didChange (a one-character edit in a 5,000-line Python file)
to receiving the diagnostics published for that version, with debounce 0, over N edits; and
(2) the time from process start to the first diagnostics of the opened file.

    .venv/bin/python bench/lsp_latency.py [--edits 300] [--lines 5000]

Targets: p95 <= 15 ms per edit; first diagnostics <= 1 s.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

from lsprotocol import types
from pygls.lsp.client import LanguageClient

SERVER = [sys.executable, "-m", "server.lsp"]
ROOT = Path(__file__).resolve().parents[1]


def make_source(lines: int) -> str:
    """A realistic module: functions of ~10 lines, one unsafe yaml.load every 10th function."""
    out = ["import os", "import yaml", ""]
    i = 0
    while len(out) < lines - 12:
        out += [
            f"def handler_{i}(request, stream):",
            f'    """Handle request {i}."""',
            "    name = request.args.get('name', '')",
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


async def run(edits: int, lines: int) -> dict[str, float]:
    source = make_source(lines)
    workdir = Path(tempfile.mkdtemp(prefix="coderev-bench-"))
    path = workdir / "big.py"
    path.write_text(source)
    uri = path.as_uri()
    waiting: dict[int, asyncio.Future[float]] = {}
    loop = asyncio.get_running_loop()

    client = LanguageClient("coderev-bench", "0")

    @client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    def on_diagnostics(params: types.PublishDiagnosticsParams) -> None:
        future = waiting.get(params.version or -1)
        if future is not None and not future.done():
            future.set_result(time.perf_counter())

    @client.feature(types.WORKSPACE_CONFIGURATION)
    def on_configuration(params: types.ConfigurationParams) -> list[object]:
        return [None for _ in params.items]

    env_cache = workdir / "cache"
    started = time.perf_counter()
    await client.start_io(*SERVER, cwd=str(ROOT), env={"CODEREV_CACHE_DIR": str(env_cache), "PATH": ""})
    caps = types.ClientCapabilities(
        text_document=types.TextDocumentClientCapabilities(
            publish_diagnostics=types.PublishDiagnosticsClientCapabilities(version_support=True)
        ),
        general=types.GeneralClientCapabilities(position_encodings=[types.PositionEncodingKind.Utf16]),
    )
    await client.initialize_async(
        types.InitializeParams(
            capabilities=caps,
            root_uri=workdir.as_uri(),
            initialization_options={"debounceMs": 0},
        )
    )
    client.initialized(types.InitializedParams())
    waiting[1] = loop.create_future()
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(types.TextDocumentItem(uri=uri, language_id="python", version=1, text=source))
    )
    first = await asyncio.wait_for(waiting[1], 30) - started

    latencies: list[float] = []
    handlers = (lines - 20) // 10
    for i in range(edits):
        version = i + 2
        # Insert one character into a handler's body, then delete it: pairs walk through the file.
        line = 3 + 2 + 10 * ((i // 2) * 37 % handlers)
        start = types.Position(line, 8)
        end = types.Position(line, 8 if i % 2 == 0 else 9)
        change = types.TextDocumentContentChangePartial(range=types.Range(start, end), text="x" if i % 2 == 0 else "")
        waiting[version] = loop.create_future()
        sent = time.perf_counter()
        client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
                content_changes=[change],
            )
        )
        received = await asyncio.wait_for(waiting[version], 30)
        latencies.append((received - sent) * 1000)
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()
    return {
        "edits": edits,
        "lines": lines,
        "first_diagnostics_s": first,
        "p50_ms": statistics.median(latencies),
        "p95_ms": percentile(latencies, 95),
        "p99_ms": percentile(latencies, 99),
        "max_ms": max(latencies),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--edits", type=int, default=300)
    parser.add_argument("--lines", type=int, default=5000)
    args = parser.parse_args()
    result = asyncio.run(run(args.edits, args.lines))
    print(f"file: {result['lines']} lines; edits: {result['edits']} one-character edits, debounce 0")
    print(
        f"didChange -> publishDiagnostics(version): p50 {result['p50_ms']:.2f} ms, "
        f"p95 {result['p95_ms']:.2f} ms, p99 {result['p99_ms']:.2f} ms, max {result['max_ms']:.2f} ms "
        f"(target p95 <= 15 ms)"
    )
    print(f"process start -> first diagnostics: {result['first_diagnostics_s'] * 1000:.0f} ms (target <= 1000 ms)")
    ok = result["p95_ms"] <= 15 and result["first_diagnostics_s"] <= 1
    print("targets met" if ok else "TARGETS MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
