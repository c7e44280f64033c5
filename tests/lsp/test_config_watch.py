"""The server watches configuration and rule files itself when the client cannot register file
watchers (no ``workspace.didChangeWatchedFiles.dynamicRegistration``, as in Neovim 0.7 to 0.11):
an edit on disk changes the diagnostics without any notification from the client."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from lsprotocol import types
from pytest_lsp import client_capabilities

from tests.lsp.conftest import RULE, RULES, Client, start, stop

pytestmark = pytest.mark.asyncio(loop_scope="session")

BAD = "import yaml\n\ndata = yaml.load(stream)\n"


def _without_watcher_registration(name: str) -> types.ClientCapabilities:
    caps = client_capabilities(name)
    assert caps.workspace is not None
    caps.workspace.did_change_watched_files = types.DidChangeWatchedFilesClientCapabilities(dynamic_registration=False)
    return caps


def _logged(client: Client, *words: str) -> int:
    return sum(1 for m in client.log_messages if all(w in m.message for w in words))


async def _diagnostics_after_reload(client: Client, uri: str, reloads: int, published: int) -> list[types.Diagnostic]:
    """The document's diagnostics once the server has reloaded ``reloads`` times in all: a push
    client gets a new publish; a pull client asks again."""
    await client.wait_until(lambda: _logged(client, "configuration or rule files changed") >= reloads)
    if client.pulls:
        return await client.diagnostics_for(uri, 1)
    await client.wait_until(lambda: any(p.uri == uri for p in client.published[published:]))
    return list(next(p for p in reversed(client.published) if p.uri == uri).diagnostics)


async def test_a_config_file_edited_on_disk_changes_the_diagnostics(
    client_name: str, workspace: Path, tmp_path: Path
) -> None:
    client = await start(client_name, workspace, tmp_path / "cache", capabilities=_without_watcher_registration(
        client_name))
    try:
        assert not client.registrations  # nothing registered: the server watches for itself
        await client.wait_until(lambda: _logged(client, "watching the configuration files", str(workspace)))
        uri = client.open("app.py", BAD)
        assert [d.code for d in await client.diagnostics_for(uri, 1)] == [RULE]

        published = len(client.published)
        (workspace / ".coderev.toml").write_text(f'ignore = ["{RULE}"]\n')
        assert await _diagnostics_after_reload(client, uri, 1, published) == []

        published = len(client.published)
        (workspace / ".coderev.toml").unlink()
        assert [d.code for d in await _diagnostics_after_reload(client, uri, 2, published)] == [RULE]
    finally:
        await stop(client)


async def test_a_rule_file_edited_on_disk_is_reloaded(client_name: str, workspace: Path, tmp_path: Path) -> None:
    rules = tmp_path / "my-rules"
    shutil.copytree(RULES, rules)
    client = await start(client_name, workspace, tmp_path / "cache", {"ruleDirs": [str(rules)]},
                         capabilities=_without_watcher_registration(client_name))
    try:
        await client.wait_until(lambda: _logged(client, "watching the configuration files", str(rules)))
        uri = client.open("app.py", BAD)
        [diagnostic] = await client.diagnostics_for(uri, 1)
        assert diagnostic.severity == types.DiagnosticSeverity.Error

        [rule_file] = [p for p in rules.rglob("*.yaml") if RULE.rsplit(".", 1)[-1] in p.read_text()]
        rule_file.write_text(rule_file.read_text().replace("severity: error", "severity: hint"))
        published = len(client.published)
        [after] = await _diagnostics_after_reload(client, uri, 1, published)
        assert after.severity == types.DiagnosticSeverity.Hint
    finally:
        await stop(client)


async def test_a_client_that_registers_watchers_gets_no_second_watch(workspace: Path, tmp_path: Path) -> None:
    client = await start("visual-studio-code", workspace, tmp_path / "cache")
    try:
        await client.wait_until(lambda: any(r.method == types.WORKSPACE_DID_CHANGE_WATCHED_FILES
                                            for r in client.registrations))
        uri = client.open("app.py", BAD)
        assert len(await client.diagnostics_for(uri, 1)) == 1
        assert not _logged(client, "watching the configuration files")
    finally:
        await stop(client)
