"""Open documents: the analyzers' :class:`Document` per URI, plus what the server knows of it.

The store is touched only from the event loop (handlers run there in message order), so edits
are applied in order. Analysis reads immutable snapshots on worker threads; ``analysis_lock``
keeps two runs of one document from sharing its :class:`UnitCache` at once.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from coderev.analyzers import Document, Finding, LanguageSpec, PositionEncoding, Snapshot, UnitCache
from coderev.analyzers.analysis import Analyzer
from coderev.analyzers.errors import CoderevError
from coderev.analyzers.finding import Fix, apply_edits
from coderev.analyzers.fixcheck import with_checked_fix
from coderev.analyzers.languages import get_language, language_for_path
from coderev.analyzers.paramstyle import infer_param_style
from coderev.analyzers.patterns import redact
from coderev.server.lsp.diagnostic_cache import DiagnosticCache


@dataclass(frozen=True, slots=True)
class AnalysisResult:
    """Findings of one document version under one configuration generation."""

    version: int
    generation: int
    snapshot: Snapshot
    findings: tuple[Finding, ...]
    diagnostics: tuple[Any, ...]  # lsprotocol Diagnostics (rules, then AI review), converted on the worker thread
    ai_revision: int = 0  # which AI review of the document the diagnostics include

    @property
    def result_id(self) -> str:
        return f"{self.version}.{self.generation}.{self.ai_revision}"


@dataclass(eq=False)
class OpenDocument:
    uri: str
    path: Path | None
    root: Path | None
    document: Document
    skip: CoderevError | None = None  # why it is not analyzed (too large, binary, ...)
    desync: CoderevError | None = None  # an edit failed: our text no longer matches the editor's
    cache: UnitCache = field(default_factory=UnitCache)
    cache_owner: Any = None  # the Analyzer that filled ``cache``
    converted: DiagnosticCache = field(default_factory=DiagnosticCache)
    analysis_lock: threading.Lock = field(default_factory=threading.Lock)
    result: AnalysisResult | None = None
    task: asyncio.Task[AnalysisResult | None] | None = None
    running: bool = False  # an analysis of this document is on a worker thread
    closed: bool = False
    # AI review (coderev/server/lsp/ai_review.py): findings per function text, bumped on every review
    ai_reviewed: dict[Any, Any] = field(default_factory=dict)
    ai_revision: int = 0
    review_timer: asyncio.TimerHandle | None = None
    review_task: asyncio.Future[int] | None = None
    # AI fixes (coderev/server/lsp/ai_fixes.py): model requests per (fingerprint, version), and their units
    ai_fixes: dict[tuple[str, int], asyncio.Future[Any]] = field(default_factory=dict)
    ai_units: dict[tuple[str, int], tuple[int, int]] = field(default_factory=dict)
    # template fixes with their checks (coderev.analyzers.fixcheck), per (fingerprint, version)
    fix_checks: dict[tuple[str, int], Finding] = field(default_factory=dict)

    @property
    def version(self) -> int:
        return self.document.version

    @property
    def language(self) -> LanguageSpec | None:
        return self.document.language

    def line_text(self, line: int) -> str:
        snapshot = self.document.snapshot()
        if not 0 <= line < snapshot.lines.line_count:
            return ""
        return snapshot.lines.line_bytes(line).decode("utf-8", "replace")

    def context(self, line: int, radius: int = 3) -> str:
        """The code around ``line`` (for feedback events), with every secret found in it masked:
        the feedback store must never hold a credential."""
        text = self.masked_lines(line - radius, line + radius + 1)
        return text[:-1] if text.endswith("\n") else text

    def masked_lines(self, first: int, end: int) -> str:
        """Lines ``first`` to ``end`` (exclusive) of the current text, whole, with every secret the
        latest analysis found masked (so only meaningful while that analysis is of this version)."""
        snapshot = self.document.snapshot()
        count = snapshot.lines.line_count
        lo, hi = max(0, first), min(count, end)
        if lo >= hi:
            return ""
        secrets = [f.secret for f in (self.result.findings if self.result else ()) if f.secret is not None]
        start = snapshot.lines.line_start(lo)
        stop = snapshot.lines.line_start(hi) if hi < count else len(snapshot.source)
        return redact(snapshot.source, secrets)[start:stop].decode("utf-8", "replace")


    def finding(self, fingerprint: str) -> Finding | None:
        """The finding of the latest analysis with this fingerprint."""
        findings = self.result.findings if self.result else ()
        return next((f for f in findings if f.fingerprint == fingerprint), None)

    def checked(self, finding: Finding, analyzer: Analyzer) -> Finding:
        """``finding`` of the latest analysis with its template fix checked (once per version)."""
        if finding.fix is None or self.result is None:
            return finding
        key = (finding.fingerprint, self.result.version)
        kept = self.fix_checks.get(key)
        if kept is None:
            kept = with_checked_fix(self.result.snapshot, finding, analyzer)
            self.fix_checks = {k: v for k, v in self.fix_checks.items() if k[1] == self.result.version}
            self.fix_checks[key] = kept
        return kept

    def fix_pair(self, fix: Fix) -> tuple[str, str]:
        """The whole lines a fix edits, before and after it, in the analysed text, with secrets
        masked (an accepted fix becomes a training pair; the store never holds a credential)."""
        if self.result is None or not fix.edits:
            return "", ""
        snapshot = self.result.snapshot
        secrets = [f.secret for f in self.result.findings if f.secret is not None]
        source = redact(snapshot.source, secrets)
        lines = snapshot.lines
        first = min(e.span.start_row for e in fix.edits)
        last = max(e.span.end_row for e in fix.edits)
        start = lines.line_start(first)
        end = lines.line_start(last + 1) if last + 1 < lines.line_count else len(source)
        fixed = apply_edits(source, fix.edits)
        delta = len(fixed) - len(source)
        return (source[start:end].decode("utf-8", "replace"), fixed[start : end + delta].decode("utf-8", "replace"))

    def sql_style(self) -> str:
        """The placeholder style of the file's database driver (``ParamStyle`` value) or "": a
        training pair's unit shows no imports, and SQL fixes are only verified in a known style."""
        snapshot = self.document.snapshot()
        language = snapshot.language
        style = infer_param_style(snapshot.source, language.id) if language is not None else None
        return style.value if style is not None else ""

    def fix_unit_lines(self, fix: Fix) -> str:
        """The whole lines of the top-level unit (function, class, statement) that holds the fix's
        edits, before it, secrets masked: the context a training pair's lines are learnt in (a
        taint finding's source may be lines above the fixed sink). Empty when no single unit does."""
        if self.result is None or not fix.edits or self.result.snapshot.tree is None:
            return ""
        snapshot = self.result.snapshot
        first = min(e.span.start_byte for e in fix.edits)
        last = max(e.span.end_byte for e in fix.edits)
        assert snapshot.tree is not None
        unit = next((n for n in snapshot.tree.root_node.children if n.start_byte <= first and last <= n.end_byte),
                    None)
        if unit is None:
            return ""
        return self.masked_lines(unit.start_point.row, unit.end_point.row + 1)


