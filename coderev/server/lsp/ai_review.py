"""AI review: after a pause in typing, changed functions go to the production model slot, and its
findings appear as a second diagnostic source, ``coderev-ai``.

* A review unit is every function-like node at any depth: a view nested in an app factory, a
  method, a route handler passed to ``app.get(...)``, a Go func literal, a Java lambda with a block
  body; a line reviewed twice (alone and inside its outer function) gives one finding.
* Reviews are keyed by each function's exact text: only functions whose text changed since their
  last review are sent again, and a function's findings follow it when code above it moves.
* A review never blocks rule diagnostics: it runs in the engine's worker process, and its
  results join the document's next report (push or pull); a review of a version that was edited
  meanwhile is dropped (the edit schedules a new one).
* The AI findings of a document are replaced as a whole by each review; a finding on a line
  where a rule already reports the same CWE is left out (the rule's finding is the better one).
"""

from __future__ import annotations

import asyncio
import contextvars
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, Protocol

import tree_sitter
from lsprotocol import types

from coderev.analyzers import Finding, Snapshot
from coderev.analyzers.review_units import review_units
from coderev.engine.logs import REQUEST_ID
from coderev.engine.model.prompt import ReviewItem
from coderev.server.lsp import convert

if TYPE_CHECKING:
    from coderev.server.lsp.documents import OpenDocument
    from coderev.server.lsp.log import ClientLog
    from coderev.server.lsp.metrics import LspMetrics
    from coderev.server.lsp.model import ModelBridge
    from coderev.server.lsp.project import Project


class ReviewHost(Protocol):
    """What reviews need of the language server (its class imports this module)."""

    project: Project
    model: ModelBridge
    log: ClientLog
    metrics: LspMetrics | None

    def refresh(self, doc: OpenDocument) -> None: ...

SOURCE: Final = "coderev-ai"
Key = tuple[str, int, int]


@dataclass(frozen=True, slots=True)
class Reviewed:
    """The model's findings in one function (lines 1-based within it) and which slot said so."""

    items: tuple[ReviewItem, ...]
    slot: str


def functions(snapshot: Snapshot) -> Iterator[tree_sitter.Node]:
    """The reviewable functions of a document in source order (:mod:`coderev.analyzers.review_units`)."""
    if snapshot.language is not None:  # of a broken text: each broken chunk parsed alone (ADR 0018)
        yield from review_units(snapshot.units, snapshot.language)


def key_of(node: tree_sitter.Node, source: bytes) -> Key:
    text = source[node.start_byte : node.end_byte]
    return (node.type, len(text), hash(text))


def schedule(ls: ReviewHost, doc: OpenDocument) -> None:
    """(Re)start the pause before reviewing ``doc`` (on every change and open)."""
    if doc.review_timer is not None:
        doc.review_timer.cancel()
        doc.review_timer = None
    settings = ls.project.settings
    if not (settings.ai_review and settings.model_enabled) or doc.skip is not None or doc.language is None:
        return
    loop = asyncio.get_running_loop()
    doc.review_timer = loop.call_later(settings.ai_review_pause_ms / 1000, _start, ls, doc)


def _start(ls: ReviewHost, doc: OpenDocument) -> None:
    doc.review_timer = None
    if not doc.closed:  # a review pass is a request of its own: one id for its log lines and engine calls
        context = contextvars.copy_context()
        context.run(REQUEST_ID.set, uuid.uuid4().hex)
        doc.review_task = asyncio.get_running_loop().create_task(review(ls, doc), context=context)


async def review(ls: ReviewHost, doc: OpenDocument) -> int:
    """Review the changed functions of ``doc`` now; returns how many were sent to the model."""
    engine = ls.model.engine
    if engine is None or doc.language is None:
        return 0
    status = engine.status()
    if status.mode != "ready" or doc.language.id not in status.languages:
        return 0
    snapshot = doc.document.snapshot()
    version = snapshot.version
    nodes = list(functions(snapshot))
    keys = [key_of(n, snapshot.source) for n in nodes]
    todo = [(k, n) for k, n in zip(keys, nodes, strict=True) if k not in doc.ai_reviewed]
    if not todo:
        return 0
    asked = [engine.review(snapshot.source[n.start_byte : n.end_byte].decode("utf-8", "replace"),
                           language=doc.language.id, key=doc.uri, version=version) for _, n in todo]
    if ls.metrics is not None:
        for one in asked:
            ls.metrics.time("ai_review", one)
    futures = [asyncio.wrap_future(one) for one in asked]
    answers = await asyncio.gather(*futures, return_exceptions=True)
    if doc.closed or doc.version != version:
        return 0  # edited meanwhile: the edit has scheduled a review of the new text
    slot = f"{status.production_name} {status.production_version}"
    reviewed = dict(doc.ai_reviewed)
    for (key, _), answer in zip(todo, answers, strict=True):
        if isinstance(answer, BaseException):
            ls.log.debug(f"AI review of a function in {doc.uri} failed: {answer}")
            continue  # not reviewed: tried again after the next pause
        reviewed[key] = Reviewed(tuple(answer or ()), slot)
    current = set(keys)
    doc.ai_reviewed = {k: v for k, v in reviewed.items() if k in current}
    doc.ai_revision += 1
    ls.log.info(f"AI review of {doc.uri} v{version}: {len(todo)} function(s) by {slot}")
    ls.refresh(doc)
    return len(todo)


def diagnostics(doc: OpenDocument, snapshot: Snapshot, findings: Sequence[Finding]) -> tuple[types.Diagnostic, ...]:
    """The AI findings of ``snapshot`` (worker thread): the reviewed functions' findings at their
    current place, minus those a rule reports on the same line with the same CWE."""
    reviewed = doc.ai_reviewed
    if not reviewed:
        return ()
    ruled = {(f.span.start_row, cwe) for f in findings for cwe in f.cwe}  # and, as they are added, AI ones
    out: list[types.Diagnostic] = []
    for node in functions(snapshot):
        found = reviewed.get(key_of(node, snapshot.source))
        if found is None:
            continue
        for item in found.items:
            row = node.start_point.row + item.line - 1
            if row > node.end_point.row or (row, item.cwe) in ruled:
                continue  # a nested function's line reviewed twice (alone and in its outer one) counts once
            ruled.add((row, item.cwe))
            out.append(_diagnostic(item, row, found.slot, snapshot))
    return tuple(out)


def _diagnostic(item: ReviewItem, row: int, slot: str, snapshot: Snapshot) -> types.Diagnostic:
    line = snapshot.lines.line_bytes(row)
    start = snapshot.lines.line_start(row) + len(line) - len(line.lstrip())
    end = snapshot.lines.line_start(row) + len(line.rstrip())
    first, last = snapshot.position_of(start), snapshot.position_of(max(start, end))
    what = item.message.replace("-", " ")
    return types.Diagnostic(
        range=types.Range(types.Position(first.line, first.character), types.Position(last.line, last.character)),
        message=f"Possible {what} (CWE-{item.cwe}), found by the AI review ({slot}); not checked by a rule.",
        severity=types.DiagnosticSeverity.Information,
        code=f"CWE-{item.cwe}",
        code_description=types.CodeDescription(href=convert.CWE_URL.format(cwe=item.cwe)),
        source=SOURCE,
        data={"ai": True, "slot": slot, "cwe": item.cwe, "category": item.message},
    )
