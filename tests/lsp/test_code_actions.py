"""Quick-fixes, fix-all, suppress, dismiss (across edits and restarts), hover."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsprotocol import types

from coderev.engine.feedback import EventKind, FeedbackStore
from tests.lsp.conftest import RULE, Client, apply_text_edits, encoding_of, start, stop

pytestmark = pytest.mark.asyncio(loop_scope="session")

BAD = "import yaml\n\ndef load(stream):\n    return yaml.load(stream)\n"


async def _actions(
    client: Client, uri: str, diagnostics: list[types.Diagnostic], only: list[str] | None = None
) -> list[types.CodeAction]:
    rng = diagnostics[0].range if diagnostics else types.Range(types.Position(0, 0), types.Position(0, 0))
    result = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=rng,
            context=types.CodeActionContext(diagnostics=diagnostics, only=only),
        )
    )
    return [a for a in result or [] if isinstance(a, types.CodeAction)]


async def _resolved_edits(client: Client, action: types.CodeAction, uri: str) -> list[types.TextEdit]:
    if action.edit is None:
        action = await client.code_action_resolve_async(action)
    assert action.edit is not None and action.edit.changes is not None
    return list(action.edit.changes[uri])


async def _apply(client: Client, uri: str, text: str, version: int, edits: list[types.TextEdit]) -> str:
    ordered = sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True)
    client.change(uri, version, ordered)
    return apply_text_edits(text, edits, encoding_of(client))


async def test_quick_fix_removes_the_diagnostic_and_records_accept(fresh_client: Client, tmp_path: Path) -> None:
    client = fresh_client
    uri = client.open("fix.py", BAD)
    diags = await client.diagnostics_for(uri, 1)
    actions = await _actions(client, uri, diags)
    titles = [a.title for a in actions]
    assert titles == ["Fix: Use yaml.safe_load (verified)", f"Suppress {RULE} on this line",
                      f"Dismiss this {RULE} finding"]
    fix = actions[0]
    assert fix.kind == types.CodeActionKind.QuickFix and fix.is_preferred
    assert fix.command is not None and fix.command.command == "coderev.accept"
    text = await _apply(client, uri, BAD, 2, await _resolved_edits(client, fix, uri))
    assert "yaml.safe_load(stream)" in text
    await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command=fix.command.command, arguments=fix.command.arguments)
    )
    assert await client.diagnostics_for(uri, 2) == []
    await stop(client)  # the store is on disk: read it back as the learner would
    store = FeedbackStore.for_workspace(client.root, tmp_path / "cache")
    [event] = list(store.events())
    assert event.kind is EventKind.ACCEPT and event.rule_id == RULE and event.language == "python"
    assert "yaml" in event.context and event.fix is not None and event.fix["safe"] is True
    store.close()


async def test_fix_all_applies_safe_fixes(client: Client) -> None:
    text = BAD + "\nx = yaml.load(a)\ny = yaml.load_all(b)\n"
    uri = client.open("fixall.py", text)
    assert len(await client.diagnostics_for(uri, 1)) == 3
    actions = await _actions(client, uri, [], only=["source.fixAll"])
    [fix_all] = actions
    assert fix_all.kind == "source.fixAll.coderev"
    text = await _apply(client, uri, text, 2, await _resolved_edits(client, fix_all, uri))
    assert "yaml.load" not in text and text.count("safe_load") == 3
    assert await client.diagnostics_for(uri, 2) == []


async def test_suppress_inserts_the_comment_and_silences_the_finding(client: Client) -> None:
    uri = client.open("suppress.py", BAD)
    diags = await client.diagnostics_for(uri, 1)
    [suppress] = [a for a in await _actions(client, uri, diags) if a.title.startswith("Suppress")]
    edits = await _resolved_edits(client, suppress, uri)
    text = await _apply(client, uri, BAD, 2, edits)
    assert f"    # coderev: ignore[{RULE}]\n    return yaml.load(stream)" in text
    assert await client.diagnostics_for(uri, 2) == []


async def test_dismiss_survives_an_edit_above_and_a_restart(fresh_client: Client, tmp_path: Path) -> None:
    client = fresh_client
    text = BAD + "\nother = yaml.load(x)\n"
    uri = client.open("dismiss.py", text)
    diags = await client.diagnostics_for(uri, 1)
    assert len(diags) == 2
    [dismiss] = [a for a in await _actions(client, uri, diags[:1]) if a.title.startswith("Dismiss this ")]
    assert dismiss.command is not None and dismiss.command.command == "coderev.dismiss"
    await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command=dismiss.command.command, arguments=dismiss.command.arguments)
    )
    if client.pulls:
        assert [d.range.start.line for d in await client.diagnostics_for(uri, 1)] == [5]
    else:
        await client.wait_until(lambda: len(client.diagnostics[uri]) == 1)
    top = types.TextEdit(types.Range(types.Position(0, 0), types.Position(0, 0)), "# top\n\n")
    text = await _apply(client, uri, text, 2, [top])
    assert [d.range.start.line for d in await client.diagnostics_for(uri, 2)] == [7]
    await stop(client)

    again = await start(client.client_name, client.root, tmp_path / "cache")
    try:
        uri = again.open("dismiss.py", text)
        assert [d.range.start.line for d in await again.diagnostics_for(uri, 1)] == [7]
    finally:
        await stop(again)


async def test_hover_shows_the_rule_note(client: Client) -> None:
    uri = client.open("hover.py", BAD)
    await client.diagnostics_for(uri, 1)
    hover = await client.text_document_hover_async(
        types.HoverParams(text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(3, 16))
    )
    assert hover is not None and isinstance(hover.contents, types.MarkupContent)
    value = hover.contents.value
    assert hover.contents.kind == types.MarkupKind.Markdown
    lines = value.splitlines()
    # compact: header with the CWE link, the message once, the fix advice, then small headings
    assert lines[0] == (f"**coderev** `{RULE}` · error · [CWE-502](https://cwe.mitre.org/data/definitions/502.html)")
    assert lines[2].startswith("`yaml.load` without a safe Loader") and value.count(lines[2]) == 1
    assert lines[4] == "**Fix:** Use yaml.safe_load (Quick Fix on the finding; fix-all applies it)"
    assert lines[6] == ("Verified: parses; the finding is gone; no new finding; only the flagged property changed, "
                        "every other argument kept; the rule's vetted value.")
    assert [line for line in lines if line.startswith("#")] == [
        "#### Why is this bad", "#### Example", "#### References"]
    assert lines[-1].startswith("[Rule documentation](")
    nothing = await client.text_document_hover_async(
        types.HoverParams(text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(0, 0))
    )
    assert nothing is None


async def test_two_findings_on_a_line_give_distinct_dismiss_entries(client: Client) -> None:
    text = "import hashlib, yaml\n\ndef f(s):\n    return yaml.load(s), hashlib.md5(s)\n"
    uri = client.open("two.py", text)
    diags = await client.diagnostics_for(uri, 1)
    titles = [a.title for a in await _actions(client, uri, diags) if a.title.startswith("Dismiss")]
    assert len(titles) == len(set(titles)) == len(diags) >= 1
