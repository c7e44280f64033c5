"""Workspace scan: every file of the workspace, excludes respected, progress reported; and
``$/setTrace`` honoured."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsprotocol import types

from tests.lsp.conftest import Client, start, stop

pytestmark = pytest.mark.asyncio(loop_scope="session")

BAD = "import yaml\n\ndata = yaml.load(stream)\n"


def _ended(client: Client) -> bool:
    return any(isinstance(v, types.WorkDoneProgressEnd) for vs in client.progress_reports.values() for v in vs)


async def test_scan_reports_every_file_but_the_excluded(client_name: str, workspace: Path, tmp_path: Path) -> None:
    for name in ("a.py", "sub/b.py", "excluded/c.py", "ignored/d.py"):
        (workspace / name).parent.mkdir(parents=True, exist_ok=True)
        (workspace / name).write_text(BAD)
    (workspace / "e.py").write_bytes(b"\0\x01binary")
    (workspace / ".gitignore").write_text("ignored/\n")
    options = {"workspaceScan": "workspace", "exclude": ["excluded/"], "scanConcurrency": 2}
    client = await start(client_name, workspace, tmp_path / "cache", options)
    try:
        await client.wait_until(lambda: _ended(client))
        [reports] = list(client.progress_reports.values())
        assert isinstance(reports[0], types.WorkDoneProgressBegin)
        if client.pulls:
            report = await client.workspace_diagnostic_async(types.WorkspaceDiagnosticParams(previous_result_ids=[]))
            found = {Path(i.uri).name for i in report.items if i.items}
        else:
            found = {Path(p.uri).name for p in client.published if p.diagnostics}
        assert found == {"a.py", "b.py"}
        counts = await client.workspace_execute_command_async(
            types.ExecuteCommandParams(command="coderev.scanWorkspace", arguments=[])
        )
        assert counts == {"files": 3, "findings": 2, "skipped": 1}
    finally:
        await stop(client)


async def test_set_trace_enables_log_trace(fresh_client: Client) -> None:
    client = fresh_client
    traces: list[types.LogTraceParams] = []

    def on_trace(params: types.LogTraceParams) -> None:
        traces.append(params)

    client.feature(types.LOG_TRACE)(on_trace)
    client.set_trace(types.SetTraceParams(value=types.TraceValue.Messages))
    uri = client.open("t.py", BAD)
    await client.diagnostics_for(uri, 1)
    await client.wait_until(lambda: traces)
    assert "analyzed" in traces[0].message


async def test_scan_command_is_refused_when_the_scan_is_off(client_name: str, workspace: Path, tmp_path: Path) -> None:
    (workspace / "a.py").write_text(BAD)
    client = await start(client_name, workspace, tmp_path / "cache", {"workspaceScan": "off"})
    try:
        counts = await client.workspace_execute_command_async(
            types.ExecuteCommandParams(command="coderev.scanWorkspace", arguments=[])
        )
        assert counts == {"files": 0, "findings": 0, "skipped": 0}
        assert any("scan is off" in m.message for m in client.messages)
        assert not client.published
    finally:
        await stop(client)


async def test_a_pep263_file_is_scanned_with_positions_in_the_negotiated_encoding(
    client_name: str, workspace: Path, tmp_path: Path
) -> None:
    """A latin-1 file is decoded as Python decodes it (not skipped as invalid UTF-8), and its
    finding's column counts what the client negotiated: UTF-16 units (VS Code) or UTF-8 bytes."""
    prefix = "x = 'é'; data = "
    (workspace / "latin.py").write_bytes(
        ("# -*- coding: latin-1 -*-\nimport yaml\n" + prefix + "yaml.load(stream)\n").encode("latin-1"))
    client = await start(client_name, workspace, tmp_path / "cache", {"workspaceScan": "workspace"})
    try:
        counts = await client.workspace_execute_command_async(
            types.ExecuteCommandParams(command="coderev.scanWorkspace", arguments=[]))
        assert counts == {"files": 1, "findings": 1, "skipped": 0}
        if client.pulls:
            report = await client.workspace_diagnostic_async(types.WorkspaceDiagnosticParams(previous_result_ids=[]))
            [diagnostic] = [d for item in report.items for d in item.items]
        else:  # pushed as the scan goes: wait for it, the command's answer may come first
            uri = (workspace / "latin.py").as_uri()
            [diagnostic] = await client.wait_until(lambda: client.diagnostics.get(uri))  # the latest push
        encoded = len(prefix.encode("utf-8")) if client.pulls else len(prefix.encode("utf-16-le")) // 2
        assert (diagnostic.range.start.line, diagnostic.range.start.character) == (2, encoded)
    finally:
        await stop(client)
