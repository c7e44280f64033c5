"""Opening a repository never runs its code: a worker and a real language server started inside a
hostile workspace (one that holds coderev's own package path, the old pre-rename one, stand-ins
for ctranslate2 and sentencepiece, and sitecustomize/usercustomize files, each of which would leave
a marker) run none of it, and the packaged default slot still loads, answers and stays in V2."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types

from coderev.engine.model.slot import default_slot_path, prepare_fix
from coderev.engine.runtime.worker import InferenceWorker
from coderev.engine.slots.store import SlotStore
from tests.lsp.conftest import OPTIONS, ROOT, Client, make_client, stop

WAIT = 90.0  # a fresh worker process on a busy 2-core machine
YAML = "python.insecure-deserialization.yaml-load"
BAD = "import yaml\n\n\ndef load_config(stream):\n    return yaml.load(stream)\n"
# Every module a Python started in the workspace could pick up from there, and what each replaces.
HOSTILE = {
    "coderev/__init__.py": "",
    "coderev/engine/__init__.py": "",
    "coderev/engine/runtime/__init__.py": "",
    "coderev/engine/runtime/child.py": "raise SystemExit(3)\n",
    "engine/__init__.py": "",
    "engine/runtime/__init__.py": "",
    "engine/runtime/child.py": "raise SystemExit(3)\n",
    "ctranslate2.py": "raise ImportError('a workspace stand-in for ctranslate2')\n",
    "sentencepiece.py": "raise ImportError('a workspace stand-in for sentencepiece')\n",
    "sitecustomize.py": "",
    "usercustomize.py": "",
}


def hostile_workspace(root: Path, markers: Path) -> Path:
    """A workspace whose every module writes ``markers/<its path>`` when it is executed."""
    markers.mkdir(parents=True, exist_ok=True)
    for name, rest in HOSTILE.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        marker = markers / name.replace("/", "__")
        path.write_text(f"import pathlib\npathlib.Path({str(marker)!r}).write_text('ran')\n{rest}")
    return root


def test_a_worker_started_in_a_hostile_workspace_runs_none_of_its_code(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    markers = tmp_path / "markers"
    monkeypatch.chdir(hostile_workspace(tmp_path / "ws", markers))
    worker = InferenceWorker(default_slot_path(), slot_id="hostile")
    try:
        hello = worker.start()
        assert hello["device"] == "cpu"
        from coderev.analyzers import Analyzer, Document, get_language

        finding = Analyzer().analyze(Document(BAD, get_language("python")))[0]
        [answer] = worker.submit([prepare_fix(BAD, finding).prompt], 96).result(30)
        assert answer.strip(), "the packaged model answers"
    finally:
        worker.close()
    assert sorted(p.name for p in markers.iterdir()) == []


def _server_command() -> list[str]:
    """How the editors start the server: the ``coderev`` console script (Neovim, and VS Code's
    "fromEnvironment"), which never puts the working directory on its import path."""
    script = Path(sys.executable).with_name("coderev")
    return [str(script), "serve"] if script.exists() else [sys.executable, "-P", "-m", "coderev.server.lsp"]


async def _start_in(workspace: Path, tmp_path: Path, options: dict[str, Any]) -> Client:
    client = make_client()
    env = {**os.environ, "CODEREV_CACHE_DIR": str(tmp_path / "cache"), "PYTHONPATH": str(ROOT)}
    await client.start_io(*_server_command(), env=env, cwd=str(workspace))
    client.client_name, client.root = "visual-studio-code", workspace
    from pytest_lsp import client_capabilities

    await client.initialize_session(types.InitializeParams(
        capabilities=client_capabilities("visual-studio-code"), root_uri=workspace.as_uri(),
        workspace_folders=[types.WorkspaceFolder(uri=workspace.as_uri(), name=workspace.name)],
        initialization_options={**OPTIONS, **options}))
    return client


def _mode(client: Client) -> str | None:
    if not client.statuses:
        return None
    status = client.statuses[-1]
    return str(status._asdict()["mode"] if hasattr(status, "_asdict") else status["mode"])


@pytest.mark.asyncio(loop_scope="session")
async def test_a_server_opened_on_a_hostile_workspace_serves_the_default_slot_and_runs_nothing(
    tmp_path: Path
) -> None:
    markers = tmp_path / "markers"
    workspace = hostile_workspace(tmp_path / "ws", markers)
    store = tmp_path / "slots"
    client = await _start_in(workspace, tmp_path, {"model.enabled": True, "model.storePath": str(store),
                                                   "select": [], "ruleDirs": [], "ai.review": False})
    try:
        await client.wait_until(lambda: _mode(client) in ("ready", "fallback"), WAIT)
        assert _mode(client) == "ready", client.statuses[-1]
        uri = client.open("config_loader.py", BAD)
        [diagnostic] = [d for d in await client.diagnostics_for(uri, 1) if d.code == YAML]
        titles: list[str] = []
        for _ in range(40):  # the first requests may return before the model has answered
            result = await client.text_document_code_action_async(types.CodeActionParams(
                text_document=types.TextDocumentIdentifier(uri=uri), range=diagnostic.range,
                context=types.CodeActionContext(diagnostics=[diagnostic])))
            titles = [a.title for a in result or [] if a.title.startswith("AI fix")]
            if titles:
                break
            await asyncio.sleep(0.25)
        assert titles and "verified" in titles[0], "the default slot loaded in the worker and answered"
    finally:
        await stop(client)
    assert sorted(p.name for p in markers.iterdir()) == []
    reopened = SlotStore(store)
    production = reopened.production()
    assert production is not None and production.manifest["name"] == "coderev-default"
    assert reopened.quarantined() == []
    assert not [t for t in reopened.history() if t.action == "quarantine"]
