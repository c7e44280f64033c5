"""Settings: initializationOptions, workspace/configuration + didChangeConfiguration, project
files, invalid values shown to the user, and the generated settings docs."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsprotocol import types
from pytest_lsp import client_capabilities

from tests.lsp.conftest import RULE, Client, start, stop

pytestmark = pytest.mark.asyncio(loop_scope="session")

BAD = "import yaml\n\ndata = yaml.load(stream)\n"


def _settings_applied(client: Client) -> int:
    return sum(1 for m in client.log_messages if m.message.startswith("settings:"))


async def test_configuration_change_refreshes_diagnostics(fresh_client: Client) -> None:
    client = fresh_client
    uri = client.open("cfg.py", BAD)
    ident = types.TextDocumentIdentifier(uri=uri)
    assert len(await client.diagnostics_for(uri, 1)) == 1
    before = await client.text_document_diagnostic_async(types.DocumentDiagnosticParams(text_document=ident))
    published, applied = len(client.published), _settings_applied(client)
    client.set_configuration({"ignore": [RULE], "debounceMs": 10}, section="coderev")
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
    if client.pulls:  # Neovim 0.11 has no refresh support: its next pull sees the new generation
        await client.wait_until(lambda: _settings_applied(client) > applied)
        report = await client.text_document_diagnostic_async(
            types.DocumentDiagnosticParams(text_document=ident, previous_result_id=before.result_id)
        )
        assert isinstance(report, types.RelatedFullDocumentDiagnosticReport) and not report.items
    else:
        await client.wait_until(lambda: len(client.published) > published and client.published[-1].uri == uri)
        assert not client.published[-1].diagnostics


async def test_pull_client_with_refresh_support_is_asked_to_refresh(workspace: Path, tmp_path: Path) -> None:
    caps = client_capabilities("neovim")
    assert caps.workspace is not None
    caps.workspace.diagnostics = types.DiagnosticWorkspaceClientCapabilities(refresh_support=True)
    client = await start("neovim", workspace, tmp_path / "cache", capabilities=caps)
    try:
        client.open("r.py", BAD)
        client.set_configuration({"ignore": [RULE]}, section="coderev")
        client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
        await client.wait_until(lambda: client.diagnostic_refresh_count > 0)
    finally:
        await stop(client)


async def test_project_file_and_invalid_settings_are_applied_and_shown(
    client_name: str, workspace: Path, tmp_path: Path
) -> None:
    (workspace / "pyproject.toml").write_text('[tool.coderev]\nseverity = { "python" = "hint" }\n')
    client = await start(client_name, workspace, tmp_path / "cache", {"debounceMs": "fast", "runMode": "never"})
    try:
        await client.wait_until(lambda: len(client.messages) >= 2)
        shown = [m.message for m in client.messages]
        assert all(m.startswith("SYS001") for m in shown)
        assert any("debounceMs" in m for m in shown) and any("runMode" in m for m in shown)
        assert any(m.message.startswith("SYS001") for m in client.log_messages)
        uri = client.open("p.py", BAD)
        [diag] = await client.diagnostics_for(uri, 1)
        assert diag.severity == types.DiagnosticSeverity.Hint
    finally:
        await stop(client)


async def test_run_mode_on_save(client_name: str, workspace: Path, tmp_path: Path) -> None:
    client = await start(client_name, workspace, tmp_path / "cache", {"runMode": "onSave", "debounceMs": 0})
    try:
        uri = client.open("save.py", "import yaml\n")
        assert await client.diagnostics_for(uri, 1) == []
        edit = types.TextEdit(types.Range(types.Position(1, 0), types.Position(1, 0)), "yaml.load(s)\n")
        client.change(uri, 2, [edit])
        client.text_document_did_save(types.DidSaveTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri)))
        assert len(await client.diagnostics_for(uri, 2)) == 1
    finally:
        await stop(client)


async def test_unknown_keys_and_selectors_are_shown_and_the_rest_applied(
    client_name: str, workspace: Path, tmp_path: Path
) -> None:
    (workspace / ".coderev.toml").write_text('selekt = ["x"]\n[severity]\n"python.lsptest" = "hint"\n')
    client = await start(client_name, workspace, tmp_path / "cache", {"ignore": ["pyhton"]})
    try:
        await client.wait_until(lambda: len(client.messages) >= 2)
        shown = sorted(m.message for m in client.messages)
        assert len(shown) == 2, shown
        assert shown[0].startswith("SYS001") and "unknown key 'selekt' (did you mean 'select'?)" in shown[0]
        assert "ignore 'pyhton' matches no rule (did you mean 'python'" in shown[1]
        uri = client.open("p.py", BAD)
        [diag] = await client.diagnostics_for(uri, 1)
        assert diag.severity == types.DiagnosticSeverity.Hint  # the known keys still apply
    finally:
        await stop(client)