def open_document(  # noqa: PLR0917 - one value per field of the editor's TextDocumentItem
    uri: str,
    path: Path | None,
    root: Path | None,
    text: str,
    language_id: str,
    version: int,
    encoding: PositionEncoding,
    max_size: int,
) -> OpenDocument:
    """An open document; oversized or binary text is kept (for edits) but never parsed."""
    language = get_language(language_id) or (language_for_path(path) if path else None)
    size = len(text.encode("utf-8", "surrogatepass"))
    skip = None
    if size > max_size:
        skip = CoderevError("ANA005", f"{uri} is {size} bytes (limit {max_size})")
    elif "\0" in text[:8192]:
        skip = CoderevError("ANA003", f"{uri} looks binary (contains NUL characters)")
    document = Document(text, None if skip else language, version=version, encoding=encoding)
    return OpenDocument(uri, path, root, document, skip=skip)


class DocumentStore:
    def __init__(self) -> None:
        self._docs: dict[str, OpenDocument] = {}

    def add(self, doc: OpenDocument) -> None:
        self._docs[doc.uri] = doc

    def get(self, uri: str) -> OpenDocument | None:
        return self._docs.get(uri)

    def require(self, uri: str) -> OpenDocument:
        doc = self._docs.get(uri)
        if doc is None:
            raise CoderevError("ANA008", f"{uri} is not open")
        return doc

    def remove(self, uri: str) -> OpenDocument | None:
        doc = self._docs.pop(uri, None)
        if doc is not None:
            doc.closed = True
            doc.converted.clear()
        return doc

    def __iter__(self) -> Iterator[OpenDocument]:
        return iter(list(self._docs.values()))  # a copy: handlers may open or close meanwhile

    def __len__(self) -> int:
        return len(self._docs)
