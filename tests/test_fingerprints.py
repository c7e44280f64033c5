"""Fingerprints: one id per finding, unique in a file, stable across edits elsewhere.

The language server dismisses by fingerprint (tests/lsp/test_dismiss_identical.py), so two
findings that share one would be dismissed together: identical code within one definition is told
apart by its occurrence, and the same code in two definitions by the definition's name.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from coderev.analyzers import Document, Finding, Position, TextChange, TextRange, language_for_path
from coderev.analyzers.analysis import is_fingerprint
from tests.check import analyzer, findings

ROOT = Path(__file__).resolve().parent.parent
RULE = "python.insecure-deserialization.yaml-load"
TWICE = "import yaml\n\ndef load(s):\n    a = yaml.load(s)\n    b = yaml.load(s)\n    return a, b\n"
SOURCES = sorted(
    p for folder in ("tests/fixtures", "examples") for p in (ROOT / folder).rglob("*")
    if p.is_file() and language_for_path(p) is not None
)


def _yaml_loads(code: str) -> list[Finding]:
    return [f for f in findings(code) if f.rule_id == RULE]


def test_identical_calls_in_one_function_have_distinct_fingerprints() -> None:
    first, second = _yaml_loads(TWICE)
    assert (first.span.start_row, second.span.start_row) == (3, 4)
    assert is_fingerprint(first.fingerprint) and is_fingerprint(second.fingerprint)
    assert first.fingerprint != second.fingerprint


def test_three_identical_calls_have_three_fingerprints() -> None:
    code = "import yaml\n\ndef load(s):\n" + "    yaml.load(s)\n" * 3
    found = _yaml_loads(code)
    assert len(found) == 3
    assert len({f.fingerprint for f in found}) == 3


def test_identical_code_in_two_functions_has_distinct_fingerprints() -> None:
    code = "import yaml\n\ndef one(s):\n    return yaml.load(s)\n\ndef two(s):\n    return yaml.load(s)\n"
    one, two = _yaml_loads(code)
    assert one.fingerprint != two.fingerprint


def test_each_occurrence_keeps_its_fingerprint_when_code_above_changes() -> None:
    """Positions are not part of the id: an edit above moves both findings and keeps both ids,
    in order, so a dismissal of the second one still names the second one."""
    before = _yaml_loads(TWICE)
    after = _yaml_loads("# header\n\n" + TWICE)
    assert [f.span.start_row for f in after] == [f.span.start_row + 2 for f in before]
    assert [f.fingerprint for f in after] == [f.fingerprint for f in before]


def test_an_incremental_edit_keeps_the_fingerprints_of_a_fresh_analysis() -> None:
    spec = language_for_path(Path("x.py"))
    document = Document(TWICE, spec)
    engine = analyzer()
    first = [f.fingerprint for f in engine.analyze(document) if f.rule_id == RULE]
    document.apply_changes([TextChange(TextRange(Position(0, 0), Position(0, 0)), "import os\n")], version=2)
    again = [f.fingerprint for f in engine.analyze(document) if f.rule_id == RULE]
    assert again == first and len(set(again)) == 2


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_fingerprints_are_unique_within_every_real_file(path: Path) -> None:
    document = Document(path.read_text(encoding="utf-8"), language_for_path(path))
    found = analyzer().analyze(document)
    fingerprints = [f.fingerprint for f in found]
    shared = {fp for fp in fingerprints if fingerprints.count(fp) > 1}
    assert not shared, [f"{f.span.start_row + 1} {f.rule_id}" for f in found if f.fingerprint in shared]
