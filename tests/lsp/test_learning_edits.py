"""Learning sources through the real server: an accepted fix the user then edited is kept with
their final text once the file is saved (secrets masked), and ``coderev/status`` reports the
background learning scheduler."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types

from coderev.engine.feedback import EventKind, FeedbackStore
from coderev.engine.learning.pairs import training_pairs
from tests.lsp.conftest import CLIENTS, start, stop
from tests.lsp.test_model_features import _plain

pytestmark = pytest.mark.asyncio(loop_scope="session")

OPTIONS = {"select": ["python.insecure-deserialization.yaml-load"], "ruleDirs": []}
TEXT = "import yaml\n\n\ndef load(stream):\n    return yaml.load(stream)\n"


async def test_an_accepted_fix_edited_before_saving_is_kept_with_the_users_text(
    workspace: Path, tmp_path: Path
) -> None:
    client = await start(CLIENTS[0], workspace, tmp_path / "cache",
                         options={**OPTIONS, "learning.schedule": True, "learning.idleMinutes": 60})
    store = None
    try:
        uri = client.open("edit.py", TEXT)
        [diagnostic] = await client.diagnostics_for(uri, 1)
        actions = await client.text_document_code_action_async(types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri), range=diagnostic.range,
            context=types.CodeActionContext(diagnostics=[diagnostic])))
        [fix] = [a for a in actions or [] if isinstance(a, types.CodeAction) and a.title.startswith("Fix:")]
        assert fix.edit is not None and fix.edit.changes is not None and fix.command is not None
        client.change(uri, 2, fix.edit.changes[uri])  # the editor applies the fix, then runs its command
        await client.workspace_execute_command_async(
            types.ExecuteCommandParams(command=fix.command.command, arguments=fix.command.arguments))
        # the user rewrites the fixed line (and adds one), then saves
        line = types.Range(start=types.Position(line=4, character=0), end=types.Position(line=5, character=0))
        edited = "    loaded = yaml.safe_load(stream)\n    return loaded\n"
        client.change(uri, 3, [types.TextEdit(range=line, new_text=edited)])
        await client.diagnostics_for(uri, 3)
        client.text_document_did_save(
            types.DidSaveTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri)))
        store = FeedbackStore.for_workspace(workspace, tmp_path / "cache")
        await client.wait_until(lambda: store is not None and store.edits())
        [pair] = list(training_pairs(store))
        assert (pair.before, pair.after, pair.edited) == ("    return yaml.load(stream)\n", edited, True)
        [event] = list(store.events(EventKind.ACCEPT))
        assert event.after == "    return yaml.safe_load(stream)\n", "the accept itself is unchanged"

        async def scheduler_status() -> dict[str, Any]:
            learning = _plain(await client.protocol.send_request_async("coderev/status", None))["learning"]
            assert learning["schedule"] is True
            [root_status] = learning["roots"].values()
            return dict(root_status)

        deadline = time.monotonic() + 10
        while not (root_status := await scheduler_status()):  # its thread's first step is under way
            assert time.monotonic() < deadline
            await asyncio.sleep(0.02)
        assert root_status["state"] == "waiting" and root_status["reason"].startswith("the user is active")
        assert root_status["budget"]["allowed_s"] == 1800 and root_status["power"] in (
            "ac", "battery", "unknown (treated as AC)")
    finally:
        await stop(client)
        if store is not None:
            store.close()
    [written] = (tmp_path / "cache" / "learning").glob("*/scheduler.json")
    assert json.loads(written.read_text())["reason"].startswith("the user is active"), "closed: it says why"


async def test_the_language_servers_metrics_read_its_schedulers(tmp_path: Path) -> None:
    from dataclasses import replace

    from coderev.server.lsp.learning_schedule import LearningSchedules
    from coderev.server.lsp.metrics import LspMetrics
    from coderev.server.lsp.project import Project

    project = Project()
    project.set_roots([tmp_path])
    schedules = LearningSchedules(project)
    metrics = LspMetrics(lambda: None, learning=schedules)
    assert b"coderev_cost_usage_ratio" not in metrics.metrics.render(), "nothing while learning.schedule is off"
    settings = replace(project.settings, learning_schedule=True, cache_dir=str(tmp_path / "cache"))
    project.reload(settings)
    schedules.configure(settings)
    try:
        text = metrics.metrics.render().decode()
        assert "coderev_cost_usage_ratio 0.0" in text and "coderev_learning_enabled 1.0" in text
        assert "coderev_checkpoint_age_seconds" not in text, "no run in progress: no checkpoint to age"
    finally:
        schedules.close()
        project.close()
