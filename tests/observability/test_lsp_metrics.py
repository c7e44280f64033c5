"""The language server's ``--metrics-port``: the real server over stdio with the real packaged model
in-process, scraped with a real HTTP GET after an editing session; promtool accepts the scrape,
the series moved, labels are bounded. Without the option the server listens on no TCP port."""

from __future__ import annotations

import asyncio
import os
import re
import socket
import subprocess
import urllib.request
from pathlib import Path

import pytest
from lsprotocol import types
from prometheus_client.parser import text_string_to_metric_families

from tests.lsp.conftest import Client, dismiss, start, stop
from tests.lsp.test_model_features import BAD, YAML, _code_actions, options, ready
from tests.observability.conftest import tool

pytestmark = pytest.mark.asyncio(loop_scope="session")
Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _listening_ports(pid: int) -> set[int]:
    """TCP ports ``pid`` listens on: its socket inodes matched against /proc/net/tcp{,6} LISTEN rows."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    ports = set()
    for table in ("tcp", "tcp6"):
        for row in Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]:
            fields = row.split()
            if fields[3] == "0A" and fields[9] in inodes:  # 0A: LISTEN
                ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports


def _pid(client: Client) -> int:
    return int(client._server.pid)  # type: ignore[union-attr]  # pygls keeps the process private


def _scrape(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
        assert response.status == 200
        return str(response.read().decode("utf-8"))


def _samples(text: str) -> Samples:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for f in text_string_to_metric_families(text) for s in f.samples}


async def _until(port: int, check: str, deadline_s: float = 30.0) -> Samples:
    """Scrape until a series named ``check`` (name and labels, as in the text format) is present."""
    loop = asyncio.get_running_loop()
    end = loop.time() + deadline_s
    while True:
        text = await loop.run_in_executor(None, _scrape, port)
        if check in text:
            return _samples(text)
        assert loop.time() < end, f"{check} not in the scrape within {deadline_s}s"
        await asyncio.sleep(0.1)


async def test_metrics_port_exports_the_sessions_metrics(tmp_path: Path) -> None:
    port, workspace = _free_port(), tmp_path / "ws"
    workspace.mkdir()
    client = await start("neovim", workspace, tmp_path / "cache", options(tmp_path / "slots"),
                         server_args=["--metrics-port", str(port)])
    try:
        assert port in _listening_ports(_pid(client))
        await ready(client)
        uri = client.open("config_loader.py", BAD)
        [diagnostic] = [d for d in await client.diagnostics_for(uri, 1) if d.code == YAML]
        for _ in range(20):  # until the model's fix is in: the AI fix was timed then
            if [a for a in await _code_actions(client, uri, diagnostic) if a.title.startswith("AI fix")]:
                break
        accept = next(a for a in await _code_actions(client, uri, diagnostic)
                      if a.command is not None and a.command.command == "coderev.accept")
        assert accept.command is not None
        await client.workspace_execute_command_async(
            types.ExecuteCommandParams(command=accept.command.command, arguments=accept.command.arguments))
        await dismiss(client, uri, diagnostic)
        with pytest.raises(Exception, match="SYS004"):  # a malformed command: an error outcome
            await client.workspace_execute_command_async(
                types.ExecuteCommandParams(command="coderev.accept", arguments=[{"fingerprint": "x"}]))
        client.change((workspace / "never-opened.py").as_uri(), 2, [])  # ANA008, logged with its code
        samples = await _until(port, 'operation="ai_review"')
        text = _scrape(port)
    finally:
        await stop(client)
    checked = subprocess.run([tool("promtool"), "check", "metrics"], input=text, capture_output=True, text=True,
                             timeout=60, check=False)
    assert checked.returncode == 0, checked.stdout + checked.stderr

    def value(name: str, **labels: str) -> float:
        return samples.get((name, tuple(sorted(labels.items()))), 0.0)

    lsp = {"interface": "lsp"}
    assert value("coderev_requests_total", **lsp, endpoint="textDocument/diagnostic", outcome="ok") >= 1
    assert value("coderev_requests_total", **lsp, endpoint="textDocument/codeAction", outcome="ok") >= 2
    assert value("coderev_requests_total", **lsp, endpoint="coderev.accept", outcome="ok") == 1
    assert value("coderev_requests_total", **lsp, endpoint="coderev.accept", outcome="error") == 1
    assert value("coderev_request_duration_seconds_count", **lsp, endpoint="textDocument/didOpen") >= 1
    for operation in ("analysis", "ai_fix", "ai_review"):
        assert value("coderev_operation_duration_seconds_count", operation=operation) >= 1, operation
    for event in ("shown", "accept", "dismiss"):
        assert value("coderev_findings_total", family="insecure-deserialization", event=event) >= 1, event
    assert value("coderev_health_status", service="engine") == 1  # the in-process engine's own metrics
    assert value("coderev_breaker_state", state="closed") == 1
    assert value("coderev_tokens_generated_total", role="V2", task="fix") >= 1
    assert value("coderev_errors_total", code="ANA008") == 1
    for (_, labels), _v in samples.items():  # bounded: no URI, path or user text in any label
        for name, label in labels:
            assert re.fullmatch(r"[A-Za-z0-9_./+:-]{0,40}", label), (name, label)
            assert "config_loader" not in label and "file:" not in label


async def test_no_port_without_the_option(tmp_path: Path) -> None:
    (tmp_path / "ws").mkdir()
    client = await start("neovim", tmp_path / "ws", tmp_path / "cache")
    try:
        uri = client.open("plain.py", "import yaml\nyaml.load(s)\n")
        await client.diagnostics_for(uri, 1)
        assert _listening_ports(_pid(client)) == set()
    finally:
        await stop(client)
