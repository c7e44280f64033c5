"""Realistic typing as a sequence of one-keystroke editor changes, for the typing benchmarks.

A session puts the cursor at the end of a statement somewhere in the file, presses Enter (the
editor indents the new line as one change), types a snippet one character at a time, without
auto-closed brackets or quotes, and then either leaves it or deletes it again with Backspace.
Sessions are spread over the whole file. Most intermediate states are invalid syntax: a keyword
half typed, an unterminated string, an unclosed bracket.
"""

from __future__ import annotations

import keyword
import random
import re
from dataclasses import dataclass

# Per language: statements typed into a function body; "\n" is Enter, a leading "+" on the next
# line indents it one level deeper, a leading "-" one level less (as an editor's auto-indent does).
SNIPPETS: dict[str, tuple[str, ...]] = {
    "python": (
        "for item in items:\n+total += item",
        "return value",
        'x = "some string"',
        "call(arg, [1, 2])",
        "if total > limit:\n+raise ValueError(total)",
        "data = {'key': value, 'other': [1, 2]}",
    ),
    "javascript": (
        "for (const item of items) {\n+total += item;\n-}",
        "return value;",
        'const x = "some string";',
        "call(arg, [1, 2]);",
        "if (total > limit) {\n+throw new Error(total);\n-}",
        "const data = { key: value, other: [1, 2] };",
    ),
    "java": (
        "for (int i = 0; i < n; i++) {\n+total += i;\n-}",
        "return value;",
        'String x = "some string";',
        "call(arg, new int[] {1, 2});",
        "if (total > limit) {\n+throw new IllegalStateException();\n-}",
        "Map<String, Integer> data = Map.of(\"key\", 1);",
    ),
}
INDENT = {"python": "    ", "javascript": "  ", "java": "    "}


@dataclass(frozen=True, slots=True)
class Keystroke:
    """Replace ((line, character), (line, character)) with ``text``: one didChange."""

    start: tuple[int, int]
    end: tuple[int, int]
    text: str


def _anchor(lines: list[str], language: str, near: int) -> int:
    """A line at or after ``near`` that ends an indented statement, after which a new statement
    at the same indentation is valid."""
    for offset in range(len(lines)):
        i = (near + offset) % len(lines)
        line = lines[i]
        stripped = line.strip()
        if not stripped or not line.startswith(" ") or stripped.startswith(("#", "//", "*", "@")):
            continue
        if language == "python":
            nxt = next((n for n in lines[i + 1 :] if n.strip()), "")
            indent = len(line) - len(line.lstrip())
            if stripped[-1] not in ":,([{\\" and len(nxt) - len(nxt.lstrip()) <= indent and not stripped.startswith(
                ("return", "raise", '"""')
            ):
                return i
        elif stripped.endswith(";") and not stripped.startswith(("return", "throw", "for")):
            return i
    raise ValueError("no statement to type after")


