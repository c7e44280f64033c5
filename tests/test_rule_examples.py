"""Every rule's own examples: bad ones are found (and fixed as declared), good ones are not."""

from __future__ import annotations

from collections import Counter

import pytest

from coderev.analyzers import default_rules
from coderev.analyzers.rule_check import example_problem
from coderev.analyzers.ruleset import Example, Rule
from tests.check import analyzer, findings, fixed

CASES = [
    pytest.param(rule, example, id=f"{rule.id}[{i}-{example.kind}]")
    for rule in default_rules()
    for i, example in enumerate(rule.examples)
]


def test_builtin_rules_load_without_errors() -> None:
    rules = default_rules()
    assert not rules.errors, [str(e) for e in rules.errors]
    assert len(rules) > 0


@pytest.mark.parametrize(("rule", "example"), CASES)
def test_rule_example(rule: Rule, example: Example) -> None:
    """The check `coderev rules --check` runs, with every built-in rule active (so an example is
    also judged next to the other rules' findings)."""
    assert example_problem(rule, example, analyzer()) is None


def test_every_rule_has_bad_and_good_examples() -> None:
    for rule in default_rules():
        kinds = {e.kind for e in rule.examples}
        assert kinds == {"bad", "good"}, f"{rule.id} needs both bad and good examples"


def test_every_rule_documents_itself() -> None:
    for rule in default_rules():
        for heading in ("## What it does", "## Why is this bad", "## Example", "## References"):
            assert heading in rule.note, f"{rule.id}: note lacks '{heading}'"
        for cwe in rule.cwe:
            assert f"CWE-{cwe}" in rule.note, f"{rule.id}: note does not reference CWE-{cwe}"


BAD_WITH_FIX = [
    pytest.param(rule, example, id=f"{rule.id}[{i}]")
    for rule in default_rules()
    for i, example in enumerate(rule.examples)
    if example.kind == "bad" and rule.fix is not None
]


@pytest.mark.parametrize(("rule", "example"), BAD_WITH_FIX)
def test_a_template_fix_earns_no_new_finding(rule: Rule, example: Example) -> None:
    """Applying a rule's fix must not trade one finding for another (SHA-256 for a password
    hash did): after the fix, no rule finds more than it found before."""
    before = Counter(f.rule_id for f in findings(example.code, example.language))
    for finding in findings(example.code, example.language):
        if finding.rule_id != rule.id or finding.fix is None:
            continue
        after = Counter(f.rule_id for f in findings(fixed(example.code, finding), example.language))
        assert not after - before, f"{rule.id}'s fix adds {dict(after - before)}"
