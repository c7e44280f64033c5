"""Text-pattern rules: regular expressions over raw text, for what has no syntax (secrets, and
templates' unescaped output).

A pattern rule runs on every top-level unit of a parsed file (comments included), and on the
whole text of files without a grammar (``.env``, YAML, JSON, properties, shell, and templates
for the rules that name a template language). A secret rule's ``secret`` group marks the sensitive
value: findings carry that span so every report can redact it, and the message and fingerprint
only ever see a redacted form. An optional entropy floor and the placeholder allow-list keep
obvious test values and templates quiet. Other pattern rules report the whole match, except where
an ``allow`` pattern finds something in it.
"""

from __future__ import annotations

import importlib
import math
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from coderev.analyzers.finding import Finding, Span
from coderev.analyzers.ruleset import Rule

# Values that are plainly not real credentials: templates, references, masks and stock examples.
PLACEHOLDERS = re.compile(
    rb"(?i)^(?:"
    rb"changeme|change[_-]?me|example|sample|dummy|fake|test(?:ing)?|secret|password|passwd|"
    rb"placeholder|redacted|none|null|nil|undefined|todo|tbd|your[_-].*|my[_-].*|<[^>]*>|"
    rb"\$\{[^}]*\}|\$\([^)]*\)|\$[A-Z_][A-Z0-9_]*|%[A-Z_][A-Z0-9_]*%|\{\{[^}]*\}\}|"
    rb"(?:x|\*|\.|-|_|0)+|.*(?:EXAMPLE|example|xxxx|XXXX|\*\*\*\*).*"
    rb")$"
)


# Findings of this category hold a credential: the reported text is redacted everywhere.
SECRET_CATEGORY = "hardcoded-secret"  # noqa: S105 - a category name, not a password


@dataclass(frozen=True, slots=True)
class CompiledPattern:
    rule: Rule
    regex: re.Pattern[bytes]
    allow: tuple[re.Pattern[bytes], ...]
    needles: tuple[bytes, ...] | None = None  # every match contains one of these (None: unknown)


_COMPILED: dict[tuple[str, str, tuple[str, ...]], CompiledPattern] = {}


def compile_pattern(rule: Rule) -> CompiledPattern:
    """The compiled form of a pattern rule, cached by its id and texts (cheap to hash, unlike
    the rule itself, and distinct when a user rule reuses a built-in id with another pattern)."""
    assert rule.pattern is not None
    key = (rule.id, rule.pattern, rule.allow)
    found = _COMPILED.get(key)
    if found is None:
        regex = re.compile(rule.pattern.encode("utf-8"), re.MULTILINE)
        found = _COMPILED[key] = CompiledPattern(
            rule, regex, tuple(re.compile(a.encode("utf-8")) for a in rule.allow), needles(regex)
        )
    return found


# Needles shorter than this are in nearly every text: looking for them first would not pay.
MIN_NEEDLE = 3


def needles(regex: re.Pattern[bytes]) -> tuple[bytes, ...] | None:
    """Literal byte strings of which every match of ``regex`` contains at least one, or None when
    none are known (or the shortest is under :data:`MIN_NEEDLE` bytes).

    Most secret patterns are anchored on a literal (``AKIA``, ``ghp_``, ``-----BEGIN``) but start
    with ``\\b`` or a group, which keeps the regex engine from skipping ahead to it: it steps
    through every byte of every unit instead. A ``bytes.find`` for the needles first is many
    times faster, and a unit without any of them cannot hold a match. Derived from the parsed
    regex; case-insensitive parts and anything not understood give no needles, never wrong ones."""
    try:
        parser: Any = importlib.import_module("re._parser")
        constants: Any = importlib.import_module("re._constants")
        parsed = parser.parse(regex.pattern, regex.flags)
    except Exception:  # another Python's private parser: no prefilter, same findings
        return None
    if parsed.state.flags & re.IGNORECASE:
        return None
    found = _required(parsed, constants)
    return found if found and min(map(len, found)) >= MIN_NEEDLE else None


