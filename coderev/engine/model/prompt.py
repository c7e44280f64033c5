"""The one prompt and output format shared by every model slot (docs/adr/0005, ``coderev-edit-v4``).

Requests::

    FIX <rule-id>            REVIEW <language>
    <code region>            <numbered non-blank lines: "<n>| <line>">
    ANSWER                   ANSWER

Answers (the model generates these, and a bigger model can be prompted to produce them)::

    FIX                      REVIEW
    <<< verify=False         L4 CWE-89 sql-injection      (one line per finding)
    >>> verify=True          END                          ("NONE" when there is nothing)
    END

A FIX answer is a list of search/replace hunks over the region (one syntax node, see
:mod:`coderev.engine.model.region`): each ``<<<`` text is looked up in the region from the end of the
previous hunk on, its first occurrence is replaced by the ``>>>`` text. A newline inside a hunk is
written ``⏎``. No hunk at all means "nothing to change". The model writes only what changes (plus
the few tokens that make it unambiguous), so it never has to copy the rest of the region.

A REVIEW line starts with the line number: the model first points at a line it has just read,
then names what is wrong there.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

FORMAT_NAME = "coderev-edit-v4"
ANSWER = "ANSWER"
END = "END"
SEARCH = "<<< "
REPLACE = ">>> "
NEWLINE = "\u23ce"  # ⏎: a newline inside a hunk
_TOKEN = re.compile(r"\w+|\s|[^\w\s]")
_BLOCK_OPENS = re.compile(r"(\)|=>)\s*\{\s*$")
_MERGE_GAP = 3  # hunks separated by at most this many unchanged tokens are written as one
_REVIEW_LINE = re.compile(r"^L(\d+) CWE-(\d+) ([a-z0-9-]+)$")


@dataclass(frozen=True, slots=True)
class ReviewItem:
    cwe: int
    line: int  # 1-based, relative to the function
    message: str


def fix_prompt(rule_id: str, region: str, hint: str = "") -> str:
    """``region`` is already abstracted and dedented (:func:`coderev.engine.model.region.dedent`);
    ``hint`` is what the fix depends on beyond the region (an SQL driver's placeholder)."""
    head = f"FIX {rule_id} {hint}" if hint else f"FIX {rule_id}"
    return f"{head}\n{region.rstrip(chr(10))}\n{ANSWER}\n"


def task_of(prompt: str) -> str:
    """``fix`` or ``review`` for a request in this format (its first word), else ``other``."""
    return {"FIX": "fix", "REVIEW": "review"}.get(prompt.split("\n", 1)[0].split(" ", 1)[0], "other")


Hunk = tuple[str, str]  # (search, replace)


def edit_hunks(region: str, replacement: str) -> list[Hunk]:
    """The hunks that turn ``region`` into ``replacement`` under :func:`apply_hunks`.

    Changed token runs (words, single punctuation or whitespace characters) close to each other
    are merged; each search text is then widened one token at a time, to the left first (towards
    the keyword or callee that names a value; an insertion to the right first, onto the bracket it
    precedes), until its first occurrence after the previous hunk is the changed place.
    Deterministic, so the model learns one way of writing each fix."""
    a, b = _TOKEN.findall(region), _TOKEN.findall(replacement)
    opcodes = [op for op in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes() if op[0] != "equal"]
    merged: list[list[int]] = []
    for _, i1, i2, j1, j2 in opcodes:
        if merged and i1 - merged[-1][1] <= _MERGE_GAP:
            merged[-1][1], merged[-1][3] = i2, j2
        else:
            merged.append([i1, i2, j1, j2])
    offsets = [0]
    for token in a:
        offsets.append(offsets[-1] + len(token))
    hunks: list[Hunk] = []
    cursor = 0
    for span in merged:
        search, replace, cursor = _widen(a, b, offsets, region, cursor=cursor, span=span)
        hunks.append((search, replace))
    if apply_hunks(region, hunks) != replacement:
        raise ValueError("the hunks do not reproduce the replacement")
    return hunks


def _widen(a: list[str], b: list[str], offsets: list[int], region: str, *, cursor: int, span: list[int]
           ) -> tuple[str, str, int]:
    """(search, replace, end offset) of one changed token span, widened until unambiguous."""
    i1, i2, j1, j2 = span
    rightwards = i1 == i2  # an insertion is anchored on what follows it (the `)` a new argument precedes)
    while True:
        search = "".join(a[i1:i2])
        if search and region.find(search, cursor) == offsets[i1]:
            return search, "".join(b[j1:j2]), offsets[i2]
        if rightwards and i2 < len(a):
            i2, j2 = i2 + 1, j2 + 1
        elif i1 > 0 and offsets[i1 - 1] >= cursor:
            i1, j1 = i1 - 1, j1 - 1
        elif i2 < len(a):
            i2, j2 = i2 + 1, j2 + 1
        else:
            raise ValueError("no unambiguous hunk for this edit")


def apply_hunks(region: str, hunks: list[Hunk]) -> str | None:
    """``region`` with every hunk applied in order, or None when a search text is not found."""
    out, cursor = [], 0
    for search, replace in hunks:
        at = region.find(search, cursor) if search else -1
        if at < 0:
            return None
        out += [region[cursor:at], replace]
        cursor = at + len(search)
    return "".join(out) + region[cursor:]


def fix_answer(hunks: list[Hunk]) -> str:
    body = "".join(f"{SEARCH}{_escape(s)}\n{REPLACE}{_escape(r)}\n" for s, r in hunks)
    return f"FIX\n{body}{END}\n"


def _escape(text: str) -> str:
    return text.replace("\n", NEWLINE)


def number_lines(function: str, window: tuple[int, int] | None = None) -> str:
    """``<n>| <line>`` for every non-blank line (of ``window``: 1-based, inclusive), without its
    indentation. Blank lines are left out but keep their numbers, so line numbers are those of the
    function. Indentation and blank lines cost a small model a third of its input and say nothing
    about the calls and values a finding is about."""
    first, last = window or (1, len(function.splitlines()))
    return "".join(f"{i}| {line.strip()}\n" for i, line in enumerate(function.splitlines(), start=1)
                   if line.strip() and first <= i <= last)


def review_prompt(function: str, language: str = "python", window: tuple[int, int] | None = None) -> str:
    """``function`` is already abstracted; ``language`` is the grammar family. With ``window``
    only those lines are shown, still numbered as in the function."""
    return f"REVIEW {language}\n{number_lines(function, window)}{ANSWER}\n"


def statement_windows(function: str) -> list[tuple[int, int]]:
    """The function's logical lines as 1-based inclusive line ranges: a line that leaves a
    parenthesis or square bracket open continues on the next ones until it is closed (a multi-line
    call is one window), unless it opens a block (``(req, res) => {``: a callback's body holds
    statements of its own). Braces do not join lines: they open blocks in most languages, and a
    multi-line literal's entries read well one per line (``InsecureSkipVerify: true,``). Blank
    lines start no window. Brackets inside abstracted strings are gone (``STR<n>``)."""
    windows: list[tuple[int, int]] = []
    depth, start = 0, 0
    for number, line in enumerate(function.splitlines(), start=1):
        if not line.strip() and depth == 0:
            continue
        if depth == 0:
            start = number
        depth = max(0, depth + sum(line.count(c) for c in "([") - sum(line.count(c) for c in ")]"))
        if depth == 0 or _BLOCK_OPENS.search(line):  # a callback's body is statements of its own
            depth = 0
            windows.append((start, number))
    if depth:
        windows.append((start, len(function.splitlines())))
    return windows


def review_answer(items: list[ReviewItem]) -> str:
    body = "\n".join(f"L{i.line} CWE-{i.cwe} {i.message}" for i in items) if items else "NONE"
    return f"REVIEW\n{body}\n{END}\n"


def parse_fix(answer: str) -> list[Hunk] | None:
    """The hunks of a FIX answer, or None when it does not follow the format."""
    lines = answer.split("\n")
    if not lines or lines[0].strip() != "FIX":
        return None
    try:
        end = lines.index(END, 1)
    except ValueError:
        return None
    body = lines[1:end]
    if len(body) % 2:
        return None
    hunks: list[Hunk] = []
    for search, replace in zip(body[::2], body[1::2], strict=True):
        if not search.startswith(SEARCH.rstrip()) or not replace.startswith(REPLACE.rstrip()):
            return None
        hunks.append((_unescape(search, SEARCH), _unescape(replace, REPLACE)))
    return hunks


def _unescape(line: str, marker: str) -> str:
    text = line[len(marker):] if line.startswith(marker) else line[len(marker.rstrip()):]
    return text.replace(NEWLINE, "\n")


def apply_fix(region: str, answer: str) -> str | None:
    """The region after a FIX answer's hunks, or None when the answer does not follow the format
    or names text the region does not have."""
    hunks = parse_fix(answer)
    return None if hunks is None else apply_hunks(region, hunks)


def parse_review(answer: str) -> list[ReviewItem] | None:
    """The findings of a REVIEW answer, or None when it does not follow the format."""
    lines = [line.strip() for line in answer.split("\n")]
    if not lines or lines[0] != "REVIEW" or END not in lines:
        return None
    body = lines[1 : lines.index(END)]
    if body == ["NONE"]:
        return []
    items: list[ReviewItem] = []
    for line in body:
        match = _REVIEW_LINE.match(line)
        if match is None:
            return None
        items.append(ReviewItem(int(match.group(2)), int(match.group(1)), match.group(3)))
    return items
