"""The literal prefilter (coderev/analyzers/triggers.py) may only leave out rules that cannot match."""

from __future__ import annotations

import sysconfig
from pathlib import Path

import pytest

from coderev.analyzers import Analyzer, Document, default_rules, get_language
from coderev.analyzers.ruleset import RuleSet, builtin_rules_for_startup
from coderev.analyzers.triggers import may_match, requirements

ROOT = Path(__file__).resolve().parents[1]
SUFFIXES = {".py": "python", ".js": "javascript", ".ts": "typescript", ".tsx": "tsx", ".go": "go", ".java": "java"}


def words(query: str) -> list[list[list[str]]]:
    return [[sorted(needed) for needed in pattern] for pattern in requirements(query)]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ('(call function: (identifier) @f (#eq? @f "eval"))', [[["eval"]]]),
        # optional or repeated-or-absent captures prove nothing
        ('(call function: (identifier)? @f (#eq? @f "eval"))', [[]]),
        ('(call (argument_list (string)* @s) (#eq? @s "q"))', [[]]),
        # an alternation: only captures that every branch has
        ('(call function: [(identifier) @f (attribute attribute: (identifier) @f)] (#any-of? @f "a" "b"))',
         [[["a", "b"]]]),
        ('(call function: [(identifier) @f (attribute)] (#eq? @f "x"))', [[]]),
        # one requirement set per pattern; a pattern without text predicates has none
        ('((identifier) @x (#eq? @x "y"))\n(call) @c', [[["y"]], []]),
        # regexes, negations and capture-to-capture comparisons add nothing
        ('(call (#match? @c "x")) @c', [[]]),
        ('(a (b) @x . (c) @y (#eq? @x "p") (#not-eq? @y "q") (#eq? @x @y) (#any-of? @y "r" "s\\"t"))',
         [[["p"], ["r", 's"t']]]),
        # comments and strings with brackets do not confuse the reader
        ('; a comment with ( and [\n((string) @s (#eq? @s "(]"))', [[["(]"]]]),
    ],
)
def test_requirements(query: str, expected: list[list[list[str]]]) -> None:
    assert words(query) == expected


def test_may_match_needs_one_word_of_every_set() -> None:
    query = ('(call function: (identifier) @f arguments: (argument_list (identifier) @a)'
             ' (#eq? @f "run") (#any-of? @a "x" "y"))')
    assert may_match(query, b"run(y)")
    assert not may_match(query, b"run(z)")
    assert not may_match(query, b"walk(x)")
    assert may_match("(call) @c", b"")


def _samples() -> list[tuple[str, str, str]]:
    """(name, language, code): every rule example, every fixture file and a slice of the stdlib."""
    out = [(f"{rule.id}:{i}", ex.language, ex.code) for rule in default_rules() for i, ex in enumerate(rule.examples)]
    for path in sorted((ROOT / "tests" / "fixtures").rglob("*")) + sorted((ROOT / "examples").rglob("*")):
        if path.suffix in SUFFIXES and path.is_file():
            out.append((str(path.relative_to(ROOT)), SUFFIXES[path.suffix], path.read_text(encoding="utf-8")))
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    for name in ("subprocess.py", "shutil.py", "tarfile.py", "smtplib.py", "http/server.py", "urllib/request.py",
                 "xml/dom/minidom.py", "logging/handlers.py", "ftplib.py", "random.py"):
        path = stdlib / name
        if path.is_file():
            out.append((f"stdlib/{name}", "python", path.read_text(encoding="utf-8", errors="replace")))
    return out


def test_prefiltered_analysis_equals_full_analysis(monkeypatch: pytest.MonkeyPatch) -> None:
    """A fresh rule set that never compiles a full query (only prefiltered ones) finds exactly
    what the full queries find, on every sample."""
    monkeypatch.setattr("coderev.analyzers.ruleset.PARTIAL_QUERIES", 10**6)  # never fall back to the full query
    full = Analyzer(default_rules())
    prefiltered_rules = RuleSet(builtin_rules_for_startup().rules)  # a fresh set: nothing compiled yet
    prefiltered = Analyzer(prefiltered_rules)
    samples = [s for s in _samples() if get_language(s[1]) is not None]  # "text" has no query
    assert len(samples) > 300
    for language in {lang for _, lang, _ in samples}:
        spec = get_language(language)
        assert spec is not None
        full.compiled(spec)  # the reference side uses the full query
    smaller = 0
    for name, language, code in samples:
        spec = get_language(language)
        assert spec is not None
        document = Document(code, spec)
        expected = [(f.rule_id, f.span, f.fingerprint) for f in full.analyze(document)]
        got = [(f.rule_id, f.span, f.fingerprint) for f in prefiltered.analyze(document)]
        assert got == expected, name
        enabled = frozenset(r.id for r in prefiltered_rules)
        assert not prefiltered_rules.is_compiled(spec.id, enabled), "the prefiltered side must not warm up"
        used = prefiltered_rules.compiled_for(spec.id, enabled, document.source)
        smaller += len(used.rules) < len([r for r in prefiltered_rules if spec.id in r.languages and not r.is_pattern])
    assert smaller > len(samples) // 2  # the prefilter does leave rules out


def test_full_query_is_used_once_compiled() -> None:
    rules: RuleSet = RuleSet(builtin_rules_for_startup().rules)  # a fresh set: nothing compiled yet
    enabled = frozenset(r.id for r in rules)
    before = rules.compiled_for("python", enabled, b"x = 1\n")
    assert len(before.rules) < len([r for r in rules if "python" in r.languages and not r.is_pattern])
    full = rules.compiled("python", enabled)
    assert rules.compiled_for("python", enabled, b"x = 1\n") is full


def test_prefiltered_queries_are_bounded_per_language() -> None:
    """Many different documents before the full compile: after a few prefiltered queries the
    full one is compiled instead of one more small one per document."""
    from coderev.analyzers.ruleset import PARTIAL_QUERIES

    rules = RuleSet(builtin_rules_for_startup().rules)  # a fresh set: nothing compiled yet
    enabled = frozenset(r.id for r in rules)
    texts = [b"import yaml\nyaml.load(x)\n", b"import pickle\npickle.loads(x)\n", b"eval(x)\n",
             b"import hashlib\nhashlib.md5(x)\n", b"import subprocess\nsubprocess.run(x, shell=True)\n"]
    used = [rules.compiled_for("python", enabled, text) for text in texts]
    assert all(len(u.rules) < len(used[-1].rules) for u in used[:PARTIAL_QUERIES])
    assert rules.is_compiled("python", enabled)
    assert used[-1] is rules.compiled("python", enabled)
    assert rules.compiled_for("python", enabled, texts[0]) is used[-1]
