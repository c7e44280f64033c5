"""A hostile workspace meets the real server: a project file that points rule-dirs outside the
workspace, special files named like sources. Nothing is read from outside, nothing hangs."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from lsprotocol import types

from tests.lsp.conftest import RULES, start, stop

pytestmark = pytest.mark.asyncio(loop_scope="session")

BAD = "import yaml\n\ndata = yaml.load(stream)\n"


def _outside_rules(tmp_path: Path) -> Path:
    outside = tmp_path / "outside"
    outside.mkdir()
    text = (RULES / "python" / "lsptest-yaml-load.yaml").read_text()
    (outside / "r.yaml").write_text(text.replace("id: python.lsptest.yaml-load", "id: python.lsptest.outside"))
    return outside


async def test_a_project_file_cannot_load_rules_from_outside_the_workspace(
    client_name: str, workspace: Path, tmp_path: Path
) -> None:
    outside = _outside_rules(tmp_path)
    (workspace / ".coderev.toml").write_text(f'rule-dirs = ["../outside", "{outside}", "rules"]\n')
    shutil.copytree(RULES, workspace / "rules")
    client = await start(client_name, workspace, tmp_path / "cache", {"ruleDirs": []})
    try:
        await client.wait_until(lambda: len(client.messages) >= 2)
        shown = [m.message for m in client.messages]
        assert all(m.startswith("SYS001") and "outside the project" in m for m in shown), shown
        uri = client.open("a.py", BAD)
        diagnostics = await client.diagnostics_for(uri, 1)
        # the rule directory inside the workspace is loaded, the two outside it are not
        assert [d.code for d in diagnostics] == ["python.lsptest.yaml-load"]
    finally:
        await stop(client)


async def test_the_editors_own_settings_may_name_a_rule_directory_anywhere(
    client_name: str, workspace: Path, tmp_path: Path
) -> None:
    outside = _outside_rules(tmp_path)
    client = await start(client_name, workspace, tmp_path / "cache", {"ruleDirs": [str(outside)]})
    try:
        uri = client.open("a.py", BAD)
        diagnostics = await client.diagnostics_for(uri, 1)
        assert [d.code for d in diagnostics] == ["python.lsptest.outside"]
    finally:
        await stop(client)


@pytest.mark.skipif(not hasattr(os, "mkfifo") or not Path("/dev/zero").exists(), reason="needs FIFOs and /dev/zero")
async def test_special_files_in_the_workspace_scan_are_skipped(
    client_name: str, workspace: Path, tmp_path: Path
) -> None:
    os.mkfifo(workspace / "fifo.py")
    (workspace / "zero.py").symlink_to("/dev/zero")
    (workspace / "a.py").write_text(BAD)
    client = await start(client_name, workspace, tmp_path / "cache", {"workspaceScan": "workspace"})
    try:
        counts = await client.workspace_execute_command_async(
            types.ExecuteCommandParams(command="coderev.scanWorkspace", arguments=[])
        )
        assert counts == {"files": 3, "findings": 1, "skipped": 2}
        assert any("ANA011" in m.message for m in client.log_messages)
    finally:
        await stop(client)


