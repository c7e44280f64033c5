"""Fixture apps: realistic code per language, with exactly the findings coderev must report.

Each directory ``tests/fixtures/<app>/`` with ``vulnerable/`` and ``safe/`` folders is one app.
A finding is expected where its start line carries a trailing marker comment naming its rule
(several comma-separated; a rule named twice is two findings on that line):

    rows, err := a.db.Query(fmt.Sprintf(q, term))  // expect: go.sql-injection.formatted-query
    http.SetCookie(w, c)  // expect: go.insecure-cookie.missing-httponly, go.insecure-cookie.missing-secure
    <div dangerouslySetInnerHTML={{ __html: bio }} /> {/* expect: javascript.xss... */}   (JSX text)

Every file's findings, as (line, rule id), must be exactly its markers: an extra finding fails
as much as a missing one. Files under ``safe/`` carry no ``expect:`` marker and must have no finding
of any severity. A false positive that its rule cannot avoid yet is pinned where it is reported
with ``expect-not: rule-id  (why)``: it must still be reported (the note goes when the rule is
fixed), and it is never counted as expected. Adding an app is adding a directory.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from coderev.analyzers import Document, language_for_path
from tests.check import analyzer

FIXTURES = Path(__file__).resolve().parent / "fixtures"
APPS = sorted(p for p in FIXTURES.iterdir() if (p / "vulnerable").is_dir() and (p / "safe").is_dir())
FILES = sorted(p for app in APPS for p in app.rglob("*") if p.is_file())
MARKER = re.compile(r"(?://|#|/\*)\s*(expect|expect-not):\s*([\w.-]+(?:\s*,\s*[\w.-]+)*)")

Found = Counter[tuple[int, str]]  # (1-based line, rule id) -> how many findings


def _markers(text: str) -> tuple[Found, Found]:
    """(expected, pinned false positives) as the file's marker comments declare them."""
    expected: Found = Counter()
    pinned: Found = Counter()
    for number, line in enumerate(text.split("\n"), start=1):
        for kind, ids in MARKER.findall(line):
            into = expected if kind == "expect" else pinned
            into.update((number, rule.strip()) for rule in ids.split(","))
    return expected, pinned


def _findings(path: Path) -> Found:
    language = language_for_path(path)
    assert language is not None, f"{path}: no grammar for this file"
    found = analyzer().analyze(Document(path.read_text(encoding="utf-8"), language))
    return Counter((f.span.start_row + 1, f.rule_id) for f in found)


def _listing(found: Found) -> str:
    return "\n".join(f"  line {line}: {rule}" + (f" (x{n})" if n > 1 else "")
                     for (line, rule), n in sorted(found.items()))


def _is_safe(path: Path) -> bool:
    return any(path.is_relative_to(app / "safe") for app in APPS)


def test_there_are_fixture_apps_with_markers() -> None:
    assert {app.name for app in APPS} >= {"go", "java", "javascript"}
    for app in APPS:
        vulnerable = [p for p in FILES if p.is_relative_to(app / "vulnerable")]
        assert vulnerable and all(_markers(p.read_text(encoding="utf-8"))[0] for p in vulnerable), app.name
        assert [p for p in FILES if p.is_relative_to(app / "safe")], app.name
    assert not list(FIXTURES.glob("*/expected.json")), "the markers in the sources replace expected.json"


def test_every_fixture_file_has_a_grammar() -> None:
    assert [p for p in FILES if language_for_path(p) is None] == []


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(FIXTURES)))
def test_findings_are_exactly_the_marked_ones(path: Path) -> None:
    expected, pinned = _markers(path.read_text(encoding="utf-8"))
    if _is_safe(path):
        assert not expected, f"{path.name} is meant to be safe: no finding may be expected in it"
    assert not expected & pinned, "a finding is either expected or a pinned false positive"
    found = _findings(path)
    missing, extra = expected + pinned - found, found - expected - pinned
    problems = []
    if missing - pinned:
        problems.append("expected, not reported:\n" + _listing(missing - pinned))
    if missing & pinned:
        problems.append("pinned false positive no longer reported (remove its expect-not note):\n"
                        + _listing(missing & pinned))
    if extra:
        problems.append("reported, not expected:\n" + _listing(extra))
    assert not problems, f"{path.relative_to(FIXTURES)}\n" + "\n".join(problems)
