"""What analysis produces: findings, their spans and their fixes, as plain data."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"
    HINT = "hint"

    @property
    def rank(self) -> int:
        """Higher is more severe: error 3 ... hint 0."""
        return _RANK[self]


_RANK = {Severity.ERROR: 3, Severity.WARNING: 2, Severity.INFO: 1, Severity.HINT: 0}


class Confidence(StrEnum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


@dataclass(frozen=True, slots=True)
class Span:
    """A region of a UTF-8 buffer: byte offsets plus (row, byte-column) points."""

    start_byte: int
    end_byte: int
    start_row: int
    start_col: int
    end_row: int
    end_col: int

    def moved(self, origin_from: tuple[int, int, int], origin_to: tuple[int, int, int]) -> Span:
        """This span after the unit containing it moved from one (byte, row, col) start to another.

        Rows and bytes shift by the unit's displacement; columns shift only on the unit's first
        row, since later rows start at column 0 wherever the unit is."""
        from_byte, from_row, from_col = origin_from
        to_byte, to_row, to_col = origin_to
        byte, rows, cols = to_byte - from_byte, to_row - from_row, to_col - from_col
        return Span(
            self.start_byte + byte,
            self.end_byte + byte,
            self.start_row + rows,
            self.start_col + cols if self.start_row == from_row else self.start_col,
            self.end_row + rows,
            self.end_col + cols if self.end_row == from_row else self.end_col,
        )


@dataclass(frozen=True, slots=True)
class Edit:
    """Replace the bytes of ``span`` with ``text``."""

    span: Span
    text: str


@dataclass(frozen=True, slots=True)
class Verification:
    """``verified`` only when every check of the fix's family passed; ``checked`` names what was
    proven (shown in the code action and the hover), ``problem`` what failed or could not be
    checked."""

    verified: bool
    checked: tuple[str, ...] = ()
    problem: str = ""

    def summary(self) -> str:
        """One line for a title or a report: what was verified, or why it needs a review."""
        if self.verified:
            return "verified: " + "; ".join(self.checked)
        return "review needed: " + (self.problem or "not checked")


def failed(problem: str, checked: tuple[str, ...] = ()) -> Verification:
    return Verification(False, checked, problem)


@dataclass(frozen=True, slots=True)
class Fix:
    """A mechanical fix. ``safe`` fixes keep the behaviour of legitimate inputs and may be
    applied in bulk (fix-all); unsafe ones are offered one at a time for review."""

    description: str
    safe: bool
    edits: tuple[Edit, ...]
    verification: Verification | None = None  # None until checked (coderev.analyzers.fixcheck)


@dataclass(frozen=True, slots=True)
class TraceStep:
    """One step of a flow from a source to a sink: where the value is read, bound, passed or
    returned. ``path`` is empty for a step in the finding's own file, else the workspace-relative
    path of another file (a helper defined there); ``span`` is in that file."""

    label: str
    span: Span
    path: str = ""

    def moved(self, origin_from: tuple[int, int, int], origin_to: tuple[int, int, int]) -> TraceStep:
        if self.path:
            return self
        return TraceStep(self.label, self.span.moved(origin_from, origin_to), self.path)


class Evidence(StrEnum):
    """Why a data-flow finding has its severity: an untrusted ``source`` (the HTTP request, the
    browser's URL or messages) reaches the sink; only a ``local`` source does (the command line,
    the environment, the console: whoever runs the program); or the value is only
    ``non-constant`` (no source traced). Only ``source`` makes an error."""

    SOURCE = "source"
    LOCAL = "local"
    NON_CONSTANT = "non-constant"


@dataclass(frozen=True, slots=True)
class Finding:
    rule_id: str
    language: str
    severity: Severity
    message: str
    span: Span
    cwe: tuple[int, ...]
    category: str
    confidence: Confidence
    fix: Fix | None = None
    fingerprint: str = ""
    secret: Span | None = None  # a credential inside the finding: every report redacts it
    # For data-flow rules: the steps from the source to the sink (source first, the sink last),
    # and what the severity rests on (None: not a data-flow finding).
    trace: tuple[TraceStep, ...] = ()
    evidence: Evidence | None = None

    def finalized(
        self,
        severity: Severity,
        fingerprint: str,
        move: tuple[tuple[int, int, int], tuple[int, int, int]] | None = None,
    ) -> Finding:
        """This finding with its effective severity and fingerprint, optionally moved with its
        unit (see :meth:`Span.moved`). Built directly: this runs for every finding on every
        keystroke, where ``dataclasses.replace`` is several times slower."""
        span, fix, secret, trace = self.span, self.fix, self.secret, self.trace
        if move is not None:
            span = span.moved(*move)
            secret = secret.moved(*move) if secret is not None else None
            if fix is not None:
                fix = Fix(fix.description, fix.safe, tuple(Edit(e.span.moved(*move), e.text) for e in fix.edits))
            if trace:
                trace = tuple(step.moved(*move) for step in trace)
        return Finding(
            self.rule_id, self.language, severity, self.message, span, self.cwe, self.category,
            self.confidence, fix, fingerprint, secret, trace, self.evidence,
        )


def apply_edits(source: bytes, edits: tuple[Edit, ...] | list[Edit]) -> bytes:
    """Apply non-overlapping edits to ``source``; overlapping later edits are skipped."""
    out: list[bytes] = []
    cursor = 0
    for edit in sorted(edits, key=lambda e: (e.span.start_byte, e.span.end_byte)):
        if edit.span.start_byte < cursor:
            continue
        out.append(source[cursor : edit.span.start_byte])
        out.append(edit.text.encode("utf-8"))
        cursor = edit.span.end_byte
    out.append(source[cursor:])
    return b"".join(out)
