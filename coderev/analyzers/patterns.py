"""Text-pattern rules: regular expressions over raw text, for what has no syntax (secrets).

A pattern rule runs on every top-level unit of a parsed file (comments included), and on the
whole text of files without a grammar (``.env``, YAML, JSON, properties, shell). Its ``secret``
group marks the sensitive value: findings carry that span so every report can redact it, and the
message and fingerprint only ever see a redacted form. An optional entropy floor and the
placeholder allow-list keep obvious test values and templates quiet.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

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


_COMPILED: dict[tuple[str, str, tuple[str, ...]], CompiledPattern] = {}


def compile_pattern(rule: Rule) -> CompiledPattern:
    """The compiled form of a pattern rule, cached by its id and texts (cheap to hash, unlike
    the rule itself, and distinct when a user rule reuses a built-in id with another pattern)."""
    assert rule.pattern is not None
    key = (rule.id, rule.pattern, rule.allow)
    found = _COMPILED.get(key)
    if found is None:
        found = _COMPILED[key] = CompiledPattern(
            rule,
            re.compile(rule.pattern.encode("utf-8"), re.MULTILINE),
            tuple(re.compile(a.encode("utf-8")) for a in rule.allow),
        )
    return found


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
        for match in pattern.regex.finditer(source, start, end):
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
