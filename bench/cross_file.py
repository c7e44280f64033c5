"""Editing a helper used by many open files: how long until all their diagnostics are updated.

    .venv/bin/python -m bench.cross_file [--callers 50] [--rounds 5]

Opens a helper module and ``--callers`` views that call it in the real server (stdio, debounce 0),
then edits the helper in the editor (not on disk) so that it stops or starts passing request data
on, and times from the didChange until every caller has published diagnostics that reflect it (an
error appears, or goes). As a baseline in the same run, it times one caller's own edit.

Target (issue 18): every dependent updated within 1 s for 50 callers.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from asyncio.subprocess import DEVNULL, PIPE
from pathlib import Path
from typing import Any

from lsprotocol import types

from bench.lsp_latency import ROOT, SERVERS, RawClient

SANITIZER = "def normalize_value(value):\n    return int(value)\n"
PASSTHROUGH = "def normalize_value(value):\n    return value.strip()\n"
CALLER = (
    "import os\nfrom flask import request\nfrom helpers.params import normalize_value\n\n\n"
    "@app.route('/v{i}')\ndef view_{i}():\n    os.system('ls ' + normalize_value(request.args['d']))\n"
    "    return 'ok'\n"
)


class Client(RawClient):
    """Records every publishDiagnostics by document: (time received, number of errors)."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        super().__init__(process)
        self.by_uri: dict[str, list[tuple[float, int]]] = {}
        self.news = asyncio.Event()

    def handle(self, message: dict[str, Any], received: float) -> None:
        if message.get("method") == types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS:
            params = message["params"]
            errors = sum(1 for d in params["diagnostics"] if d.get("severity") == 1)
            self.by_uri.setdefault(params["uri"], []).append((received, errors))
            self.news.set()
        super().handle(message, received)

    async def until(self, check: Any, timeout: float = 30) -> None:
        deadline = time.perf_counter() + timeout
        while not check():
            self.news.clear()
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                raise TimeoutError("the diagnostics did not arrive")
            try:
                await asyncio.wait_for(self.news.wait(), remaining)
            except TimeoutError:
                continue


def _latest_errors(client: Client, uri: str, since: float) -> int | None:
    after = [errors for at, errors in client.by_uri.get(uri, []) if at >= since]
    return after[-1] if after else None


async def run(callers: int, rounds: int) -> dict[str, float]:
    workdir = Path(tempfile.mkdtemp(prefix="coderev-cross-"))
    (workdir / "helpers").mkdir()
    (workdir / "helpers" / "__init__.py").write_text("")
    helper = workdir / "helpers" / "params.py"
    helper.write_text(SANITIZER)
    uris = []
    for i in range(callers):
        path = workdir / f"view_{i}.py"
        path.write_text(CALLER.format(i=i))
        uris.append(path.as_uri())
    env = {**os.environ, "CODEREV_CACHE_DIR": str(workdir / ".cache"), "CODEREV_MODEL_ENABLED": "0"}
    process = await asyncio.create_subprocess_exec(
        *SERVERS["python -m coderev.server.lsp"], cwd=str(ROOT), env=env, stdin=PIPE, stdout=PIPE, stderr=DEVNULL,
        limit=2**26,
    )
    client = Client(process)
    caps = types.ClientCapabilities(text_document=types.TextDocumentClientCapabilities(
        publish_diagnostics=types.PublishDiagnosticsClientCapabilities(version_support=True)))
    await client.request(types.INITIALIZE, types.InitializeParams(
        capabilities=caps, root_uri=workdir.as_uri(), initialization_options={"debounceMs": 0, "model.enabled": False}))
    client.notify(types.INITIALIZED, types.InitializedParams())
    helper_uri = helper.as_uri()
    client.notify(types.TEXT_DOCUMENT_DID_OPEN, types.DidOpenTextDocumentParams(
        types.TextDocumentItem(uri=helper_uri, language_id="python", version=1, text=SANITIZER)))
    for i, uri in enumerate(uris):
        client.notify(types.TEXT_DOCUMENT_DID_OPEN, types.DidOpenTextDocumentParams(
            types.TextDocumentItem(uri=uri, language_id="python", version=1, text=CALLER.format(i=i))))
    await client.until(lambda: all(_latest_errors(client, u, 0.0) == 0 for u in uris), timeout=120)

    updates: list[float] = []
    text, version = SANITIZER, 1
    for _ in range(rounds * 2):
        text = PASSTHROUGH if text == SANITIZER else SANITIZER
        want = 1 if text == PASSTHROUGH else 0
        version += 1
        sent = time.perf_counter()
        client.notify(types.TEXT_DOCUMENT_DID_CHANGE, types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=helper_uri, version=version),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)]))
        await client.until(lambda: all(_latest_errors(client, u, sent) == want for u in uris))  # noqa: B023
        updates.append(time.perf_counter() - sent)

    own: list[float] = []  # baseline: one caller's own edit, to its own diagnostics
    for round_ in range(rounds):
        sent = time.perf_counter()
        client.notify(types.TEXT_DOCUMENT_DID_CHANGE, types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uris[0], version=2 + round_),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=CALLER.format(i=0) + f"# {round_}\n")]))
        await client.until(lambda: _latest_errors(client, uris[0], sent) is not None)  # noqa: B023
        own.append(time.perf_counter() - sent)
    await client.request(types.SHUTDOWN, None)
    client.notify(types.EXIT, None)
    await asyncio.wait_for(process.wait(), 10)
    return {
        "callers": callers,
        "all_updated_median_s": statistics.median(updates),
        "all_updated_max_s": max(updates),
        "own_edit_median_s": statistics.median(own),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--callers", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    result = asyncio.run(run(args.callers, args.rounds))
    print(f"helper edited, {result['callers']} open callers updated: median {result['all_updated_median_s']:.3f} s, "
          f"worst {result['all_updated_max_s']:.3f} s (target <= 1 s)")
    print(f"baseline, one caller's own edit: median {result['own_edit_median_s'] * 1000:.1f} ms; "
          f"ratio {result['all_updated_median_s'] / result['own_edit_median_s']:.1f}x")
    return 0 if result["all_updated_max_s"] <= 1.0 else 1


if __name__ == "__main__":
    sys.exit(main())
