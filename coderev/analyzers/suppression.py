"""Suppression comments: ``coderev: ignore[rule-id]`` and, when allowed, ``nosec``/``nosemgrep``.

A directive counts when it sits in a comment on the finding's first line, or alone on a comment
line directly above it. ``coderev: ignore`` without a list suppresses every rule there.
"""

from __future__ import annotations

import re
from functools import cache

from coderev.analyzers.languages import LanguageSpec
from coderev.analyzers.text import LineIndex

_CODEREV = re.compile(r"coderev:\s*ignore(?:\[([^\]]*)\])?")
_NEEDLES = (b"coderev:", b"nosec", b"nosemgrep")
_NOSEC = re.compile(r"\bnosec\b")
_NOSEMGREP = re.compile(r"\bnosemgrep\b(?::\s*([\w.,\- ]+))?")


@cache
def _comment_starts(language: LanguageSpec) -> tuple[str, ...]:
    if language.id == "text":  # config and script files: whichever comment syntax they use
        return ("#", "//", "/*", ";")
    if not language.has_grammar:  # templates: HTML, Django/Jinja, Handlebars, EJS or Pug comments
        return ("<!--", "{#", "{{!", "<%#", "//")
    return ("#",) if language.line_comment == "#" else ("//", "/*")


def _comment_of(line: str, starts: tuple[str, ...]) -> str | None:
    positions = [i for i in (line.find(s) for s in starts) if i >= 0]
    return line[min(positions) :] if positions else None


def _listed(ids: str | None, rule_id: str) -> bool:
    if ids is None:
        return True
    return rule_id in {part.strip() for part in ids.split(",")}


def comment_suppresses(comment: str, rule_id: str, honor_foreign: bool) -> bool:
    """Whether one comment's text suppresses ``rule_id``."""
    for match in _CODEREV.finditer(comment):
        if _listed(match.group(1), rule_id):
            return True
    if honor_foreign:
        if _NOSEC.search(comment):
            return True
        for match in _NOSEMGREP.finditer(comment):
            if _listed(match.group(1), rule_id) or match.group(1) is None:
                return True
    return False


def directive_rows(source: bytes, lines: LineIndex) -> frozenset[int]:
    """Rows that mention a suppression directive at all: only findings on these rows or the row
    below need the exact check, so a file with many findings costs one scan, not one per finding."""
    rows: set[int] = set()
    for needle in _NEEDLES:  # bytes.find is a memchr-speed scan; a regex alternation is not
        at = source.find(needle)
        while at >= 0:
            rows.add(lines.point_of(at)[0])
            at = source.find(needle, at + len(needle))
    return frozenset(rows)


def is_suppressed(
    lines: LineIndex, row: int, rule_id: str, language: LanguageSpec, honor_foreign: bool
) -> bool:
    starts = _comment_starts(language)
    own = _comment_of(lines.line_bytes(row).decode("utf-8", "replace"), starts)
    if own is not None and comment_suppresses(own, rule_id, honor_foreign):
        return True
    if row == 0:
        return False
    above = lines.line_bytes(row - 1).decode("utf-8", "replace").strip()
    return above.startswith(starts) and comment_suppresses(above, rule_id, honor_foreign)


def suppression_comment(language: LanguageSpec, rule_id: str) -> str:
    """The comment text that suppresses ``rule_id`` on its line, in the language's syntax."""
    return f"{language.line_comment} coderev: ignore[{rule_id}]"
