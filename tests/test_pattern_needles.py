"""The literal needles of secret patterns (coderev/analyzers/patterns.py): every match of a
pattern contains one of its needles, so skipping a unit without any never loses a finding."""

from __future__ import annotations

import re

import pytest

from coderev.analyzers.patterns import compile_pattern, match_patterns, needles
from coderev.analyzers.ruleset import default_rules


@pytest.mark.parametrize(
    ("regex", "expected"),
    [
        (rb"ab[cd]efg", (b"abcefg", b"abdefg")),
        (rb"(?:abc)?wxyz", (b"wxyz",)),
        (rb"a*bcd|efgh", (b"bcd", b"efgh")),
        (rb"(abcd|efgh)+", (b"abcd", b"efgh")),
        (rb"(abcd|e)", None),  # one branch has no needle long enough: none at all
        (rb"(?i)secret", None),  # case-insensitive: not a byte-for-byte needle
        (rb"x(?i:secret)y", None),
        (rb"[^a]bcd", (b"bcd",)),
        (rb"\bkey=(?P<secret>\w+)", (b"key=",)),
    ],
)
def test_needles_of_a_regex(regex: bytes, expected: tuple[bytes, ...] | None) -> None:
    assert needles(re.compile(regex)) == expected


def test_every_example_match_contains_a_needle() -> None:
    checked = 0
    for rule in default_rules():
        if not rule.is_pattern:
            continue
        pattern = compile_pattern(rule)
        for example in rule.examples:
            for match in pattern.regex.finditer(example.code.encode("utf-8")):
                if pattern.needles is not None:
                    assert any(n in match.group(0) for n in pattern.needles), (rule.id, match.group(0))
                    checked += 1
    assert checked > 5


def test_a_unit_without_needles_is_skipped_and_one_with_them_is_not() -> None:
    rule = next(r for r in default_rules() if r.id == "secrets.hardcoded-secret.aws-access-key-id")
    key = b"AKIA" + b"Q" * 16
    source = b"x = 1\n" + b'KEY = "' + key + b'"\n'
    found = list(match_patterns([rule], source, 0, len(source), (0, 0, 0), language_id="python"))
    assert len(found) == 1
    assert not list(match_patterns([rule], source, 0, 6, (0, 0, 0), language_id="python"))  # the first line only
