"""A pathological file through the real server (issue 15): the server keeps answering while it
is analyzed, and a file over its time budget shows an ANA010 diagnostic instead of stalling."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types

from tests.lsp.conftest import start, stop
from tests.test_analysis_limits import GO_CHAIN

pytestmark = pytest.mark.asyncio(loop_scope="session")
ALL_RULES: dict[str, Any] = {"select": [], "ruleDirs": []}


async def test_the_server_answers_while_a_32k_term_go_expression_is_analyzed(
    client_name: str, workspace: Path, tmp_path: Path
) -> None:
    """Hang guard: one C call matched this file for 24 s with the GIL held, so a status request
    sent meanwhile was answered only after it."""
    client = await start(client_name, workspace, tmp_path / "cache", options=ALL_RULES)
    try:
        loop = asyncio.get_running_loop()
        uri = client.open("chain.go", GO_CHAIN, "go")
        slowest = 0.0
        for _ in range(10):  # spread over the analysis
            sent = loop.time()
            await asyncio.wait_for(client.protocol.send_request_async("coderev/status", None), 30)
            slowest = max(slowest, loop.time() - sent)
            await asyncio.sleep(0.1)
        diagnostics = await client.diagnostics_for(uri, 1)
        assert all(d.code == "ANA010" for d in diagnostics)  # no finding; at most a skip on a slow machine
        assert slowest < 5.0
    finally:
        await stop(client)


async def test_a_file_over_its_budget_gets_an_ana010_diagnostic(
    client_name: str, workspace: Path, tmp_path: Path
) -> None:
    options = {**ALL_RULES, "fileBudgetSeconds": 0.001}
    client = await start(client_name, workspace, tmp_path / "cache", options=options)
    try:
        uri = client.open("chain.go", GO_CHAIN, "go")
        diagnostics = await client.diagnostics_for(uri, 1)
        skips = [d for d in diagnostics if d.code == "ANA010"]
        assert skips and all(d.severity == types.DiagnosticSeverity.Information for d in skips)
        [function] = [d for d in skips if d.range.start.line == 2]
        assert function.range.end.line == 2 and "f (lines 3-6)" in function.message
        assert "fileBudgetSeconds" in function.message
        await client.wait_until(lambda: any(m.message.startswith("ANA010") for m in client.log_messages))
    finally:
        await stop(client)