def _required(sequence: Any, c: Any) -> tuple[bytes, ...] | None:
    """Needles of a parsed sequence: of its literal runs (a small character class spelled out:
    ``gh[pousr]_`` is five needles) and required parts, the best one."""
    options: list[tuple[bytes, ...]] = []
    run: tuple[bytes, ...] = (b"",)
    for op, value in sequence:
        chars = [value] if op is c.LITERAL else _literal_class(op, value, c)
        if chars is not None and len(run) * len(chars) <= MAX_NEEDLES:
            run = tuple(r + bytes([ch]) for r in run for ch in chars)
            continue
        if run[0]:
            options.append(run)
        run = (b"",)
        inner: tuple[bytes, ...] | None = None
        if op is c.SUBPATTERN and not value[1] & re.IGNORECASE:
            inner = _required(value[3], c)
        elif op is c.BRANCH:
            branches = [_required(branch, c) for branch in value[1]]
            if branches and all(b is not None for b in branches):
                inner = tuple(dict.fromkeys(n for b in branches if b is not None for n in b))
        elif op in (c.MAX_REPEAT, c.MIN_REPEAT, getattr(c, "POSSESSIVE_REPEAT", None)) and value[0] >= 1:
            inner = _required(value[2], c)
        if inner:
            options.append(inner)
    if run[0]:
        options.append(run)
    return max(options, key=lambda o: (min(map(len, o)), -len(o)), default=None)


MAX_NEEDLES = 16


def _literal_class(op: Any, value: Any, c: Any) -> list[int] | None:
    """The bytes of a character class made only of literals (``[pousr]``), else None."""
    if op is not c.IN or not all(kind is c.LITERAL for kind, _ in value):
        return None
    return [ch for _, ch in value]


# The text last asked about, and which needle sets occur anywhere in it: a file's units are
# matched one after the other, and most files hold no needle at all (one search per file, not
# one per unit). The whole-file search only pays once several units of the text are matched: a
# keystroke matches one unit, and a search of 5,000 lines per needle set would cost it more than
# the unit's own (``_WHOLE_FILE_AFTER``). Replaced as a whole, so threads analyzing other texts
# only cost a recount.
_last_text: tuple[bytes, dict[tuple[bytes, ...], bool], list[int]] = (b"", {}, [0])
_WHOLE_FILE_AFTER = 3  # units of one text matched before its needles are looked for in all of it


def _may_match(pattern: CompiledPattern, source: bytes, start: int, end: int) -> bool:
    global _last_text
    found = pattern.needles
    if found is None:
        return True
    text, known, units = _last_text
    if text is not source:
        known, units = {}, [0]
        _last_text = (source, known, units)
    if start != units[-1]:  # a new unit of this text
        units.append(start)
    if len(units) <= _WHOLE_FILE_AFTER:
        return any(source.find(n, start, end) >= 0 for n in found)
    anywhere = known.get(found)
    if anywhere is None:
        anywhere = known[found] = any(n in source for n in found)
    return anywhere and any(source.find(n, start, end) >= 0 for n in found)


def shannon_entropy(value: bytes) -> float:
    """Bits of entropy per character of ``value`` (0 for empty)."""
    if not value:
        return 0.0
    total = len(value)
    return -sum(n / total * math.log2(n / total) for n in Counter(value).values())


def redacted(value: bytes) -> str:
    """A form of a secret that is safe to show: its first four characters and its length."""
    text = value.decode("utf-8", "replace")
    return f"{text[:4]}…({len(text)} chars)" if len(text) > 8 else "…"


def redact(source: bytes, spans: Sequence[Span]) -> bytes:
    """``source`` with each secret masked after its first four characters. Masking is byte for
    byte (printable ASCII becomes ``*``; line breaks and other bytes stay), so every offset,
    line and column in the text stays where it was."""
    if not spans:
        return source
    out = bytearray(source)
    for span in spans:
        for i in range(span.start_byte + 4, min(span.end_byte, len(out))):
            if 0x21 <= out[i] <= 0x7E:
                out[i] = 0x2A
    return bytes(out)


