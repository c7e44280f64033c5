"""Registration in one place, and a failing feature contained (SYS003), not fatal."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from pygls.exceptions import JsonRpcInternalError, JsonRpcRequestCancelled

from coderev.server.lsp.app import COMMANDS, FEATURES, create_server, guarded


class _Log:
    def __init__(self) -> None:
        self.errors: list[str] = []

    def error(self, message: str, **_: Any) -> None:
        self.errors.append(message)


class _Server:
    def __init__(self) -> None:
        self.log = _Log()
        self.metrics: Any = None


class _Recorder:
    def __init__(self) -> None:
        self.requests: list[tuple[str, str]] = []

    def request(self, method: str, outcome: str, seconds: float) -> None:
        assert seconds >= 0
        self.requests.append((method, outcome))


def test_every_feature_and_command_is_registered() -> None:
    server = create_server()
    features = server.protocol.fm.features
    assert {method for method, _, _ in FEATURES} <= set(features)
    assert {name for name, _ in COMMANDS} <= set(server.protocol.fm.commands)


def test_a_failing_handler_becomes_a_sys003_error() -> None:
    def broken(ls: Any, params: Any) -> None:
        raise KeyError("boom")

    async def broken_async(ls: Any, params: Any) -> None:
        raise ValueError("bang")

    server = _Server()
    with pytest.raises(JsonRpcInternalError, match="SYS003"):
        guarded("x/y", broken)(server, None)
    with pytest.raises(JsonRpcInternalError, match="SYS003"):
        asyncio.run(guarded("x/z", broken_async)(server, None))
    assert len(server.log.errors) == 2 and all(e.startswith("SYS003") for e in server.log.errors)
    assert asyncio.iscoroutinefunction(guarded("x/z", broken_async))


def test_handlers_are_counted_by_method_and_outcome_when_metrics_are_on() -> None:
    def ok(ls: Any, params: Any) -> int:
        return 1

    def cancelled(ls: Any, params: Any) -> None:
        raise JsonRpcRequestCancelled("gone")

    async def ok_async(ls: Any, params: Any) -> int:
        return 2

    async def cancelled_async(ls: Any, params: Any) -> None:
        raise asyncio.CancelledError

    async def broken_async(ls: Any, params: Any) -> None:
        raise ValueError("bang")

    server = _Server()
    server.metrics = recorder = _Recorder()
    assert guarded("a", ok)(server, None) == 1
    with pytest.raises(JsonRpcRequestCancelled):
        guarded("b", cancelled)(server, None)
    with pytest.raises(JsonRpcInternalError):
        guarded("c", lambda ls, params: {}["missing"])(server, None)
    assert asyncio.run(guarded("d", ok_async)(server, None)) == 2
    with pytest.raises(asyncio.CancelledError):
        asyncio.run(guarded("e", cancelled_async)(server, None))
    with pytest.raises(JsonRpcInternalError):
        asyncio.run(guarded("f", broken_async)(server, None))
    assert recorder.requests == [("a", "ok"), ("b", "cancelled"), ("c", "error"), ("d", "ok"), ("e", "cancelled"),
                                 ("f", "error")]


def test_the_full_query_compiles_only_after_the_first_diagnostics_are_out(tmp_path: Any) -> None:
    """py-tree-sitter holds the GIL while compiling; compiling before the first push delayed it."""
    from lsprotocol import types

    from coderev.server.lsp import text_sync

    server = create_server()
    events: list[str] = []
    warm_up = server._warm_up

    def record_warm_up(*args: Any) -> None:
        events.append("warm-up")
        warm_up(*args)

    server._warm_up = record_warm_up  # type: ignore[method-assign]
    server.text_document_publish_diagnostics = lambda params: events.append("publish")  # type: ignore[method-assign]
    path = tmp_path / "app.py"
    path.write_text("import os\n\ndef run(cmd):\n    os.system(cmd)\n")

    async def scenario() -> None:
        item = types.TextDocumentItem(uri=path.as_uri(), language_id="python", version=1, text=path.read_text())
        text_sync.did_open(server, types.DidOpenTextDocumentParams(text_document=item))
        doc = server.documents.get(path.as_uri())
        assert doc is not None and doc.task is not None
        await doc.task
        for _ in range(100):
            if "warm-up" in events:
                break
            await asyncio.sleep(0.01)

    asyncio.run(scenario())
    server.analysis_pool.shutdown(wait=True)
    assert events[:2] == ["publish", "warm-up"]