class Typist:
    """Types into a copy of the text it keeps, so each keystroke's editor position is exact."""

    def __init__(self, text: str) -> None:
        self.lines = text.split("\n")
        self.keys: list[Keystroke] = []

    def _insert(self, line: int, col: int, text: str) -> tuple[int, int]:
        self.keys.append(Keystroke((line, col), (line, col), text))
        head, tail = self.lines[line][:col], self.lines[line][col:]
        parts = text.split("\n")
        if len(parts) == 1:
            self.lines[line] = head + text + tail
            return line, col + len(text)
        self.lines[line : line + 1] = [head + parts[0], *parts[1:-1], parts[-1] + tail]
        return line + len(parts) - 1, len(parts[-1])

    def _backspace(self, line: int, col: int) -> tuple[int, int]:
        """One Backspace: a character (an auto-closed pair as a whole, as editors delete it), or,
        within a line's indentation, the indentation and the line break before it."""
        text = self.lines[line]
        if text[:col].strip():
            end = col + 1 if col < len(text) and text[col - 1 : col + 1] in PAIRS else col
            self.keys.append(Keystroke((line, col - 1), (line, end), ""))
            self.lines[line] = text[: col - 1] + text[end:]
            return line, col - 1
        previous = len(self.lines[line - 1])
        self.keys.append(Keystroke((line - 1, previous), (line, col), ""))
        self.lines[line - 1 : line + 1] = [self.lines[line - 1] + text[col:]]
        return line - 1, previous

    def _type(self, line: int, col: int, char: str, auto_close: bool) -> tuple[int, int]:
        text = self.lines[line]
        if not auto_close:
            return self._insert(line, col, char)
        if char in CLOSERS and text[col : col + 1] == char:
            return line, col + 1  # typed over the closer the editor inserted: no change
        if char in OPENERS and (char not in "\"'" or not text[col - 1 : col].isalnum()):
            self._insert(line, col, char + OPENERS[char])
            return line, col + 1
        return self._insert(line, col, char)

    def session(self, language: str, at: int, snippet: str, erase: bool, auto_close: bool = False) -> None:
        """Enter after a statement near line ``at``, type ``snippet``, then maybe erase it all.
        ``auto_close``: the editor closes brackets and quotes as they are opened (and an Enter
        between braces puts the closing one on a line of its own), as VS Code does by default."""
        anchor = _anchor(self.lines, language, at)
        base = self.lines[anchor][: len(self.lines[anchor]) - len(self.lines[anchor].lstrip())]
        unit = INDENT[language]
        line, col = anchor, len(self.lines[anchor])
        depth = 0
        for marked in snippet.split("\n"):
            depth += marked.count("+", 0, 1) - marked.count("-", 0, 1)
            part = marked.lstrip("+-")
            prefix = base + unit * depth
            if auto_close and part == "}" and self.lines[line + 1].strip() == "}":
                line, col = line + 1, len(self.lines[line + 1])  # the editor closed it: go past it
                continue
            if auto_close and self.lines[line][col - 1 : col + 1] == "{}":
                line, col = self._insert(line, col, "\n" + prefix + "\n" + prefix[: -len(unit)])
                line, col = line - 1, len(prefix)
            else:
                line, col = self._insert(line, col, "\n" + prefix)
            for char in part:
                line, col = self._type(line, col, char, auto_close)
        if not erase:
            return
        col = len(self.lines[line])  # an auto-closed bracket may follow the cursor: erase from the end
        while line > anchor:
            line, col = self._backspace(line, col)


OPENERS = {"(": ")", "[": "]", "{": "}", '"': '"', "'": "'"}
CLOSERS = frozenset(OPENERS.values())
PAIRS = frozenset(a + b for a, b in OPENERS.items())


def typing_script(text: str, language: str, sessions: int, seed: int = 5, auto_close: bool = False) -> list[Keystroke]:
    """Keystrokes of ``sessions`` typing sessions spread over ``text``; every other one is erased."""
    rng = random.Random(seed)
    typist = Typist(text)
    snippets = SNIPPETS[language]
    for i in range(sessions):
        at = (i * 7 % sessions) * len(typist.lines) // sessions + rng.randrange(20)
        typist.session(language, at, snippets[i % len(snippets)], erase=i % 2 == 0, auto_close=auto_close)
    return typist.keys


_NAME = re.compile(r"\b[a-z_][a-z_0-9]{2,}\b")


def name_edits(text: str, count: int, seed: int = 11) -> list[Keystroke]:
    """The baseline: a letter typed inside a name in an indented line, then deleted again (the
    pattern of bench/lsp_latency.py and bench/scan_speed.py); the text stays valid throughout."""
    rng = random.Random(seed)
    lines = text.split("\n")
    spots = [
        (i, m.start() + 1) for i, line in enumerate(lines)
        if line.startswith(" ") and not line.lstrip().startswith(("#", "//", "*", '"'))
        for m in _NAME.finditer(line) if not keyword.iskeyword(m.group()) and m.group() not in RESERVED
    ]
    keys: list[Keystroke] = []
    for _ in range(count // 2):
        line, col = rng.choice(spots)
        keys += [Keystroke((line, col), (line, col), rng.choice("abcxyz")), Keystroke((line, col), (line, col + 1), "")]
    return keys


# Words of JavaScript and Java that a letter would turn into a name without breaking the syntax
# the other way round (``return`` -> ``rxeturn``): the baseline leaves them alone.
RESERVED = frozenset({
    "const", "let", "var", "function", "return", "throw", "new", "this", "class", "extends", "for", "while", "if",
    "else", "async", "await", "of", "in", "public", "private", "protected", "static", "final", "void", "int",
    "double", "String", "try", "catch",
})
