"""Taint across files in the real server: a finding in one open document follows a helper in
another, as typed in the editor (not as saved), and is updated when the helper changes."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from lsprotocol import types

from tests.lsp.conftest import TIMEOUT, Client, start, stop

HELPER = "def passthrough(value):\n    return value.strip()\n"
APP = (
    "import os\nfrom flask import request\nfrom helpers.params import passthrough\n\n\n"
    "def run():\n    os.system(\"ls \" + passthrough(request.args[\"d\"]))\n"
)


def errors(diagnostics: list[types.Diagnostic]) -> list[int]:
    return [d.range.start.line for d in diagnostics if d.severity == types.DiagnosticSeverity.Error]


async def current(client: Client, uri: str, version: int, want: list[int]) -> list[types.Diagnostic]:
    """Diagnostics of ``uri`` once their error lines are ``want`` (pulled again, or pushed)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + TIMEOUT
    while True:
        if client.pulls:
            found = await client.diagnostics_for(uri, version)
        else:
            pushed = [p for p in client.published if p.uri == uri and p.version == version]
            found = list(pushed[-1].diagnostics) if pushed else []
        if errors(found) == want or loop.time() > deadline:
            return found
        await asyncio.sleep(0.05)


@pytest.mark.asyncio(loop_scope="session")
async def test_editing_a_helper_updates_the_open_caller(client_name: str, workspace: Path, tmp_path: Path) -> None:
    (workspace / "helpers").mkdir()
    (workspace / "helpers" / "__init__.py").write_text("", encoding="utf-8")
    client = await start(client_name, workspace, tmp_path / "cache", {"select": ["command-injection"], "ruleDirs": []})
    try:
        helper = client.open("helpers/params.py", HELPER)
        app = client.open("app.py", APP)
        first = await current(client, app, 1, [6])
        assert errors(first) == [6], "the helper passes the request value on to os.system"
        [sink] = [d for d in first if d.range.start.line == 6]
        assert sink.related_information is not None
        assert any(r.location.uri == helper for r in sink.related_information)
        # the user makes the helper a sanitizer, without saving: the caller's error goes away
        client.change(helper, 2, [types.TextEdit(
            types.Range(types.Position(1, 11), types.Position(1, 24)), "int(value)")])
        after = await current(client, app, 1, [])
        assert errors(after) == []
        assert (workspace / "helpers" / "params.py").read_text(encoding="utf-8") == HELPER  # the disk is untouched
    finally:
        await stop(client)
