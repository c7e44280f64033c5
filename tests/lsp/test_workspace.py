"""Multi-root workspaces, files outside every folder, watched configuration files, log file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from lsprotocol import types
from pytest_lsp import client_capabilities

from tests.lsp.conftest import Client, start, stop

pytestmark = pytest.mark.asyncio(loop_scope="session")

BAD = "import yaml\n\ndata = yaml.load(stream)\n"


def _open(client: Client, path: Path, text: str = BAD) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    uri = path.as_uri()
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(types.TextDocumentItem(uri=uri, language_id="python", version=1, text=text))
    )
    return uri


async def test_each_root_has_its_own_config_and_outside_files_are_analyzed(
    client_name: str, tmp_path: Path
) -> None:
    one, two = tmp_path / "one", tmp_path / "two"
    one.mkdir()
    two.mkdir()
    (two / ".coderev.toml").write_text('ignore = ["python.lsptest"]\n')
    client = await start(client_name, one, tmp_path / "cache", folders=[one, two])
    try:
        assert len(await client.diagnostics_for(_open(client, one / "a.py"), 1)) == 1
        assert await client.diagnostics_for(_open(client, two / "b.py"), 1) == []
        assert len(await client.diagnostics_for(_open(client, tmp_path / "elsewhere" / "c.py"), 1)) == 1

        # A watched configuration file changes: diagnostics follow without a restart.
        (one / ".coderev.toml").write_text('severity = { "python" = "hint" }\n')
        uri = (one / "a.py").as_uri()
        published = len(client.published)
        client.workspace_did_change_watched_files(
            types.DidChangeWatchedFilesParams(
                changes=[types.FileEvent(uri=(one / ".coderev.toml").as_uri(), type=types.FileChangeType.Created)]
            )
        )
        if client.pulls:
            await client.wait_until(lambda: any("reloading" in m.message for m in client.log_messages))
            [diag] = await client.diagnostics_for(uri, 1)
        else:
            await client.wait_until(lambda: any(p.uri == uri for p in client.published[published:]))
            [diag] = [p for p in client.published[published:] if p.uri == uri][-1].diagnostics
        assert diag.severity == types.DiagnosticSeverity.Hint
        # Registered before the first analysis (initialized): VS Code offers dynamic registration
        # and gets watchers for the configuration and rule files; Neovim 0.11 offers none, so
        # none is asked of it (it watches nothing; the change above was sent by hand).
        watchers = [r for r in client.registrations if r.method == types.WORKSPACE_DID_CHANGE_WATCHED_FILES]
        capability = client_capabilities(client_name).workspace
        assert capability is not None and capability.did_change_watched_files is not None
        if capability.did_change_watched_files.dynamic_registration:
            [registration] = watchers
            assert isinstance(registration.register_options, dict)
            assert [w["globPattern"] for w in registration.register_options["watchers"]] == [
                "**/.coderev.toml", "**/pyproject.toml", "**/*.yaml", "**/*.yml"]
        else:
            assert watchers == []
    finally:
        await stop(client)


async def test_json_log_file(client_name: str, workspace: Path, tmp_path: Path) -> None:
    log = tmp_path / "logs" / "server.jsonl"
    client = await start(client_name, workspace, tmp_path / "cache", server_args=["--log-file", str(log)])
    try:
        await client.diagnostics_for(client.open("log.py", BAD), 1)
    finally:
        await stop(client)
    records = [json.loads(line) for line in log.read_text().splitlines()]
    assert any(r["message"].startswith("settings:") and r["level"] == "info" for r in records)
    assert all({"time", "level", "logger", "message"} <= set(r) for r in records)
