"""Learning through the real server: a finding kind the user keeps dismissing is first shown as a
hint, then hidden, while other kinds stay as they were; accept events carry a training pair;
``coderev.resetLearning`` brings everything back."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsprotocol import types

from coderev.engine.feedback import EventKind, FeedbackStore
from tests.lsp.conftest import Client, dismiss, start, stop

pytestmark = pytest.mark.asyncio(loop_scope="session")

WEAK_HASH = "python.weak-crypto.weak-hash"
YAML_LOAD = "python.insecure-deserialization.yaml-load"
OPTIONS = {"select": [WEAK_HASH, YAML_LOAD], "ruleDirs": []}
TEXT = "import hashlib\nimport yaml\n\n" + "".join(
    f"def digest_{i}(data):\n    return hashlib.md5(data).hexdigest()\n\n" for i in range(12)
) + "".join(f"def load_{i}(stream):\n    return yaml.load(stream)\n\n" for i in range(3))


async def _current(client: Client, uri: str, check: object = None) -> list[types.Diagnostic]:
    """The document's diagnostics now: pulled, or the latest push once ``check`` holds."""
    if client.pulls:
        return await client.diagnostics_for(uri, 1)
    if callable(check):
        await client.wait_until(lambda: check(client.diagnostics.get(uri, [])))
    return list(client.diagnostics.get(uri, []))


def _of(diagnostics: list[types.Diagnostic], rule: str) -> list[types.Diagnostic]:
    return [d for d in diagnostics if d.code == rule]


async def test_a_kind_dismissed_again_and_again_becomes_a_hint_then_disappears(
    client_name: str, workspace: Path, tmp_path: Path
) -> None:
    client = await start(client_name, workspace, tmp_path / "cache", options=OPTIONS)
    try:
        uri = client.open("app.py", TEXT)
        diagnostics = await client.diagnostics_for(uri, 1)
        assert len(_of(diagnostics, WEAK_HASH)) == 12 and len(_of(diagnostics, YAML_LOAD)) == 3
        severities: list[set[types.DiagnosticSeverity | None]] = []
        for n in range(1, 9):
            await dismiss(client, uri, _of(diagnostics, WEAK_HASH)[0])
            diagnostics = await _current(client, uri, lambda ds, n=n: len(_of(ds, WEAK_HASH)) <= 12 - n)
            severities.append({d.severity for d in _of(diagnostics, WEAK_HASH)})
        # 3 dismissals: the family is demoted to hints; 8: hidden, 4 never-dismissed findings included
        assert severities[0] == {types.DiagnosticSeverity.Warning}
        assert types.DiagnosticSeverity.Hint in severities[2] | severities[3]
        assert _of(diagnostics, WEAK_HASH) == []
        kept = _of(diagnostics, YAML_LOAD)
        assert len(kept) == 3 and {d.severity for d in kept} != {types.DiagnosticSeverity.Hint}

        await client.workspace_execute_command_async(
            types.ExecuteCommandParams(command="coderev.resetLearning", arguments=[])
        )
        diagnostics = await _current(client, uri, lambda ds: len(_of(ds, WEAK_HASH)) == 4)
        assert len(_of(diagnostics, WEAK_HASH)) == 4  # the 8 dismissed ones stay dismissed
        assert {d.severity for d in _of(diagnostics, WEAK_HASH)} == {types.DiagnosticSeverity.Warning}
    finally:
        await stop(client)

    store = FeedbackStore.for_workspace(workspace, tmp_path / "cache")
    try:
        events = list(store.events(EventKind.DISMISS))
        assert len(events) == 8 and {e.category for e in events} == {"weak-crypto"}
        # the severity shown when dismissed: a demoted finding was dismissed as a hint
        assert {e.severity for e in events} <= {"warning", "hint"} and events[0].severity == "warning"
    finally:
        store.close()


async def test_an_accepted_fix_is_kept_as_a_training_pair(client_name: str, workspace: Path, tmp_path: Path) -> None:
    client = await start(client_name, workspace, tmp_path / "cache", options=OPTIONS)
    try:
        uri = client.open("pair.py", "import yaml\n\ndef load(stream):\n    return yaml.load(stream)\n")
        [diagnostic] = await client.diagnostics_for(uri, 1)
        result = await client.text_document_code_action_async(
            types.CodeActionParams(
                text_document=types.TextDocumentIdentifier(uri=uri),
                range=diagnostic.range,
                context=types.CodeActionContext(diagnostics=[diagnostic]),
            )
        )
        [fix] = [a for a in result or [] if isinstance(a, types.CodeAction) and a.title.startswith("Fix:")]
        assert fix.command is not None
        await client.workspace_execute_command_async(
            types.ExecuteCommandParams(command=fix.command.command, arguments=fix.command.arguments)
        )
    finally:
        await stop(client)
    store = FeedbackStore.for_workspace(workspace, tmp_path / "cache")
    try:
        [event] = list(store.events(EventKind.ACCEPT))
        assert event.origin == "template"
        assert event.before == "    return yaml.load(stream)\n"
        assert event.after == "    return yaml.safe_load(stream)\n"
    finally:
        store.close()
