"""Two real language servers (VS Code's and Neovim's capabilities, over stdio) on one real engine
(``engine.url``): both get verified AI fixes from it, one engine process serves both; when it is
killed both are rules-only (diagnostics still come) and both recover when it is back. With
``engine.url = local`` the servers start the shared engine themselves, one for both."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types

from tests.engine_api.conftest import Served, ready, short_dir
from tests.engine_api.conftest import start as serve
from tests.lsp.conftest import Client, start, stop
from tests.lsp.test_model_features import BAD, WAIT, YAML, _ai_rows, _code_actions, _expected_review, _plain

pytestmark = pytest.mark.asyncio(loop_scope="session")
DIGESTS = ("import hashlib\n\n\ndef token_digest(token):\n    return hashlib.md5(token).hexdigest()\n\n\n"
           "def checksum(data):\n    digest = hashlib.sha1(data)\n    return digest.hexdigest()\n")


@pytest.fixture
def home(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A short private directory for sockets, slots and data; the servers inherit it."""
    base = short_dir()
    monkeypatch.setenv("CODEREV_DATA_DIR", str(base / "data"))
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(base / "run"))
    (base / "run").mkdir(mode=0o700)
    yield base
    for pid in engines(base):  # a shared engine the servers started and a failed test left behind
        os.kill(pid, signal.SIGTERM)


def engines(base: Path) -> list[int]:
    """The ``coderev engine serve`` processes whose socket is under ``base``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"serve" in argv and any(a.startswith(str(base).encode()) and a.endswith(b".sock") for a in argv):
            found.append(int(entry.name))
    return found


def latest(client: Client) -> dict[str, Any]:
    return dict(_plain(client.statuses[-1])) if client.statuses else {}


async def mode(client: Client, wanted: str, error: str | None = None) -> dict[str, Any]:
    def reached() -> bool:
        status = latest(client)
        return status.get("mode") == wanted and (error is None or (status.get("error") or {}).get("code") == error)

    await client.wait_until(reached, WAIT)
    return latest(client)


async def ai_fix(client: Client, uri: str, version: int) -> types.CodeAction:
    [diagnostic] = [d for d in await client.diagnostics_for(uri, version) if d.code == YAML]
    deadline = asyncio.get_running_loop().time() + WAIT
    while asyncio.get_running_loop().time() < deadline:  # the first requests may return before the answer
        found = [a for a in await _code_actions(client, uri, diagnostic) if a.title.startswith("AI fix")]
        if found:
            return found[0]
    raise AssertionError("no AI fix offered")


def options(home: Path, url: str, **extra: Any) -> dict[str, Any]:
    return {"model.enabled": True, "model.storePath": str(home / "slots"), "select": [], "ruleDirs": [],
            "ai.review": False, "engine.url": url, "engine.healthIntervalS": 1, "model.timeoutMs": 20_000, **extra}


async def both(home: Path, url: str, **extra: Any) -> tuple[Client, Client]:
    started = await asyncio.gather(
        start("visual-studio-code", home / "ws", home / "cache-a", options(home, url, **extra)),
        start("neovim", home / "ws", home / "cache-b", options(home, url, **extra)))
    return started[0], started[1]


async def test_two_servers_one_engine_fall_back_when_it_dies_and_recover(home: Path) -> None:
    (home / "ws").mkdir()
    sock = home / "run" / "e.sock"
    engine: Served = serve(home, "--socket", str(sock), "--idle-exit", "0", "--store", str(home / "slots"))
    ready(engine)
    vscode, neovim = await both(home, f"unix:{sock}")
    try:
        for client in (vscode, neovim):
            status = await mode(client, "ready")
            assert status["engine"]["where"] == f"unix:{sock}" and status["engine"]["warnings"] == []
            assert status["modelSlot"].startswith("coderev-default ")
        assert latest(vscode)["workerPid"] == latest(neovim)["workerPid"]  # one model worker for both
        assert engines(home) == [engine.process.pid]
        uris = {client: client.open("loader.py", BAD) for client in (vscode, neovim)}
        for client, uri in uris.items():
            action = await ai_fix(client, uri, 1)
            assert "verified" in action.title and "model " in action.title
            if action.edit is None:
                action = await client.code_action_resolve_async(action)
            assert action.edit is not None and action.edit.changes is not None

        engine.process.send_signal(signal.SIGKILL)
        engine.process.wait(10)
        for client in (vscode, neovim):
            status = await mode(client, "fallback", "PRV009")
            assert f"unix:{sock}" in status["error"]["message"]
        for client, uri in uris.items():  # rules-only: diagnostics still come, no AI fix is offered
            client.change(uri, 2, [types.TextEdit(types.Range(types.Position(0, 0), types.Position(0, 0)), "\n")])
            [diagnostic] = [d for d in await client.diagnostics_for(uri, 2) if d.code == YAML]
            assert not [a for a in await _code_actions(client, uri, diagnostic) if a.title.startswith("AI fix")]

        engine = serve(home, "--socket", str(sock), "--idle-exit", "0", "--store", str(home / "slots"))
        for client, uri in uris.items():
            await mode(client, "ready")
            assert (await ai_fix(client, uri, 2)).title.startswith("AI fix")
    finally:
        await asyncio.gather(stop(vscode), stop(neovim))
        assert engine.stop() == 0


async def test_servers_started_at_once_start_one_shared_engine(home: Path) -> None:
    (home / "ws").mkdir()
    # with the weak-crypto rules off, only the model's review points at the md5 and sha1 calls
    vscode, neovim = await both(home, "local", **{"ai.review": True, "ai.reviewPauseMs": 200,
                                                  "ignore": ["python.weak-crypto"]})
    try:
        sock = home / "run" / "coderev" / "engine.sock"
        for client in (vscode, neovim):
            assert (await mode(client, "ready"))["engine"]["where"] == f"unix:{sock}"
        [pid] = engines(home)
        assert (sock.parent / "engine.log").exists()
        uri = vscode.open("loader.py", BAD)
        assert (await ai_fix(vscode, uri, 1)).title.startswith("AI fix")

        seen = {client: len(client.statuses) for client in (vscode, neovim)}
        os.kill(pid, signal.SIGKILL)  # the next status check finds none and starts a new one, once
        for client in (vscode, neovim):
            def back(c: Client = client) -> bool:
                after = [_plain(s)["mode"] for s in c.statuses[seen[c]:]]
                return any(m != "ready" for m in after) and after[-1] == "ready"

            await client.wait_until(back, WAIT)
        [again] = engines(home)
        assert again != pid
        uri = neovim.open("loader.py", BAD)
        assert (await ai_fix(neovim, uri, 1)).title.startswith("AI fix")
        digests = neovim.open("digests.py", DIGESTS)  # AI review: diagnostics of source coderev-ai, as in-process
        await neovim.wait_until(lambda: any(f"AI review of {digests} v1: 2 function(s)" in m.message
                                            for m in neovim.log_messages), WAIT)
        expected = _expected_review(DIGESTS)
        assert {4, 8} <= set(expected) and await _ai_rows(neovim, digests, 1, expected) == expected
    finally:
        await asyncio.gather(stop(vscode), stop(neovim))
