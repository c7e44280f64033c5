"""The syntax tree and units of a text with syntax errors: one per text, whatever the edits before.

Tree-sitter's error recovery depends on the parse history: an incremental reparse of broken text
can come out other than a fresh parse of the same text (ADR 0015). A fresh parse does not, but of
a 5,000-line file it costs 30-140 ms, at every keystroke that leaves the text broken. This module
gets a tree as cheaply as an incremental reparse and still a function of the text alone (ADR 0018):

1. Chunks: the text is split before every line that starts at column 0 with something other than
   a closing bracket or a continuation (``else``, ``elif``, ``except``, ``finally``, ``catch``); a
   decorator or annotation line stays with what follows. A chunk is *broken* when it does not parse
   on its own (remembered per chunk text), or when it is longer than ``PARSED_ALONE`` bytes.
2. The guide: a fresh parse of the text with its broken chunks left out (of each one whose first
   byte starts a name, that byte and its last line break stay, so that units after it keep their
   start: tree-sitter-python reparses the rest of the file after an edit there). It is kept per
   document and parsed again only when the text outside the broken chunks changed, that is, not
   while someone types inside one function.
3. The tree: the text reparsed with the guide as the old tree, the broken chunks inserted.
4. The units: the guide's, read where they are in the text, and those of each broken chunk parsed
   on its own (error recovery never reaches past a broken chunk).

The guide is a fresh parse of text derived from the text alone, and a reparse is a function of
its old tree, edits and text, so the tree and units are the same for an edited document and for a
new ``Document`` of that text (invariant 3). With no broken chunk, or a guide that does not parse, it
is a fresh parse of the text. On the benchmark's typing it is the fresh parse's tree in 2,376 of
2,381 broken states; the reparse costs what an incremental one costs, except where the text's own
breakage keeps tree-sitter from reusing anything after it (an unclosed string or bracket).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import tree_sitter

from coderev.analyzers.languages import LanguageSpec, parser_for
from coderev.analyzers.text import LineIndex

# Chunks longer than this are left out of the guide unparsed: parsing one alone would cost about
# what parsing the whole text does.
PARSED_ALONE = 16_384
# Languages in which a single name on a line is a statement (the byte kept of a broken chunk).
_NAME_IS_A_STATEMENT = frozenset({"python", "javascript", "typescript", "tsx"})
_COLUMN_0 = re.compile(rb"^[^\s)\]}]", re.MULTILINE)
_CONTINUATION = (b"else", b"elif", b"except", b"finally", b"catch")
_NAME_START = re.compile(rb"[A-Za-z_$]")
_STATUSES_KEPT = 4096  # chunk statuses remembered per document before they are forgotten


@dataclass(slots=True)
class RecoveryCache:
    """What a document remembers between its versions: which chunk texts parse alone, and the
    last guide. Shared by the snapshots of one document, possibly on two threads: every entry is
    a function of its key, so a race only computes something twice."""

    statuses: dict[bytes, bool] = field(default_factory=dict)
    guide: tuple[bytes, tree_sitter.Tree] | None = None


Cancelled = Callable[[], bool]


class Stop(Exception):
    """Raised when ``cancelled()`` said the tree is no longer wanted."""


def chunk_starts(source: bytes) -> list[int]:
    """Where the chunks of ``source`` start (the first is 0)."""
    starts = [0]
    held = source.startswith(b"@")  # a decorator: the next start belongs to its chunk
    for match in _COLUMN_0.finditer(source):
        at = match.start()
        if at == 0:
            continue
        decorator = source.startswith(b"@", at)
        if not held and not source.startswith(_CONTINUATION, at):
            starts.append(at)
        held = decorator
    return starts


def recovered_tree(source: bytes, lines: LineIndex, language: LanguageSpec, cache: RecoveryCache,
                   cancelled: Cancelled | None = None) -> tree_sitter.Tree:
    """The tree of ``source``, which has a syntax error (see the module's docstring). Raises
    :class:`Stop` when ``cancelled`` returns true while it parses."""
    parser = parser_for(language)
    guided = _guide(source, lines, language, cache, cancelled)
    if guided is None:
        return _parse(parser, source, None, cancelled)
    return _parse(parser, source, guided[0], cancelled)


def recovered_units(source: bytes, lines: LineIndex, language: LanguageSpec, cache: RecoveryCache,
                    cancelled: Cancelled | None = None) -> list[tree_sitter.Node]:
    """The top-level units of ``source``, which has a syntax error, each broken chunk parsed on its
    own: the guide's units (moved to where they are in ``source``) and those of every broken chunk
    parsed alone, in order. Unlike :func:`recovered_tree`, error recovery never reaches past a
    broken chunk (an unclosed bracket cannot swallow the functions after it), and nothing after
    one is parsed again. None of the trees is a fresh parse of ``source``, but every one is of text
    derived from it alone, so an edited document and a new one get the same units."""
    guided = _guide(source, lines, language, cache, cancelled)
    if guided is None:
        return list(_parse(parser_for(language), source, None, cancelled).root_node.children)
    moved, broken = guided
    alone = _ranged_parser(language)
    try:
        # The text outside the broken chunks, read where it is in ``source`` (the guide's text):
        # reparsed with the guide as the old tree, so that the units' nodes read ``source``.
        kept = [(a, b) for a, b in _kept([cut for _, cut in broken], len(source)) if b > a]
        alone.included_ranges = [tree_sitter.Range(lines.point_of(a), lines.point_of(b), a, b) for a, b in kept]
        outside = _parse(alone, source, moved, cancelled)
        units = [u for u in outside.root_node.children if not any(a <= u.start_byte < b for (a, b), _ in broken)]
        if any(u.start_byte < b and a < u.end_byte for u in units for (a, b), _ in broken):
            return list(_parse(parser_for(language), source, None, cancelled).root_node.children)
        for (start, end), _ in broken:
            alone.included_ranges = [tree_sitter.Range(lines.point_of(start), lines.point_of(end), start, end)]
            units += _parse(alone, source, None, cancelled).root_node.children
    finally:
        alone.included_ranges = [_EVERYTHING]
    units.sort(key=lambda u: u.start_byte)
    return units


def _guide(source: bytes, lines: LineIndex, language: LanguageSpec, cache: RecoveryCache,
           cancelled: Cancelled | None) -> tuple[tree_sitter.Tree, list[tuple[Span, Span]]] | None:
    """The guide, edited to have the broken chunks inserted where they are in ``source``, and the
    broken chunks' ranges; None when there is none or it does not parse."""
    parser = parser_for(language)
    broken = _broken(source, language, cache, parser, cancelled)
    if not broken:
        return None
    left_out = [cut for _, cut in broken]
    guide_text = b"".join(source[a:b] for a, b in _kept(left_out, len(source)))
    guide = cache.guide
    if guide is None or guide[0] != guide_text:
        guide = (guide_text, _parse(parser, guide_text, None, cancelled))
        cache.guide = guide
    if guide[1].root_node.has_error:
        return None
    old = guide[1].copy()
    for start, end in left_out:  # in order: the text before each insertion is already the source's
        at = lines.point_of(start)
        old.edit(start, start, end, at, at, lines.point_of(end))
    return old, broken


_local = threading.local()
_EVERYTHING = tree_sitter.Range((0, 0), (0xFFFFFFFF, 0xFFFFFFFF), 0, 0xFFFFFFFF)


def _ranged_parser(language: LanguageSpec) -> tree_sitter.Parser:
    """This thread's parser for parsing one range of a text (its own: it sets included ranges)."""
    parsers: dict[str, tree_sitter.Parser] | None = getattr(_local, "parsers", None)
    if parsers is None:
        parsers = _local.parsers = {}
    parser = parsers.get(language.id)
    if parser is None:
        parser = parsers[language.id] = tree_sitter.Parser(language.grammar)
    return parser


Span = tuple[int, int]


def _broken(source: bytes, language: LanguageSpec, cache: RecoveryCache, parser: tree_sitter.Parser,
            cancelled: Cancelled | None) -> list[tuple[Span, Span]]:
    """The broken chunks of ``source`` in order, each with the part of it the guide leaves out."""
    starts = chunk_starts(source)
    ends = [*starts[1:], len(source)]
    statuses = cache.statuses
    if len(statuses) > _STATUSES_KEPT:
        statuses.clear()
    out: list[tuple[Span, Span]] = []
    keep_first = language.id in _NAME_IS_A_STATEMENT
    for start, end in zip(starts, ends, strict=True):
        if end - start > PARSED_ALONE:
            broken = True
        else:
            text = source[start:end]
            found = statuses.get(text)
            if found is None:
                found = statuses[text] = _parse(parser, text, None, cancelled).root_node.has_error
            broken = found
        if not broken:
            continue
        if keep_first and end - start > 2 and source[end - 1] == 0x0A and _NAME_START.match(source, start):
            out.append(((start, end), (start + 1, end - 1)))
        else:
            out.append(((start, end), (start, end)))
    return out


def _kept(left_out: list[Span], size: int) -> list[Span]:
    kept: list[Span] = []
    last = 0
    for start, end in left_out:
        kept.append((last, start))
        last = end
    kept.append((last, size))
    return kept


def _parse(parser: tree_sitter.Parser, source: bytes, old: tree_sitter.Tree | None,
           cancelled: Cancelled | None) -> tree_sitter.Tree:
    if cancelled is None:
        return parser.parse(source, old) if old is not None else parser.parse(source)

    def read(offset: int, _: object) -> bytes:
        return source[offset : offset + 65536]

    def progress(_offset: int, _has_error: bool) -> bool:
        return cancelled()

    # Read through a callback, the parser calls back into Python now and then: other threads (the
    # editor's event loop) get the GIL meanwhile, and a cancelled parse stops early.
    try:
        if old is None:
            return parser.parse(read, progress_callback=progress)
        return parser.parse(read, old, progress_callback=progress)
    except ValueError:  # "Parsing failed": cancelled; the parser would resume it on its next call
        parser.reset()
        if cancelled():
            raise Stop from None
        raise
