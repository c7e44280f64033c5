"""Data-flow traces in the editor: ``relatedInformation`` (one location per step, in the client's
position encoding, another file's columns read from that file) only for clients that accept it,
the flow and evidence in the hover, and one run through the real server."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsprotocol import types
from pytest_lsp import client_capabilities

from coderev.analyzers import Document, PositionEncoding, Snapshot, get_language
from coderev.analyzers.finding import Evidence, TraceStep
from coderev.server.lsp import convert, hover
from coderev.server.lsp.app import create_server
from coderev.server.lsp.diagnostic_cache import DiagnosticCache
from coderev.server.lsp.trace import TraceContext, client_accepts, context_for
from tests.lsp.conftest import start, stop
from tests.test_trace_reports import APP, HELPER_STEP, HELPERS, SINK_STEP, SOURCE_STEP, finding, span_of

MAX = 1 << 20


def snapshot(encoding: PositionEncoding) -> Snapshot:
    return Document(APP, get_language("python"), encoding=encoding).snapshot()


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "helpers").mkdir()
    (tmp_path / "app.py").write_text(APP, encoding="utf-8")
    (tmp_path / "helpers" / "db.py").write_text(HELPERS, encoding="utf-8")
    return tmp_path


def _range(r: types.Range) -> tuple[int, int, int, int]:
    return (r.start.line, r.start.character, r.end.line, r.end.character)


def test_the_capability_is_read_from_publish_diagnostics_or_pull_diagnostics() -> None:
    assert client_accepts(client_capabilities("visual-studio-code"))
    assert client_accepts(client_capabilities("neovim"))  # pulls, and declares it under publishDiagnostics
    assert not client_accepts(types.ClientCapabilities())
    plain = types.TextDocumentClientCapabilities(
        publish_diagnostics=types.PublishDiagnosticsClientCapabilities(related_information=False)
    )
    assert not client_accepts(types.ClientCapabilities(text_document=plain))
    pulled = types.TextDocumentClientCapabilities(
        diagnostic=types.DiagnosticClientCapabilities(related_information=True)
    )
    assert client_accepts(types.ClientCapabilities(text_document=pulled))


@pytest.mark.parametrize(
    ("encoding", "helper"),
    [(PositionEncoding.UTF16, (2, 21, 2, 26)), (PositionEncoding.UTF32, (2, 20, 2, 25)),
     (PositionEncoding.UTF8, (2, 23, 2, 28))],
)
def test_each_step_becomes_a_related_location_in_the_client_encoding(
    folder: Path, encoding: PositionEncoding, helper: tuple[int, int, int, int]
) -> None:
    snap = snapshot(encoding)
    uri = (folder / "app.py").as_uri()
    context = TraceContext(uri, folder, encoding, MAX)
    diagnostic = convert.diagnostic(finding(), snap, context)
    related = diagnostic.related_information
    assert related is not None
    assert [r.message for r in related] == [
        'source: request.args.get("q")', "bound to `sql`", "returned by clean() (parameter value)",
        "sink: cursor.execute(...)",
    ]
    assert [r.location.uri for r in related] == [uri, uri, (folder / "helpers" / "db.py").as_uri(), uri]
    source_end = 29 if encoding is not PositionEncoding.UTF8 else 30  # `ü` is 1 unit, 2 bytes
    source_start = source_end - 21
    assert _range(related[0].location.range) == (3, source_start, 3, source_end)
    assert _range(related[2].location.range) == helper
    assert _range(related[3].location.range) == (5, 4, 5, 23)
    assert isinstance(diagnostic.data, dict) and diagnostic.data["evidence"] == "source"


def test_another_file_is_read_as_the_engine_read_it_an_open_buffer_first(folder: Path) -> None:
    typed = HELPERS.replace('"😀"', '"😀😀"')  # unsaved: two more UTF-16 units before `value`
    helper = folder / "helpers" / "db.py"
    asked: list[Path] = []

    def text_of(path: Path) -> bytes | None:
        asked.append(path)
        return typed.encode("utf-8") if path == helper else None

    snap = snapshot(PositionEncoding.UTF16)
    in_buffer = TraceStep("returned by clean()", span_of(typed, "value", 1), "helpers/db.py")  # as the engine saw it
    buffered = TraceContext("file:///app.py", folder, PositionEncoding.UTF16, MAX, text_of=text_of)
    related = convert.diagnostic(finding((SOURCE_STEP, in_buffer, SINK_STEP)), snap, buffered).related_information
    assert related is not None and _range(related[1].location.range) == (2, 23, 2, 28)
    assert asked == [helper]
    on_disk = TraceContext("file:///app.py", folder, PositionEncoding.UTF16, MAX, text_of=lambda _: None)
    related = convert.diagnostic(finding(), snap, on_disk).related_information
    assert related is not None and _range(related[2].location.range) == (2, 21, 2, 26)  # None: the saved file


def test_without_the_capability_there_is_no_related_information(folder: Path) -> None:
    diagnostic = convert.diagnostic(finding(), snapshot(PositionEncoding.UTF16))
    assert diagnostic.related_information is None
    assert isinstance(diagnostic.data, dict)
    assert diagnostic.data["evidence"] == "source"  # still in the data the code actions read
    untraced = convert.diagnostic(
        finding(trace=(), evidence=None), snapshot(PositionEncoding.UTF16),
        TraceContext("file:///x.py", folder, PositionEncoding.UTF16, MAX),
    )
    assert untraced.related_information is None and isinstance(untraced.data, dict)
    assert "evidence" not in untraced.data


def test_the_server_converts_traces_only_for_a_client_that_accepts_them(folder: Path) -> None:
    server = create_server()
    snap, found, uri = snapshot(PositionEncoding.UTF16), [finding()], (folder / "app.py").as_uri()
    assert not server.client.related_information  # until initialize reads the capabilities
    assert server.trace_context(uri, folder, folder / "app.py", snap, found) is None
    server.client.related_information = True
    in_root = server.trace_context(uri, folder, folder / "app.py", snap, found)
    assert in_root is not None and in_root.base == folder
    outside = server.trace_context(uri, None, folder / "helpers" / "db.py", snap, found)
    assert outside is not None and outside.base == folder / "helpers"  # no workspace folder: the file's own


def test_a_file_that_cannot_be_read_gives_the_row_at_character_0(folder: Path) -> None:
    gone = TraceStep("passed to run() (parameter cmd)", HELPER_STEP.span, "helpers/gone.py")
    (folder / "helpers" / "fifo.py").mkdir()  # a directory: not a regular file
    odd = TraceStep("passed to f()", HELPER_STEP.span, "helpers/fifo.py")
    context = TraceContext("file:///app.py", folder, PositionEncoding.UTF16, MAX)
    diagnostic = convert.diagnostic(
        finding((SOURCE_STEP, gone, odd, SINK_STEP)), snapshot(PositionEncoding.UTF16), context
    )
    assert diagnostic.related_information is not None
    assert [_range(r.location.range) for r in diagnostic.related_information[1:3]] == [(2, 0, 2, 0)] * 2
    untitled = TraceContext("untitled:1", None, PositionEncoding.UTF16, MAX)  # nowhere to resolve other files
    kept = convert.diagnostic(finding(), snapshot(PositionEncoding.UTF16), untitled)
    assert kept.related_information is not None
    assert [r.message for r in kept.related_information] == [
        'source: request.args.get("q")', "bound to `sql`", "sink: cursor.execute(...)",
    ]


def test_the_diagnostic_cache_keeps_traces_and_sees_them_change(folder: Path) -> None:
    snap = snapshot(PositionEncoding.UTF16)
    cache = DiagnosticCache()
    found = finding()
    uri = (folder / "app.py").as_uri()
    context = context_for(uri, folder, snap, [found], MAX)
    assert context is not None
    (first,) = cache.diagnostics([found], snap, context)
    (again,) = cache.diagnostics([found], snap, context_for(uri, folder, snap, [found], MAX))
    assert again is first and first.related_information is not None and len(first.related_information) == 4
    relabelled = finding((SOURCE_STEP, TraceStep("assigned to `sql`", span_of(APP, "sql")), SINK_STEP))
    (changed,) = cache.diagnostics([relabelled], snap, context_for(uri, folder, snap, [relabelled], MAX))
    assert changed is not first and changed.related_information is not None
    assert [r.message for r in changed.related_information][1] == "assigned to `sql`"
    assert context_for(uri, folder, snap, [finding(trace=())], MAX) is None


def test_hover_lists_the_flow_and_the_evidence() -> None:
    text = hover.render(finding(), None)
    assert (
        '**Flow:** source: request.args.get("q") (line 4) → bound to `sql` (line 5) → '
        "returned by clean() (parameter value) (helpers/db.py:3) → sink: cursor.execute(...) (line 6)"
    ) in text
    assert "**Evidence:** untrusted source reaches this sink" in text
    weak = hover.render(finding(trace=(SINK_STEP,), evidence=Evidence.NON_CONSTANT), None)
    assert "**Evidence:** non-constant value, no untrusted source traced" in weak
    plain = hover.render(finding(trace=(), evidence=None), None)
    assert "**Flow:**" not in plain and "**Evidence:**" not in plain
    starred = hover.render(finding((TraceStep("source: a*b*c `x*y`", SOURCE_STEP.span),)), None)
    assert r"source: a\*b\*c `x*y` (line 4)" in starred  # markup escaped, code kept


FLASK = (
    'from flask import request\n\n\ndef search(cursor):\n'
    '    q = request.args.get("q")\n    cursor.execute("SELECT " + q)\n'
)


HELPER_SOURCE = 'from flask import request\n\n\ndef user_query():\n    return request.args.get("q")\n'
CROSS = (
    "from helpers.db import user_query\n\n\ndef search(cursor):\n"
    '    q = user_query()\n    cursor.execute("SELECT " + q)\n'
)


@pytest.mark.asyncio(loop_scope="session")
async def test_the_real_server_sends_the_trace_of_a_taint_finding(
    client_name: str, workspace: Path, tmp_path: Path
) -> None:
    client = await start(client_name, workspace, tmp_path / "cache", {"select": ["sql-injection"], "ruleDirs": []})
    try:
        uri = client.open("app.py", FLASK)
        diagnostics = await client.diagnostics_for(uri, 1)
        [sink] = [d for d in diagnostics if d.range.start.line == 5]
        assert sink.code == "python.sql-injection.concatenated-query"
        related = sink.related_information
        assert related is not None, "the taint engine gives this finding no trace yet"
        assert related[0].message.startswith("source:") and related[-1].message.startswith("sink:")
        assert all(r.location.uri == uri for r in related)
        assert related[0].location.range.start.line == 4 and related[-1].location.range == sink.range
        shown = await client.text_document_hover_async(
            types.HoverParams(types.TextDocumentIdentifier(uri), sink.range.start)
        )
        assert shown is not None and isinstance(shown.contents, types.MarkupContent)
        assert "**Flow:** source: " in shown.contents.value and "(line 5)" in shown.contents.value
        assert "**Evidence:** untrusted source reaches this sink" in shown.contents.value
        # a source in another file of the workspace: its step points into that file
        (workspace / "helpers").mkdir()
        (workspace / "helpers" / "__init__.py").write_text("")
        (workspace / "helpers" / "db.py").write_text(HELPER_SOURCE)
        other = client.open("cross.py", CROSS)
        [cross] = [d for d in await client.diagnostics_for(other, 1) if d.range.start.line == 5]
        assert cross.related_information is not None
        first = cross.related_information[0]
        assert first.location.uri == (workspace / "helpers" / "db.py").as_uri()
        assert _range(first.location.range) == (4, 11, 4, 32) and first.message.startswith("source:")
    finally:
        await stop(client)
