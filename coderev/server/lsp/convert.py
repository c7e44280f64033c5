"""The one place that converts between analyzer dataclasses and lsprotocol types."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, Final, Protocol

from lsprotocol import converters, types

from coderev.analyzers import Finding, Fix, Position, PositionEncoding, Severity, Snapshot, TextChange, TextRange
from coderev.analyzers.budget import UnitSkip, skip_error
from coderev.analyzers.finding import Span


class RelatedSteps(Protocol):
    """How a finding's trace becomes related locations (``coderev.server.lsp.trace``, which
    imports this module: the protocol keeps the dependency one way)."""

    def related(self, finding: Finding, snapshot: Snapshot) -> list[types.DiagnosticRelatedInformation]: ...


SOURCE: Final = "coderev"
RULE_DOC_URL: Final = "https://coderev.dev/rules/{rule_id}"
CWE_URL: Final = "https://cwe.mitre.org/data/definitions/{cwe}.html"

_SEVERITY: Final = {
    Severity.ERROR: types.DiagnosticSeverity.Error,
    Severity.WARNING: types.DiagnosticSeverity.Warning,
    Severity.INFO: types.DiagnosticSeverity.Information,
    Severity.HINT: types.DiagnosticSeverity.Hint,
}
_ENCODING: Final = {
    types.PositionEncodingKind.Utf8: PositionEncoding.UTF8,
    types.PositionEncodingKind.Utf16: PositionEncoding.UTF16,
    types.PositionEncodingKind.Utf32: PositionEncoding.UTF32,
}
_shared: list[Any] = []


def use_converter(converter: Any) -> None:
    """Share pygls' converter (building a second one costs about 20 ms of start-up)."""
    _shared[:] = [converter]


def _conv() -> Any:
    if not _shared:  # outside a running server (tests, tools): build one on first use
        _shared.append(converters.get_converter())
    return _shared[0]


def encoding(kind: types.PositionEncodingKind | str | None) -> PositionEncoding:
    return _ENCODING.get(types.PositionEncodingKind(kind), PositionEncoding.UTF16) if kind else PositionEncoding.UTF16


def position(p: types.Position) -> Position:
    return Position(p.line, p.character)


_LONE_SURROGATE: Final = re.compile("[\ud800-\udfff]")


def editor_text(text: str) -> str:
    """Editor text with lone surrogates (legal in JSON, not in UTF-8) replaced by U+FFFD, which
    has the same length in UTF-8 (3 bytes), UTF-16 (1 unit) and UTF-32, so positions still agree."""
    return _LONE_SURROGATE.sub("\ufffd", text) if _LONE_SURROGATE.search(text) else text


def text_change(change: types.TextDocumentContentChangeEvent) -> TextChange:
    if isinstance(change, types.TextDocumentContentChangePartial):
        start, end = position(change.range.start), position(change.range.end)
        return TextChange(TextRange(start, end), editor_text(change.text))
    return TextChange(None, editor_text(change.text))


def lsp_range(span: Span, snapshot: Snapshot) -> types.Range:
    start = snapshot.position_of(span.start_byte)
    end = snapshot.position_of(span.end_byte)
    return types.Range(types.Position(start.line, start.character), types.Position(end.line, end.character))


def text_edits(fix: Fix, snapshot: Snapshot) -> list[types.TextEdit]:
    return [types.TextEdit(range=lsp_range(e.span, snapshot), new_text=e.text) for e in fix.edits]


def rule_doc_url(rule_id: str) -> str:
    return RULE_DOC_URL.format(rule_id=rule_id)


def fix_data(fix: Fix, snapshot: Snapshot) -> dict[str, Any]:
    """A fix as plain JSON for ``Diagnostic.data`` (the code action reads it back)."""
    return {
        "description": fix.description,
        "safe": fix.safe,
        "edits": _conv().unstructure(text_edits(fix, snapshot)),
    }


def diagnostic(finding: Finding, snapshot: Snapshot, trace: RelatedSteps | None = None) -> types.Diagnostic:
    """The diagnostic of a finding; with ``trace`` (the client accepts related information),
    one related location per step of the finding's data-flow trace."""
    data: dict[str, Any] = {
        "fingerprint": finding.fingerprint,
        "ruleId": finding.rule_id,
        "language": finding.language,
        "severity": str(finding.severity),
        "category": finding.category,
        "fix": fix_data(finding.fix, snapshot) if finding.fix is not None else None,
    }
    if finding.evidence is not None:
        data["evidence"] = finding.evidence.value
    related = trace.related(finding, snapshot) if trace is not None and finding.trace else None
    return types.Diagnostic(
        range=lsp_range(finding.span, snapshot),
        message=finding.message,
        severity=_SEVERITY[finding.severity],
        code=finding.rule_id,
        code_description=types.CodeDescription(href=rule_doc_url(finding.rule_id)),
        source=SOURCE,
        related_information=related or None,
        data=data,
    )


def diagnostics(
    findings: Sequence[Finding], snapshot: Snapshot, trace: RelatedSteps | None = None
) -> tuple[types.Diagnostic, ...]:
    return tuple(diagnostic(f, snapshot, trace) for f in findings)


def skip_diagnostics(
    skipped: Sequence[UnitSkip], seconds: float | None, snapshot: Snapshot
) -> tuple[types.Diagnostic, ...]:
    """An information diagnostic (ANA010) on the first line of each definition left unchecked for
    time, so the editor shows where rules did not look, instead of a silent gap."""
    out = []
    for skip in skipped:
        lines = snapshot.lines
        end = min(skip.end_byte, lines.line_start(skip.start_row) + len(lines.line_bytes(skip.start_row)))
        out.append(types.Diagnostic(
            range=lsp_range(Span(skip.start_byte, end, skip.start_row, 0, skip.start_row, 0), snapshot),
            message=skip_error([skip], seconds).render(),
            severity=types.DiagnosticSeverity.Information,
            code="ANA010",
            source=SOURCE,
        ))
    return tuple(out)


def edits_from_data(data: Any) -> list[types.TextEdit]:
    """The text edits stored in a diagnostic's ``data.fix`` (empty when absent or malformed)."""
    if not isinstance(data, Mapping) or not isinstance(data.get("fix"), Mapping):
        return []
    try:
        return list(_conv().structure(data["fix"].get("edits", []), list[types.TextEdit]))
    except Exception:  # malformed client data: no fix rather than an error
        return []


def unstructure(value: Any) -> Any:
    """Plain JSON of an lsprotocol value (for command arguments and ``data`` fields)."""
    return _conv().unstructure(value)


def structure_range(value: Any) -> types.Range | None:
    try:
        found: types.Range = _conv().structure(value, types.Range)
        return found
    except Exception:
        return None
