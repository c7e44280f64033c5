"""Edit sequences for the invariant "incremental findings == full findings", and their replay.

Shared by the property test (``tests/test_incremental.py``) and the long fuzzer
(``fuzz/incremental.py``), so that a case either of them finds is replayed the same way by both.

A step is ``(line_frac, char_frac, span_lines, text)`` or ``(line_frac, char_frac, span_lines,
text, span_chars)``: the edit starts at line ``int(line_frac * line_count)``, at character
``int(char_frac * (line length + 1))`` (UTF-16 units), ends ``span_lines`` lines further down at
the start column plus ``span_chars`` (clamped to that line), and puts ``text`` there.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from coderev.analyzers import Analyzer, Document, Finding, Position, TextChange, TextRange, UnitCache, language_for_path

ROOT = Path(__file__).resolve().parent.parent
# Every source file of the examples and fixture apps, in all languages coderev parses.
SOURCES = sorted(
    p
    for p in [*(ROOT / "examples").rglob("*"), *(ROOT / "tests" / "fixtures").rglob("*")]
    if p.is_file() and language_for_path(p) is not None
)

Step = tuple[float, float, int, str] | tuple[float, float, int, str, int]


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le", errors="surrogatepass")) // 2


def position(lines: list[str], line_frac: float, char_frac: float) -> Position:
    line = min(int(line_frac * len(lines)), len(lines) - 1)
    return Position(line, int(char_frac * (utf16_len(lines[line]) + 1)))


def change_for(text: str, step: Step) -> TextChange:
    """The editor change ``step`` makes to ``text``."""
    line_frac, char_frac, span_lines, inserted = step[:4]
    span_chars = step[4] if len(step) == 5 else 0
    lines = text.split("\n")
    start = position(lines, line_frac, char_frac)
    end_line = min(start.line + span_lines, len(lines) - 1)
    end = max(start, Position(end_line, min(start.character + span_chars, utf16_len(lines[end_line]))))
    return TextChange(TextRange(start, end), inserted)


@dataclass(frozen=True, slots=True)
class Mismatch:
    step: int  # 1-based index of the step after which the two analyses differed
    text: str
    incremental: list[Finding]
    full: list[Finding]


def first_mismatch(engine: Analyzer, path: Path, steps: list[Step], text: str | None = None) -> Mismatch | None:
    """Apply ``steps`` to ``path`` (or to ``text`` in its language) one at a time, analyzing
    incrementally after each and comparing with a fresh full analysis of the same text."""
    language = language_for_path(path)
    doc = Document(path.read_text(encoding="utf-8") if text is None else text, language)
    cache = UnitCache()
    engine.analyze(doc, cache)
    for version, step in enumerate(steps, start=1):
        doc.apply_changes([change_for(doc.text, step)], version=version)
        incremental = engine.analyze(doc, cache)
        full = engine.analyze(Document(doc.text, language))
        if incremental != full:
            return Mismatch(version, doc.text, incremental, full)
    return None
