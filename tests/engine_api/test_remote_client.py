"""The language server's engine client (``RemoteEngine``) against the real app: it warns once when
the engine marks its API version deprecated or does not serve it, says where the engine runs, and
``engine.url`` values are parsed or refused."""

from __future__ import annotations

import contextvars
import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from coderev.analyzers.errors import CoderevError
from coderev.engine.logs import REQUEST_ID, JsonFormatter
from coderev.engine.runtime.api import EngineStatus
from coderev.server.engine_api.app import ApiSettings
from coderev.server.engine_api.remote import RemoteEngine
from coderev.server.engine_api.shared import Where, parse_engine_url
from coderev.server.engine_api.versions import ApiVersion
from tests.engine_api.conftest import InThread, poll

OLD = ApiVersion("1", "deprecated", deprecated_since=datetime(2026, 1, 1, tzinfo=UTC),
                 sunset=datetime(2027, 1, 1, tzinfo=UTC), successor="2")


def watch(url: str) -> tuple[RemoteEngine, list[str], list[EngineStatus]]:
    warned: list[str] = []
    changes: list[EngineStatus] = []
    remote = RemoteEngine(Where(url=url), timeout_s=5.0, health_interval_s=0.2, on_warning=warned.append)
    remote.add_listener(changes.append)
    remote.start()
    return remote, warned, changes


def test_a_deprecated_api_version_is_warned_about_once_and_shown(in_thread: Callable[[ApiSettings], InThread]
                                                                  ) -> None:
    served = in_thread(ApiSettings(versions={"1": OLD, "2": ApiVersion("2")}))
    remote, warned, changes = watch(served.url)
    try:
        poll(lambda: remote.status().mode == "ready", 30, "ready")
        poll(lambda: served.state.served >= 3, 30, "three status checks")  # each deprecated; one warning
        assert len(warned) == 1 and "deprecated" in warned[0] and "sunset" in warned[0]
        payload = remote.payload()
        assert payload["engine"]["where"] == served.url and payload["engine"]["warnings"] == warned
        assert payload["engine"]["api"]["versions"] == {"1": "deprecated", "2": "current"}
        assert payload["production"] == "fake-1.0.0" and payload["productionVersion"] == "1.0.0"
        assert [c.mode for c in changes] == ["ready"]
    finally:
        remote.stop()


def test_an_engine_that_does_not_serve_our_version_is_fallback_with_a_warning(
        in_thread: Callable[[ApiSettings], InThread]) -> None:
    served = in_thread(ApiSettings(versions={"0": ApiVersion("0")}))  # an engine from before version 1
    remote, warned, _ = watch(served.url)
    try:
        poll(lambda: warned, 30, "a warning")
        assert "does not serve API version 1" in warned[0]
        status = remote.status()
        assert status.mode == "fallback" and status.error_code == "SYS007"
        assert remote.review("def f():\n    pass\n", key="k", version=1).exception(30) is not None
    finally:
        remote.stop()


def test_engine_url_values(tmp_path: Path) -> None:
    assert parse_engine_url("inprocess") is None and parse_engine_url("") is None
    assert parse_engine_url(f"unix:{tmp_path}/e.sock") == Where(socket=tmp_path / "e.sock")
    assert parse_engine_url("https://engine.example:8765/") == Where(url="https://engine.example:8765")
    local = parse_engine_url("local")
    assert local is not None and local.shared and local.socket is not None and local.socket.name == "engine.sock"
    for bad in ("ftp://x", "unix:", "elsewhere"):
        with pytest.raises(CoderevError) as caught:
            parse_engine_url(bad)
        assert caught.value.code == "SYS001"


class _Lines(logging.Handler):
    """The JSON log lines of this process (the client's and the in-thread engine's), as written."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.setFormatter(JsonFormatter())
        self.lines: list[dict[str, object]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(json.loads(self.format(record)))


def test_the_lsp_requests_id_goes_to_the_engine_and_into_both_logs(in_thread: Callable[[ApiSettings], InThread]
                                                                    ) -> None:
    served = in_thread(ApiSettings())
    handler, logger = _Lines(), logging.getLogger("coderev")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    remote, _, _ = watch(served.url)
    try:
        poll(lambda: remote.status().mode == "ready", 30, "ready")
        request, rid = contextvars.copy_context(), "lsp-request-7"
        request.run(REQUEST_ID.set, rid)  # as app.guarded does for each LSP request
        asked = [request.run(remote.review, f"def f{n}():\n    pass\n", key="k", version=1) for n in (1, 2)]
        poll(lambda: len(served.engine.pending) == 2, 30, "both calls at the engine")
        for future in served.engine.pending:
            future.set_result([])
        assert [f.result(30) for f in asked] == [[], []]

        def lines(name: str) -> list[dict[str, object]]:
            return [line for line in handler.lines if line["logger"] == name and line.get("request_id") == rid]

        engine = poll(lambda: [x for x in lines("coderev.engine_api") if x.get("endpoint") == "/v1/review"], 30,
                      "the engine's access lines")
        client = [x for x in lines("coderev.server") if x.get("endpoint") == "/v1/review"]
        assert len(engine) == len(client) == 2  # one id for the LSP request's two engine calls, on both sides
    finally:
        remote.stop()
        logger.removeHandler(handler)
        logger.setLevel(level)
