"""Pull diagnostics: ``textDocument/diagnostic`` and ``workspace/diagnostic``.

Push (``publishDiagnostics``) is done by the server when a current analysis completes, for
clients that do not pull. A pull answers with a ``resultId`` built from the document version and
the configuration generation, and with ``unchanged`` when the client already has that result.
Both handlers are coroutines, so a client's ``$/cancelRequest`` stops the wait.
"""

from __future__ import annotations

from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams

from coderev.analyzers.errors import CoderevError
from coderev.server.lsp.documents import AnalysisResult, OpenDocument
from coderev.server.lsp.server import CoderevServer
from coderev.server.lsp.settings import RunMode

IDENTIFIER = "coderev"
OPTIONS = types.DiagnosticOptions(identifier=IDENTIFIER, inter_file_dependencies=False, workspace_diagnostics=True)


async def result_for(ls: CoderevServer, doc: OpenDocument) -> AnalysisResult:
    """The result to report: the current one; in onSave mode, the last one while unsaved (but
    the one a save has started, when a save came first)."""
    last = doc.result
    on_save = ls.project.settings.run_mode is RunMode.ON_SAVE
    saving = doc.task is not None and not doc.task.done()
    if on_save and not saving and last is not None and last.generation == ls.project.generation:
        return last
    return await ls.scheduler.current(doc)


async def document_diagnostic(
    ls: CoderevServer, params: types.DocumentDiagnosticParams
) -> types.DocumentDiagnosticReport:
    doc = ls.documents.get(params.text_document.uri)
    if doc is None:
        error = CoderevError("ANA008", f"diagnostics requested for {params.text_document.uri}, which is not open")
        raise JsonRpcInvalidParams(error.render())
    result = await result_for(ls, doc)
    if params.previous_result_id == result.result_id:
        return types.RelatedUnchangedDocumentDiagnosticReport(result_id=result.result_id)
    return types.RelatedFullDocumentDiagnosticReport(items=list(result.diagnostics), result_id=result.result_id)


async def workspace_diagnostic(
    ls: CoderevServer, params: types.WorkspaceDiagnosticParams
) -> types.WorkspaceDiagnosticReport:
    previous = {p.uri: p.value for p in params.previous_result_ids}
    items: list[types.WorkspaceDocumentDiagnosticReport] = []
    for doc in ls.documents:
        if doc.closed:
            continue
        result = await result_for(ls, doc)
        items.append(_report(doc.uri, result.version, result.result_id, result.diagnostics, previous))
    for scanned in list(ls.scanned.values()):  # files of the last workspace scan that are not open
        if ls.documents.get(scanned.uri) is None:
            items.append(_report(scanned.uri, None, scanned.result_id, scanned.diagnostics, previous))
    return types.WorkspaceDiagnosticReport(items=items)


def _report(
    uri: str,
    version: int | None,
    result_id: str,
    diagnostics: tuple[types.Diagnostic, ...],
    previous: dict[str, str],
) -> types.WorkspaceDocumentDiagnosticReport:
    if previous.get(uri) == result_id:
        return types.WorkspaceUnchangedDocumentDiagnosticReport(uri=uri, version=version, result_id=result_id)
    return types.WorkspaceFullDocumentDiagnosticReport(
        uri=uri, version=version, items=list(diagnostics), result_id=result_id
    )
