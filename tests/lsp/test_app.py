"""Registration in one place, and a failing feature contained (SYS003), not fatal."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from pygls.exceptions import JsonRpcInternalError

from server.lsp.app import COMMANDS, FEATURES, create_server, guarded


class _Log:
    def __init__(self) -> None:
        self.errors: list[str] = []

    def error(self, message: str, **_: Any) -> None:
        self.errors.append(message)


class _Server:
    def __init__(self) -> None:
        self.log = _Log()


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
