"""Positions in text: lines, byte offsets and the three LSP position encodings.

tree-sitter works in UTF-8 bytes and (row, byte-column) points; editors speak (line, character)
where a character is a UTF-16 code unit by default, or a UTF-8 byte / UTF-32 code point when
negotiated. Everything here converts between the two without ever losing a position on
non-ASCII text (emoji, CJK, combining marks).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass
from enum import StrEnum

_NEWLINE = re.compile(b"\n")


class PositionEncoding(StrEnum):
    """How a position's ``character`` counts: the LSP ``PositionEncodingKind`` values."""

    UTF8 = "utf-8"
    UTF16 = "utf-16"
    UTF32 = "utf-32"


@dataclass(frozen=True, slots=True, order=True)
class Position:
    """A zero-based (line, character) position in some :class:`PositionEncoding`."""

    line: int
    character: int


@dataclass(frozen=True, slots=True)
class TextRange:
    start: Position
    end: Position


def _units(text: str, encoding: PositionEncoding) -> int:
    if encoding is PositionEncoding.UTF32:
        return len(text)
    if encoding is PositionEncoding.UTF16:
        return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)
    return len(text.encode("utf-8"))


def byte_column_to_character(line: bytes, byte_column: int, encoding: PositionEncoding) -> int:
    """The ``character`` of a byte column within ``line`` (UTF-8, no line terminator)."""
    if encoding is PositionEncoding.UTF8:
        return byte_column
    prefix = line[:byte_column].decode("utf-8", errors="replace")
    return _units(prefix, encoding)


def character_to_byte_column(line: bytes, character: int, encoding: PositionEncoding) -> int:
    """The byte column of ``character`` within ``line``, clamped to the line's end.

    A character that points inside a multi-unit code point (half a surrogate pair, the middle of
    a UTF-8 sequence) rounds up to the end of that code point, so an edit never splits one.
    """
    if character <= 0:
        return 0
    if encoding is PositionEncoding.UTF8:
        column = min(character, len(line))
        while column < len(line) and (line[column] & 0xC0) == 0x80:
            column += 1
        return column
    text = line.decode("utf-8", errors="replace")
    units = 0
    for index, ch in enumerate(text):
        if units >= character:
            return len(text[:index].encode("utf-8"))
        units += 2 if encoding is PositionEncoding.UTF16 and ord(ch) > 0xFFFF else 1
    return len(line)


class LineIndex:
    """Byte offsets of line starts in a UTF-8 buffer. Lines end at ``\\n`` (``\\r\\n`` included)."""

    __slots__ = ("_source", "_starts")

    def __init__(self, source: bytes, starts: list[int] | None = None) -> None:
        self._source = source
        self._starts = starts if starts is not None else [0, *(m.end() for m in _NEWLINE.finditer(source))]

    def replaced(self, source: bytes, start: int, old_end: int, inserted: bytes) -> LineIndex:
        """The index of ``source``, which is this text with bytes [start, old_end) replaced by
        ``inserted``: only line starts after the edit move, so nothing is rescanned."""
        delta = len(inserted) - (old_end - start)
        starts = self._starts
        keep = bisect_right(starts, start)
        resume = bisect_right(starts, old_end, lo=keep)
        new = [start + m.end() for m in _NEWLINE.finditer(inserted)]
        return LineIndex(source, starts[:keep] + new + [s + delta for s in starts[resume:]])

    @property
    def line_count(self) -> int:
        return len(self._starts)

    def line_start(self, line: int) -> int:
        return self._starts[line]

    def line_bytes(self, line: int) -> bytes:
        """The bytes of ``line`` without its terminator."""
        start = self._starts[line]
        end = self._starts[line + 1] if line + 1 < len(self._starts) else len(self._source)
        text = self._source[start:end]
        if text.endswith(b"\n"):
            text = text[:-1]
        if text.endswith(b"\r"):
            text = text[:-1]
        return text

    def point_of(self, offset: int) -> tuple[int, int]:
        """The (row, byte column) point of a byte offset."""
        row = bisect_right(self._starts, offset) - 1
        return row, offset - self._starts[row]

    def offset_of(self, position: Position, encoding: PositionEncoding) -> int:
        """The byte offset of an editor position; lines past the end clamp to the end of text."""
        if position.line >= len(self._starts):
            return len(self._source)
        line = max(position.line, 0)
        column = character_to_byte_column(self.line_bytes(line), position.character, encoding)
        return self._starts[line] + column

    def position_of(self, offset: int, encoding: PositionEncoding) -> Position:
        row, column = self.point_of(offset)
        line = self.line_bytes(row)
        return Position(row, byte_column_to_character(line, min(column, len(line)), encoding))
