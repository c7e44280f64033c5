"""Reuse of LSP diagnostics (and their JSON) across analyses of one document.

After a keystroke most findings are unchanged; converting each to an LSP Diagnostic and then to
JSON again costs more than the incremental analysis itself on a file with hundreds of findings.
A finding's LSP positions depend only on its byte span and on the text of the lines it touches,
so a Diagnostic is reused when a finding with the same rows, columns, rule, message and fix sits
on lines with the same bytes as when it was converted (byte offsets may differ: they never reach
the client). Its JSON is computed once, on the worker thread,
and served from :data:`_JSON` by an unstructure hook installed on the server's converter.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Sequence
from typing import Any

from lsprotocol import types

from coderev.analyzers import Finding, PositionEncoding, Snapshot
from coderev.server.lsp import convert
from coderev.server.lsp.trace import TraceContext

_JSON: dict[int, tuple[types.Diagnostic, Any]] = {}  # id(diagnostic) -> (diagnostic, its JSON)
_base: Callable[[types.Diagnostic], Any] | None = None
_lock = threading.Lock()


def install(converter: Any) -> None:
    """Serve cached JSON for known Diagnostic objects from ``converter`` (pygls' own)."""
    global _base
    base: Callable[[types.Diagnostic], Any] = converter.get_unstructure_hook(types.Diagnostic)
    _base = base

    def unstructure(diagnostic: types.Diagnostic) -> Any:
        hit = _JSON.get(id(diagnostic))
        if hit is not None and hit[0] is diagnostic:
            return hit[1]
        return base(diagnostic)

    converter.register_unstructure_hook(types.Diagnostic, unstructure)


def _key(finding: Finding, trace: TraceContext | None) -> Hashable:
    """Everything a Diagnostic shows except byte offsets, which an edit above shifts but which
    never reach the client: rows, byte columns, texts and ids; with a trace, its steps and the
    secrets masked in their labels. (A step in another file is converted with that file's text
    when it is first shown; a change there that leaves the step's row and byte columns alone is
    not seen until the finding changes.)"""
    span = finding.span
    fix = finding.fix
    edits = () if fix is None else tuple(
        (e.span.start_row, e.span.start_col, e.span.end_row, e.span.end_col, e.text) for e in fix.edits
    )
    steps = () if trace is None else tuple(
        (s.label, s.path, s.span.start_row, s.span.start_col, s.span.end_row, s.span.end_col) for s in finding.trace
    )
    return (
        finding.fingerprint,
        finding.rule_id,
        finding.message,
        finding.severity,
        finding.language,
        (span.start_row, span.start_col, span.end_row, span.end_col),
        None if fix is None else (fix.description, fix.safe, edits),
        finding.evidence,
        (steps, trace.secrets) if steps and trace is not None else (),
    )


def _rows(finding: Finding) -> tuple[int, ...]:
    rows = {finding.span.start_row, finding.span.end_row}
    if finding.fix is not None:
        for edit in finding.fix.edits:
            rows |= {edit.span.start_row, edit.span.end_row}
    for step in finding.trace:
        if not step.path:
            rows |= {step.span.start_row, step.span.end_row}
    return tuple(sorted(rows))


Entry = tuple[tuple[bytes, ...], types.Diagnostic]


class DiagnosticCache:
    """The diagnostics of one document's last analysis, keyed by finding."""

    def __init__(self) -> None:
        self._entries: dict[Hashable, Entry] = {}

    def diagnostics(
        self, findings: Sequence[Finding], snapshot: Snapshot, trace: TraceContext | None = None
    ) -> tuple[types.Diagnostic, ...]:
        """Diagnostics of ``findings``; ``trace`` (see :func:`trace.context_for`) adds the
        related information of data-flow findings."""
        utf8 = snapshot.encoding is PositionEncoding.UTF8  # positions are byte columns: no line check
        fresh: dict[Hashable, Entry] = {}
        out: list[types.Diagnostic] = []
        added: list[tuple[types.Diagnostic, Any]] = []
        for finding in findings:
            count = snapshot.lines.line_count
            lines = () if utf8 else tuple(snapshot.lines.line_bytes(r) for r in _rows(finding) if r < count)
            key = _key(finding, trace)
            hit = self._entries.get(key)
            if hit is not None and hit[0] == lines:
                diagnostic = hit[1]
            else:
                diagnostic = convert.diagnostic(finding, snapshot, trace)
                if _base is not None:
                    added.append((diagnostic, _base(diagnostic)))
            fresh[key] = (lines, diagnostic)
            out.append(diagnostic)
        kept = {id(d) for _, d in fresh.values()}
        with _lock:
            for _, old in self._entries.values():
                if id(old) not in kept:
                    _JSON.pop(id(old), None)
            for diagnostic, data in added:
                _JSON[id(diagnostic)] = (diagnostic, data)
            self._entries = fresh
        return tuple(out)

    def clear(self) -> None:
        with _lock:
            for _, old in self._entries.values():
                _JSON.pop(id(old), None)
            self._entries = {}
