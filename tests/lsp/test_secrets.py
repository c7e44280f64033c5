"""Secrets in files without a grammar (.env, YAML): found, suppressible, never stored whole."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsprotocol import types

from coderev.engine.feedback import FeedbackStore
from tests.lsp.conftest import OPTIONS, start, stop

pytestmark = pytest.mark.asyncio(loop_scope="session")

TOKEN = "ghp_R8k2mVq7Xz1LpN4sT6wY9bC3dF5gH0jK2aE7"


async def test_env_file_secret_is_diagnosed_and_dismissed_without_storing_it(
    client_name: str, workspace: Path, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    client = await start(client_name, workspace, cache, {**OPTIONS, "select": ["secrets"]})
    try:
        uri = client.open(".env", f"DEBUG=1\nGITHUB_TOKEN={TOKEN}\n", language_id="dotenv")
        [diag] = await client.diagnostics_for(uri, 1)
        assert diag.code == "secrets.hardcoded-secret.github-token"
        assert diag.range.start.line == 1 and TOKEN not in diag.message
        actions = await client.text_document_code_action_async(
            types.CodeActionParams(
                text_document=types.TextDocumentIdentifier(uri=uri),
                range=diag.range,
                context=types.CodeActionContext(diagnostics=[diag]),
            )
        )
        titles = [a.title for a in actions or []]
        assert any(t.startswith("Suppress") for t in titles)  # .env files have # comments
        [dismiss] = [a for a in actions or [] if a.title.startswith("Dismiss this ")]
        assert isinstance(dismiss, types.CodeAction) and dismiss.command is not None
        await client.workspace_execute_command_async(
            types.ExecuteCommandParams(command=dismiss.command.command, arguments=dismiss.command.arguments)
        )
        stored = [e.context for e in FeedbackStore.for_workspace(workspace, cache).events()]
        assert stored and all(TOKEN not in context for context in stored)
        assert all("ghp_" in context for context in stored)  # the masked form is kept
    finally:
        await stop(client)
