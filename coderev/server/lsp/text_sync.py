"""Text synchronization: didOpen / didChange (incremental) / didSave / didClose.

Each didChange applies its edits to the document's analyzers :class:`Document` on the event loop,
in message order (an incremental reparse, never a re-read), then asks the scheduler for a
debounced analysis. Bad input never takes the server down: an unknown document or an edit outside
the text is reported with its catalogued code and skipped.
"""

from __future__ import annotations

from lsprotocol import types

from coderev.analyzers.errors import CoderevError
from coderev.server.lsp import ai_review, convert
from coderev.server.lsp.documents import open_document
from coderev.server.lsp.server import CoderevServer
from coderev.server.lsp.settings import RunMode


def did_open(ls: CoderevServer, params: types.DidOpenTextDocumentParams) -> None:
    item = params.text_document
    path = ls.path_of(item.uri)
    root = ls.project.root_for(path)
    max_size = ls.project.config_for(root).options.max_file_size
    text = convert.editor_text(item.text)
    doc = open_document(item.uri, path, root, text, item.language_id, item.version, ls.encoding, max_size)
    previous = ls.documents.get(item.uri)
    if previous is not None:
        ls.scheduler.cancel(previous)
        ls.documents.remove(item.uri)
    ls.documents.add(doc)
    ls.scanned.pop(item.uri, None)
    if doc.skip is not None:
        ls.log.warning(doc.skip.render(), code=doc.skip.code, uri=item.uri)
    if doc.language is None and doc.skip is None:
        ls.log.debug(f"{item.uri}: not analyzed (language {item.language_id!r} is not supported)")
    ls.scheduler.schedule(doc, delay=0)  # first diagnostics at once, whatever the run mode
    ai_review.schedule(ls, doc)


def did_change(ls: CoderevServer, params: types.DidChangeTextDocumentParams) -> None:
    uri = params.text_document.uri
    doc = ls.documents.get(uri)
    if doc is None:
        error = CoderevError("ANA008", f"didChange for {uri}, which is not open")
        ls.log.warning(error.render(), code=error.code, uri=uri)
        return
    ls.learning.activity()  # the user is typing: background learning waits for idle time
    changes = [convert.text_change(c) for c in params.content_changes]
    try:
        doc.document.apply_changes(changes, params.text_document.version)
    except CoderevError as error:
        doc.desync = error
        ls.log.show(error)
    else:
        if doc.desync is not None and any(c.range is None for c in changes):
            doc.desync = None  # a full-text change resynchronizes
    if ls.project.settings.run_mode is RunMode.ON_TYPE or doc.desync is not None:
        ls.scheduler.schedule(doc)
    engine = ls.model.engine
    if engine is not None:
        engine.cancel_stale(uri, doc.version)  # queued model work for older versions is worth nothing
    ai_review.schedule(ls, doc)


def did_save(ls: CoderevServer, params: types.DidSaveTextDocumentParams) -> None:
    doc = ls.documents.get(params.text_document.uri)
    if doc is not None:
        ls.edits.saved(doc)  # the accepted fixes' lines are final now (read once analyzed)
    if doc is not None and ls.project.settings.run_mode is RunMode.ON_SAVE:
        ls.scheduler.schedule(doc, delay=0)


def did_close(ls: CoderevServer, params: types.DidCloseTextDocumentParams) -> None:
    doc = ls.documents.remove(params.text_document.uri)
    if doc is None:
        return
    ls.code.closed(doc.uri)
    ls.edits.closed(doc.uri)
    ls.scheduler.cancel(doc)
    if doc.review_timer is not None:
        doc.review_timer.cancel()
    ls.clear(doc.uri)
