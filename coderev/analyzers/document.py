"""A document: text plus its syntax tree, kept in step under incremental edits.

Edits arrive as editor ranges (line, character in a :class:`PositionEncoding`). Each one is
applied to the UTF-8 buffer and to the tree (``Tree.edit``); the tree is reparsed once per batch
with the old tree as a guide, so only the edited region is parsed again. Readers take a
:class:`Snapshot`, which later edits never change, so analysis can run on another thread.

Readers always see one tree per text, whatever the edits that led to it (ADR 0015, ADR 0018). An
incremental reparse is the tree a fresh parse gives as long as it has no syntax error; with one,
tree-sitter's error recovery depends on the old tree whose subtrees it reused, so the same text can
come out as other nodes and even other top-level units. The tree of a text with a syntax error is
therefore made again, by :mod:`coderev.analyzers.recovery` (a reparse guided by a fresh parse of
the text without its broken chunks), lazily: once per snapshot, on the thread that first reads it
(the analysis worker, not the editor's event loop).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import tree_sitter

from coderev.analyzers.errors import CoderevError
from coderev.analyzers.languages import LanguageSpec, parser_for
from coderev.analyzers.recovery import Cancelled, RecoveryCache, Stop, recovered_tree, recovered_units
from coderev.analyzers.text import LineIndex, Position, PositionEncoding, TextRange


@dataclass(frozen=True, slots=True)
class TextChange:
    """One content change: replace ``range`` with ``text``, or the whole text when ``range`` is None."""

    range: TextRange | None
    text: str


@dataclass(frozen=True, slots=True)
class ByteRange:
    start: int
    end: int


def encode_text(text: str) -> bytes:
    """UTF-8 bytes of editor text; lone surrogates (possible in JSON) never raise."""
    return text.encode("utf-8", errors="surrogatepass")


@dataclass(frozen=True, slots=True)
class Snapshot:
    """An immutable view of a document at one version: bytes, lines and syntax tree."""

    source: bytes
    language: LanguageSpec | None
    parsed: tree_sitter.Tree | None  # as the document's last parse left it (see ``tree``)
    version: int
    encoding: PositionEncoding
    lines: LineIndex = field(repr=False)
    recovery: RecoveryCache = field(default_factory=RecoveryCache, repr=False, compare=False)
    _recovered: tree_sitter.Tree | None = field(default=None, init=False, repr=False, compare=False)
    _units: list[tree_sitter.Node] | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def tree(self) -> tree_sitter.Tree | None:
        """The syntax tree of ``source``, the same whatever the edits before it: ``parsed`` when
        it has no syntax error (a reparse without one is what a fresh parse gives), else the tree
        :func:`coderev.analyzers.recovery.recovered_tree` makes, once (thread-safe: a race makes it
        twice, equally)."""
        parsed = self.parsed
        if parsed is None or not parsed.root_node.has_error:
            return parsed
        self.prepare()
        return self._recovered

    def prepare(self, cancelled: Cancelled | None = None, *, units: bool = False) -> bool:
        """Make :attr:`tree` (``units``: :attr:`units`) now, unless ``cancelled()`` turns true
        meanwhile; returns whether it is made. The language server makes it so before analysing a
        version that newer edits may supersede: a text with syntax errors needs its own."""
        parsed = self.parsed
        if parsed is None or not parsed.root_node.has_error:
            return True
        assert self.language is not None  # a tree always comes with a language
        try:
            if units and self._units is None:
                found = recovered_units(self.source, self.lines, self.language, self.recovery, cancelled)
                object.__setattr__(self, "_units", found)
            elif not units and self._recovered is None:
                tree = recovered_tree(self.source, self.lines, self.language, self.recovery, cancelled)
                object.__setattr__(self, "_recovered", tree)
        except Stop:
            return False
        return True

    @property
    def units(self) -> list[tree_sitter.Node]:
        """The top-level units of ``source`` (ADR 0003), the same whatever the edits before it: the
        root's children of ``tree`` without a syntax error, else the units of the text's unbroken
        chunks and those of each broken chunk parsed on its own
        (:func:`coderev.analyzers.recovery.recovered_units`): cheaper than :attr:`tree` and error
        recovery stays within the broken chunk. Made once (thread-safe as :attr:`tree`)."""
        parsed = self.parsed
        if parsed is None:
            return []
        if not parsed.root_node.has_error:
            return parsed.root_node.children
        self.prepare(units=True)
        assert self._units is not None
        return self._units

    @property
    def text(self) -> str:
        return self.source.decode("utf-8", errors="replace")

    def position_of(self, offset: int) -> Position:
        return self.lines.position_of(offset, self.encoding)

    def offset_of(self, position: Position) -> int:
        return self.lines.offset_of(position, self.encoding)


class Document:
    """Mutable text + tree of one file, updated by incremental edits."""

    def __init__(
        self,
        text: str | bytes,
        language: LanguageSpec | None,
        *,
        version: int = 0,
        encoding: PositionEncoding = PositionEncoding.UTF16,
    ) -> None:
        self.language = language
        self.encoding = encoding
        self.version = version
        self._source = text if isinstance(text, bytes) else encode_text(text)
        self._lines = LineIndex(self._source)
        self._tree = self._parse(None)
        self._recovery = RecoveryCache()  # shared by the snapshots (see Snapshot.tree)
        self._changed: tuple[ByteRange, ...] = ()
        self._snapshot: Snapshot | None = None

    @property
    def source(self) -> bytes:
        return self._source

    @property
    def text(self) -> str:
        return self._source.decode("utf-8", errors="replace")

    @property
    def tree(self) -> tree_sitter.Tree | None:
        """The syntax tree of the text, the same whatever the edits before it (see :attr:`Snapshot.tree`)."""
        return self.snapshot().tree

    @property
    def lines(self) -> LineIndex:
        return self._lines

    @property
    def changed_ranges(self) -> tuple[ByteRange, ...]:
        """Byte ranges (in the current text) whose syntax or text changed in the last batch."""
        return self._changed

    def snapshot(self) -> Snapshot:
        if self._snapshot is None:
            self._snapshot = Snapshot(
                self._source, self.language, self._tree, self.version, self.encoding, self._lines,
                self._recovery,
            )
        return self._snapshot

    def apply_changes(self, changes: Iterable[TextChange], version: int | None = None) -> None:
        """Apply editor changes in order, then reparse once.

        Raises ``CoderevError(ANA007)`` for a range outside the text; changes before the bad one
        stay applied, exactly as an editor applying them in order would have them.
        """
        edited: list[ByteRange] = []
        tree = self._tree.copy() if self._tree is not None else None
        full = False
        try:
            for change in changes:
                if change.range is None:
                    self._source = encode_text(change.text)
                    self._lines = LineIndex(self._source)
                    full, tree, edited = True, None, [ByteRange(0, len(self._source))]
                    continue
                edited.append(self._apply_one(change, tree, edited))
        finally:
            self._reparse(tree, full, edited)
            if version is not None:
                self.version = version

    def _apply_one(
        self, change: TextChange, tree: tree_sitter.Tree | None, edited: list[ByteRange]
    ) -> ByteRange:
        assert change.range is not None
        start = self._checked_offset(change.range.start)
        end = self._checked_offset(change.range.end)
        if end < start:
            raise CoderevError("ANA007", f"range end {change.range.end} precedes its start")
        new = encode_text(change.text)
        start_point = self._lines.point_of(start)
        old_end_point = self._lines.point_of(end)
        self._source = self._source[:start] + new + self._source[end:]
        self._lines = self._lines.replaced(self._source, start, end, new)
        new_end = start + len(new)
        if tree is not None:
            tree.edit(start, end, new_end, start_point, old_end_point, self._lines.point_of(new_end))
        delta = len(new) - (end - start)
        for i, r in enumerate(edited):  # keep earlier edited ranges in current coordinates
            if r.start >= end:
                edited[i] = ByteRange(r.start + delta, r.end + delta)
        return ByteRange(start, new_end)

    def _checked_offset(self, position: Position) -> int:
        last = self._lines.line_count - 1
        if position.line < 0 or position.character < 0 or position.line > last + 1 or (
            position.line == last + 1 and position.character != 0
        ):
            raise CoderevError(
                "ANA007",
                f"position {position.line}:{position.character} is outside a document of "
                f"{self._lines.line_count} lines",
            )
        return self._lines.offset_of(position, self.encoding)

    def _parse(self, old: tree_sitter.Tree | None) -> tree_sitter.Tree | None:
        if self.language is None:
            return None
        parser = parser_for(self.language)
        return parser.parse(self._source, old) if old is not None else parser.parse(self._source)

    def _reparse(self, edited_tree: tree_sitter.Tree | None, full: bool, edited: list[ByteRange]) -> None:
        self._snapshot = None
        if self.language is None:
            self._changed = tuple(edited)
            return
        new_tree = self._parse(None if full else edited_tree)
        ranges = list(edited)
        if edited_tree is not None and new_tree is not None and not full:
            ranges += [ByteRange(r.start_byte, r.end_byte) for r in edited_tree.changed_ranges(new_tree)]
        self._tree = new_tree
        self._changed = tuple(sorted(set(ranges), key=lambda r: (r.start, r.end)))
