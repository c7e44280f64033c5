"""The query check cache (coderev/analyzers/query_check.py): a rule loaded with its query checked
gives the same rule or the same error whether the compile result is remembered or not."""

from __future__ import annotations

from pathlib import Path

import pytest
import tree_sitter

from coderev.analyzers import query_check
from coderev.analyzers.languages import get_language
from coderev.analyzers.ruleset import load_rules

_RULE = """id: custom.bad-query
languages: [python]
message: m
severity: warning
confidence: high
category: code-injection
cwe: [95]
note: n
query: {query}
examples:
  - bad: "eval(x)"
  - good: "print(x)"
"""


@pytest.fixture
def fresh_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CODEREV_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(query_check, "_entries", None)  # forget what this process has seen
    return tmp_path / "cache"


def _forget(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(query_check, "_entries", None)  # the next use reads the file, as a new run does


def test_remembered_answers_equal_compiled_ones(fresh_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    python = get_language("python")
    assert python is not None
    good = '(call function: (identifier) @fn (#eq? @fn "eval")) @finding'
    bad = "(call function: (no_such_node) @fn) @finding"
    fresh = query_check.capture_names(python, good)
    with pytest.raises(tree_sitter.QueryError) as first:
        query_check.capture_names(python, bad)
    query_check.save()
    assert list((fresh_cache / "queries").glob("*.pickle"))
    _forget(monkeypatch)
    monkeypatch.setattr(tree_sitter, "Query", None)  # from now on only the cache can answer
    assert query_check.capture_names(python, good) == fresh == {"fn", "finding"}
    with pytest.raises(tree_sitter.QueryError) as again:
        query_check.capture_names(python, bad)
    assert str(again.value) == str(first.value)


def test_a_rule_error_is_the_same_from_the_cache(fresh_cache: Path, monkeypatch: pytest.MonkeyPatch,
                                                 tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "bad.yaml").write_text(_RULE.format(query='"(call function: (no_such_node) @f) @finding"'))
    first = [str(e) for e in load_rules([rules], builtin=False).errors]
    _forget(monkeypatch)
    monkeypatch.setattr(tree_sitter, "Query", None)  # the second run is answered from the cache
    second = [str(e) for e in load_rules([rules], builtin=False).errors]
    assert first == second and len(first) == 1 and "ANA002" in first[0]


def test_an_unwritable_cache_is_ignored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("CODEREV_CACHE_DIR", str(blocker / "cache"))
    monkeypatch.setattr(query_check, "_entries", None)
    python = get_language("python")
    assert python is not None
    assert query_check.capture_names(python, "(identifier) @x") == {"x"}
    query_check.save()  # silent
