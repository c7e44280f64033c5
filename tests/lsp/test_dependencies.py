"""Vulnerable dependencies in the editor: the real server over stdio, VS Code (push, UTF-16) and
Neovim (pull, UTF-8) capabilities, with a data directory holding the test advisories."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsprotocol import types

from coderev.analyzers.deps.database import import_paths
from tests.lsp.conftest import Client, apply_text_edits, encoding_of, start, stop

pytestmark = pytest.mark.asyncio(loop_scope="session")

OSV = Path(__file__).resolve().parents[1] / "data" / "osv"
RULE = "deps.vulnerable-dependency"
REQUIREMENTS = "flask>=2.0\njinja2==2.10  # templates\n"
LOCK = """lodash@^4.17.15:
  version "4.17.20"
  resolved "https://registry.yarnpkg.com/lodash/-/lodash-4.17.20.tgz#b44a9b6297bcb698f1c51a3545a2b3b368d59c52"
"""


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CODEREV_DATA_DIR", str(tmp_path / "data"))  # the server inherits it
    import_paths([OSV])
    return tmp_path / "data"


async def _actions(client: Client, uri: str, diagnostic: types.Diagnostic) -> list[types.CodeAction]:
    result = await client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=uri), range=diagnostic.range,
        context=types.CodeActionContext(diagnostics=[diagnostic]),
    ))
    return [a for a in result or [] if isinstance(a, types.CodeAction)]


async def test_a_vulnerable_pin_is_a_diagnostic_on_its_version_with_a_verified_bump(
    client_name: str, workspace: Path, tmp_path: Path, data_dir: Path
) -> None:
    client = await start(client_name, workspace, tmp_path / "cache", options={"select": [RULE]})
    try:
        uri = client.open("requirements.txt", REQUIREMENTS, language_id="pip-requirements")
        (diagnostic,) = await client.diagnostics_for(uri, 1)
        assert diagnostic.code == RULE and diagnostic.severity == types.DiagnosticSeverity.Error
        assert (diagnostic.range.start.line, diagnostic.range.start.character, diagnostic.range.end.character) == (
            1, 8, 12)
        assert "PYSEC-2019-217 (CVE-2019-10906, GHSA-462w-v97r-4m45; HIGH; fixed in 2.10.1)" in diagnostic.message
        actions = await _actions(client, uri, diagnostic)
        assert [a.title for a in actions] == ["Fix: Bump jinja2 to 2.11.3 (verified)", f"Dismiss this {RULE} finding"]
        bump = actions[0]
        assert bump.kind == types.CodeActionKind.QuickFix and not bump.is_preferred  # a new version: review it
        assert bump.edit is not None and bump.edit.changes is not None
        (edit,) = bump.edit.changes[uri]
        assert (edit.range.start.line, edit.range.start.character, edit.range.end.character, edit.new_text) == (
            1, 8, 12, "2.11.3")  # the version only
        text = apply_text_edits(REQUIREMENTS, [edit], encoding_of(client))
        assert text == "flask>=2.0\njinja2==2.11.3  # templates\n"
        client.change(uri, 2, [edit])
        assert await client.diagnostics_for(uri, 2) == []
    finally:
        await stop(client)


async def test_a_lock_file_is_reported_without_a_bump(
    client_name: str, workspace: Path, tmp_path: Path, data_dir: Path
) -> None:
    client = await start(client_name, workspace, tmp_path / "cache", options={"select": [RULE]})
    try:
        uri = client.open("yarn.lock", LOCK, language_id="yarnlock")
        (diagnostic,) = await client.diagnostics_for(uri, 1)
        assert (diagnostic.range.start.line, diagnostic.range.start.character) == (1, 11)
        assert "GHSA-35jh-r3h4-6jhm (CVE-2021-23337; HIGH 7.2; fixed in 4.17.21)" in diagnostic.message
        assert "regenerate yarn.lock" in diagnostic.message
        titles = [a.title for a in await _actions(client, uri, diagnostic)]
        assert titles == [f"Suppress {RULE} on this line", f"Dismiss this {RULE} finding"]  # no bump: the tool's job
        broken = client.open("package-lock.json", '{"packages": {', language_id="json")
        assert await client.diagnostics_for(broken, 1) == []  # a broken lock file costs nothing but its findings
    finally:
        await stop(client)
