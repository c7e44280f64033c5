"""Suppression comments on the line or the line above; foreign ones only when allowed."""

from __future__ import annotations

import pytest

from coderev.analyzers import AnalysisOptions, get_language
from coderev.analyzers.suppression import suppression_comment
from tests.check import findings, rule_ids

RULE = "python.insecure-deserialization.yaml-load"
CALL = "data = yaml.load(s)"


@pytest.mark.parametrize(
    ("code", "suppressed"),
    [
        (f"{CALL}\n", False),
        (f"{CALL}  # coderev: ignore\n", True),
        (f"{CALL}  # coderev: ignore[{RULE}]\n", True),
        (f"{CALL}  # coderev: ignore[python.other.rule]\n", False),
        (f"{CALL}  # coderev:ignore[python.other.rule, {RULE}]\n", True),
        (f"# coderev: ignore[{RULE}]\n{CALL}\n", True),
        (f"x = 1  # coderev: ignore\n{CALL}\n", False),  # a trailing comment covers its own line only
        (f"# coderev: ignore\n\n{CALL}\n", False),
        (f"s = '# coderev: ignore'\n{CALL}\n", False),
        (f"{CALL}  # nosec\n", False),
        (f"{CALL}  # nosemgrep\n", False),
    ],
)
def test_coderev_suppression(code: str, suppressed: bool) -> None:
    assert (RULE not in rule_ids(code)) is suppressed


@pytest.mark.parametrize(
    "comment", ["# nosec", "# nosec B506", "# nosemgrep", f"# nosemgrep: {RULE}"]
)
def test_foreign_suppressions_when_the_setting_allows(comment: str) -> None:
    options = AnalysisOptions(honor_foreign_suppressions=True)
    assert RULE not in rule_ids(f"{CALL}  {comment}\n", options=options)
    assert RULE in rule_ids(f"{CALL}  # nosemgrep: some.other-rule\n", options=options)


def test_suppression_comment_uses_the_language_syntax() -> None:
    python, go = get_language("python"), get_language("go")
    assert python is not None and go is not None
    assert suppression_comment(python, RULE) == f"# coderev: ignore[{RULE}]"
    assert suppression_comment(go, "go.x.y") == "// coderev: ignore[go.x.y]"


WEAK_HASH = "python.weak-crypto.weak-hash"
MANY = f"""import hashlib, yaml

TEXT = "# coderev: ignore"  # a string that mentions a directive, before every real one

def f(s, t):
    a = yaml.load(s)  # coderev: ignore
    b = yaml.load(t)
    # coderev: ignore[{RULE}]
    c = yaml.load(s + t)
    d = hashlib.md5(s)  # coderev: ignore[{WEAK_HASH}]
    e = hashlib.md5(t)  # coderev: ignore[{RULE}]
    g = yaml.load(s), hashlib.md5(s)  # coderev:ignore[{RULE}, {WEAK_HASH}]
    # coderev: ignore
    h = yaml.load(t), hashlib.md5(t)
    return a, b, c, d, e, g, h

late = yaml.load(TEXT)  # coderev: ignore
"""


def _rows(code: str, language: str = "python", options: AnalysisOptions | None = None) -> list[tuple[int, str]]:
    """(1-based line, rule id) of every finding, in order."""
    return [(f.span.start_row + 1, f.rule_id) for f in findings(code, language, options)]


def test_every_directive_of_a_file_counts() -> None:
    """Trailing and line-above directives, bare and with rule lists, many in one file: each
    silences exactly its own line; the unsuppressed findings between them remain."""
    assert _rows(MANY) == [(7, RULE), (11, WEAK_HASH)]
    assert _rows(MANY.replace("coderev", "reviewer")) == [  # the same comments, not directives
        (6, RULE), (7, RULE), (9, RULE), (10, WEAK_HASH), (11, WEAK_HASH),
        (12, RULE), (12, WEAK_HASH), (14, RULE), (14, WEAK_HASH), (17, RULE)]


def test_every_javascript_directive_counts() -> None:
    code = """const crypto = require('crypto');
function digests(a, b, c) {
  const x = crypto.createHash('md5').update(a).digest('hex'); // coderev: ignore
  const y = crypto.createHash('md5').update(b).digest('hex');
  // coderev: ignore[javascript.weak-crypto.weak-hash]
  const z = crypto.createHash('sha1').update(c).digest('hex');
  const w = crypto.createHash('md5').update(c).digest('hex'); /* coderev: ignore[javascript.weak-crypto.weak-hash] */
  // coderev: ignore[javascript.weak-crypto.weak-hash]
  return eval(a + x + y + z + w);
}
"""
    assert _rows(code, "javascript") == [
        (4, "javascript.weak-crypto.weak-hash"), (9, "javascript.code-injection.eval-dynamic")]


def test_every_foreign_directive_counts_when_allowed() -> None:
    code = f"""import hashlib, yaml

def f(s, t):
    a = yaml.load(s)  # nosec
    b = yaml.load(t)
    c = hashlib.md5(s)  # nosemgrep: {WEAK_HASH}
    d = hashlib.md5(t)  # nosemgrep: {RULE}
    e = yaml.load(s + t)  # nosemgrep
    return a, b, c, d, e
"""
    allowed = AnalysisOptions(honor_foreign_suppressions=True)
    assert _rows(code, options=allowed) == [(5, RULE), (7, WEAK_HASH)]
    assert len(_rows(code)) == 5  # not honoured by default