_QUOTED = re.compile(rb"^([A-Za-z]{0,2})(\"\"\"|'''|[\"'`])", re.DOTALL)


def literal_span(span: Span, text: bytes) -> Span:
    """The span of a quoted literal's content, without its prefix (``r``, ``b``...) and quotes:
    the secret is what is masked, from its fifth character to its last, not the quote that
    closes it. Anything that is not a quoted literal keeps its span."""
    opening = _QUOTED.match(text)
    if opening is None or len(text) < 2 * len(opening.group(2)) + len(opening.group(1)):
        return span
    quote = opening.group(2)
    if not text.endswith(quote):
        return span
    head, tail = opening.end(), len(quote)
    start_col = span.start_col + head
    end_col = span.end_col - tail if span.end_col >= tail else span.end_col
    return Span(span.start_byte + head, span.end_byte - tail, span.start_row, start_col, span.end_row, end_col)


def _plausible(pattern: CompiledPattern, value: bytes) -> bool:
    if PLACEHOLDERS.match(value) or any(a.search(value) for a in pattern.allow):
        return False
    floor = pattern.rule.entropy
    return floor is None or shannon_entropy(value) >= floor


def _span(source: bytes, start: int, end: int, base: tuple[int, int, int]) -> Span:
    """The span of [start, end) in ``source``, whose byte ``base[0]`` is at (row, col) base[1:]."""
    base_byte, base_row, base_col = base

    def point(offset: int) -> tuple[int, int]:
        newlines = source.count(b"\n", base_byte, offset)
        if newlines == 0:
            return base_row, base_col + offset - base_byte
        return base_row + newlines, offset - source.rindex(b"\n", base_byte, offset) - 1

    (sr, sc), (er, ec) = point(start), point(end)
    return Span(start, end, sr, sc, er, ec)


def match_patterns(
    rules: Sequence[Rule],
    source: bytes,
    start: int,
    end: int,
    origin: tuple[int, int, int],
    *,
    language_id: str,
    unit_name: str = "",
) -> Iterator[tuple[Finding, str]]:
    """Findings of pattern ``rules`` in ``source[start:end]``, which begins at ``origin``
    (byte, row, col), each with its fingerprint key."""
    for rule in rules:
        pattern = compile_pattern(rule)
        if not _may_match(pattern, source, start, end):
            continue
        is_secret = rule.category == SECRET_CATEGORY
        for match in pattern.regex.finditer(source, start, end):
            if not is_secret:  # a template's unescaped output, say: nothing to redact
                if any(a.search(match.group(0)) for a in pattern.allow):
                    continue
                finding = Finding(
                    rule_id=rule.id, language=language_id, severity=rule.severity, message=rule.message,
                    span=_span(source, match.start(), match.end(), origin), cwe=rule.cwe,
                    category=rule.category, confidence=rule.confidence,
                )
                yield finding, f"{rule.id}\0{unit_name}\0{match.group(0).decode('utf-8', 'replace')}"
                continue
            group = "secret" if "secret" in pattern.regex.groupindex else 0
            value = match.group(group)
            if value is None or not _plausible(pattern, value):
                continue
            secret = _span(source, match.start(group), match.end(group), origin)
            shown = redacted(value)
            finding = Finding(
                rule_id=rule.id,
                language=language_id,
                severity=rule.severity,
                message=rule.message.replace("{{redacted}}", shown),
                span=_span(source, match.start(), match.end(), origin),
                cwe=rule.cwe,
                category=rule.category,
                confidence=rule.confidence,
                secret=secret,
            )
            # The key never holds the value itself, only its redacted form and its length.
            yield finding, f"{rule.id}\0{unit_name}\0{shown}\0{shannon_entropy(value):.3f}"
