"""Diagnostics end to end: open, fast typing, pull ``unchanged``, position encodings."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException

from coderev.server.lsp.convert import RULE_DOC_URL
from tests.lsp.conftest import RULE, Client, apply_text_edits, encoding_of, expected, keys, start, stop

pytestmark = pytest.mark.asyncio(loop_scope="session")

BAD = "import yaml\n\ndata = yaml.load(stream)\n"


async def test_open_reports_diagnostics_with_code_link_and_data(client: Client) -> None:
    uri = client.open("a.py", BAD)
    [diag] = await client.diagnostics_for(uri, 1)
    assert diag.code == RULE
    assert diag.source == "coderev"
    assert diag.code_description is not None
    assert diag.code_description.href == RULE_DOC_URL.format(rule_id=RULE)
    assert diag.severity == types.DiagnosticSeverity.Error
    assert diag.range == types.Range(types.Position(2, 7), types.Position(2, 24))
    assert isinstance(diag.data, dict)
    assert diag.data["ruleId"] == RULE and len(diag.data["fingerprint"]) == 20
    assert diag.data["fix"]["safe"] is True
    assert diag.data["fix"]["edits"][0]["newText"] == "safe_load"


@pytest.mark.parametrize("debounce", [10, 0])
async def test_fast_typing_ends_with_the_fresh_analysis_of_the_final_text(
    client: Client, client_name: str, tmp_path: Path, debounce: int
) -> None:
    if debounce != 10:  # the shared server debounces 10 ms; without debounce every edit is analyzed
        client = await start(client_name, client.root, tmp_path / "cache", {"debounceMs": debounce})
    try:
        await _type_fast(client)
    finally:
        if debounce != 10:
            await stop(client)


async def _type_fast(client: Client) -> None:
    text = "import yaml\n\n"
    uri = client.open("typing.py", text)
    await client.diagnostics_for(uri, 1)
    texts = {1: text}
    typed = "x = yaml.load(s)\n" * 3
    version = 1
    for ch in typed[:50]:  # 50 one-character edits, sent without waiting
        end = text.count("\n")
        col = len(text.rsplit("\n", 1)[-1])
        edit = types.TextEdit(range=types.Range(types.Position(end, col), types.Position(end, col)), new_text=ch)
        text = apply_text_edits(text, [edit], encoding_of(client))
        version += 1
        texts[version] = text
        client.change(uri, version, [edit])
    final = await client.diagnostics_for(uri, version)
    assert keys(final) == sorted(expected(text, encoding_of(client)))
    assert len(final) == 3
    # Push: every publication describes the text of its own version, and versions only grow.
    mine = [p for p in client.published if p.uri == uri]
    assert [p.version for p in mine] == sorted(p.version for p in mine)
    for params in mine:
        assert params.version is not None
        assert keys(list(params.diagnostics)) == sorted(expected(texts[params.version], encoding_of(client)))


async def test_pull_answers_unchanged_until_the_document_changes(client: Client) -> None:
    uri = client.open("pull.py", BAD)
    ident = types.TextDocumentIdentifier(uri=uri)
    first = await client.text_document_diagnostic_async(types.DocumentDiagnosticParams(text_document=ident))
    assert isinstance(first, types.RelatedFullDocumentDiagnosticReport)
    assert first.result_id
    again = await client.text_document_diagnostic_async(
        types.DocumentDiagnosticParams(text_document=ident, previous_result_id=first.result_id)
    )
    assert isinstance(again, types.RelatedUnchangedDocumentDiagnosticReport)
    assert again.result_id == first.result_id
    client.change(uri, 2, [types.TextEdit(types.Range(types.Position(0, 0), types.Position(0, 0)), "\n")])
    changed = await client.text_document_diagnostic_async(
        types.DocumentDiagnosticParams(text_document=ident, previous_result_id=first.result_id)
    )
    assert isinstance(changed, types.RelatedFullDocumentDiagnosticReport)
    assert changed.result_id != first.result_id
    assert [d.range.start.line for d in changed.items] == [3]


async def test_workspace_diagnostic_lists_open_documents(client: Client) -> None:
    uri = client.open("ws.py", BAD)
    report = await client.workspace_diagnostic_async(types.WorkspaceDiagnosticParams(previous_result_ids=[]))
    [item] = [i for i in report.items if i.uri == uri]
    assert isinstance(item, types.WorkspaceFullDocumentDiagnosticReport)
    assert [d.code for d in item.items] == [RULE]
    assert item.version == 1


async def test_positions_use_the_negotiated_encoding(client: Client) -> None:
    # "é" is 1 UTF-16 unit and 2 UTF-8 bytes; "😀" is 2 UTF-16 units and 4 UTF-8 bytes.
    text = "import yaml\nx = 'é😀'; data = yaml.load(s)\n"
    uri = client.open("enc.py", text)
    [diag] = await client.diagnostics_for(uri, 1)
    start = diag.range.start.character
    assert start == (21 if encoding_of(client) == "utf-8" else 18)


async def test_closing_clears_the_documents_diagnostics(client: Client) -> None:
    """Push: an empty publication clears the editor's list. Pull: the server forgets the document
    (a pull for it is ANA008, the workspace report leaves it out) and never pushes."""
    uri = client.open("close.py", BAD)
    assert len(await client.diagnostics_for(uri, 1)) == 1
    client.text_document_did_close(
        types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri))
    )
    if not client.pulls:
        await client.wait_until(lambda: client.published[-1].uri == uri and not client.published[-1].diagnostics)
        return
    # requests are handled in order, so both answers come after the close was applied
    with pytest.raises(JsonRpcException, match="ANA008"):
        await client.text_document_diagnostic_async(
            types.DocumentDiagnosticParams(text_document=types.TextDocumentIdentifier(uri=uri)))
    report = await client.workspace_diagnostic_async(types.WorkspaceDiagnosticParams(previous_result_ids=[]))
    assert [item.uri for item in report.items if item.uri == uri] == []
    assert [p for p in client.published if p.uri == uri] == [], "a pull client gets no publishDiagnostics"


async def test_cancel_request_is_honoured(client: Client) -> None:
    text = "import yaml\n" + "def f(x):\n    return yaml.load(x)\n" * 3_000  # analysis takes a while
    uri = client.open("cancel.py", text)
    params = types.DocumentDiagnosticParams(text_document=types.TextDocumentIdentifier(uri=uri))
    pending = asyncio.ensure_future(
        client.protocol.send_request_async(types.TEXT_DOCUMENT_DIAGNOSTIC, params, msg_id="cancel-me")
    )
    await asyncio.sleep(0)  # let the request go out first (ordering, not timing)
    client.cancel_request(types.CancelParams(id="cancel-me"))
    with pytest.raises(JsonRpcException, match="cancel"):
        await pending
    assert len(await client.diagnostics_for(uri, 1)) == 3_000  # the server goes on working
