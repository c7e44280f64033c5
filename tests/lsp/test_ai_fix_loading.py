"""Ctrl+. while the model is still loading: a client that shows disabled code actions (VS Code
declares ``codeAction.disabledSupport``) gets one saying so; one that does not (Neovim) gets
nothing extra. Through the real server with the real default slot.

The model is held in its loading state for as long as the test needs by holding the slot
store's lock (``<store>/.lock``, ``fcntl.flock``), as another coderev process using the same
store does: the engine waits for it before it loads a slot, so the state does not depend on
how fast this machine loads the model.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

import pytest
from lsprotocol import types

from coderev.server.lsp.ai_fixes import LOADING_REASON, LOADING_TITLE
from tests.lsp.conftest import start, stop
from tests.lsp.test_model_features import BAD, YAML, _code_actions, _plain, options, ready

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_a_disabled_action_says_the_model_is_loading(client_name: str, workspace: Path, tmp_path: Path) -> None:
    store = tmp_path / "slots"
    store.mkdir()
    lock = os.open(store / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
    fcntl.flock(lock, fcntl.LOCK_EX)  # the engine cannot open the store, so it stays "loading"
    held = True
    client = await start(client_name, workspace, tmp_path / "cache", options(store, **{"ai.review": False}))
    try:
        uri = client.open("config_loader.py", BAD)
        [diagnostic] = [d for d in await client.diagnostics_for(uri, 1) if d.code == YAML]
        actions = await _code_actions(client, uri, diagnostic)
        state = _plain(await client.protocol.send_request_async("coderev/status", None))
        assert state["mode"] == "loading"
        ai = [a for a in actions if a.title.startswith("AI fix")]
        if client_name == "visual-studio-code":  # disabledSupport: true
            [action] = ai
            assert action.title == LOADING_TITLE and action.kind == types.CodeActionKind.QuickFix
            assert action.disabled is not None and action.disabled.reason == LOADING_REASON
            assert action.edit is None and action.command is None and list(action.diagnostics or []) == [diagnostic]
            assert actions[-1] is action, "the disabled entry comes after the actions that work"
        else:  # no disabledSupport: nothing the client could not show as disabled
            assert ai == []
        assert any(a.title.startswith("Fix:") for a in actions), "the rule's own fix is still offered"

        fcntl.flock(lock, fcntl.LOCK_UN)
        held = False
        await ready(client)
        actions = await _code_actions(client, uri, diagnostic)
        assert [a for a in actions if a.disabled is not None] == []
    finally:
        if held:
            fcntl.flock(lock, fcntl.LOCK_UN)
        os.close(lock)
        await stop(client)
