"""What analysis produces: findings, their spans and their fixes, as plain data."""

from __future__ import annotations

from dataclasses import dataclass, replace
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

    def relative_to(self, origin: tuple[int, int, int]) -> Span:
        """This span expressed relative to ``origin`` = (byte, row, col) of its unit's start."""
        byte, row, col = origin
        return Span(
            self.start_byte - byte,
            self.end_byte - byte,
            self.start_row - row,
            self.start_col - col if self.start_row == row else self.start_col,
            self.end_row - row,
            self.end_col - col if self.end_row == row else self.end_col,
        )

    def placed_at(self, origin: tuple[int, int, int]) -> Span:
        """Inverse of :meth:`relative_to`: a relative span placed at a new unit start."""
        byte, row, col = origin
        return Span(
            self.start_byte + byte,
            self.end_byte + byte,
            self.start_row + row,
            self.start_col + col if self.start_row == 0 else self.start_col,
            self.end_row + row,
            self.end_col + col if self.end_row == 0 else self.end_col,
        )


@dataclass(frozen=True, slots=True)
class Edit:
    """Replace the bytes of ``span`` with ``text``."""

    span: Span
    text: str


@dataclass(frozen=True, slots=True)
class Fix:
    """A mechanical fix. ``safe`` fixes keep the behaviour of legitimate inputs and may be
    applied in bulk (fix-all); unsafe ones are offered one at a time for review."""

    description: str
    safe: bool
    edits: tuple[Edit, ...]


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

    def moved(self, origin_from: tuple[int, int, int], origin_to: tuple[int, int, int]) -> Finding:
        """The same finding after its unit moved from one start to another."""

        def move(span: Span) -> Span:
            return span.relative_to(origin_from).placed_at(origin_to)

        fix = self.fix
        if fix is not None:
            fix = replace(fix, edits=tuple(replace(e, span=move(e.span)) for e in fix.edits))
        return replace(self, span=move(self.span), fix=fix)


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
