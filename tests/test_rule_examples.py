"""Every rule's own examples: bad ones are found (and fixed as declared), good ones are not."""

from __future__ import annotations

import pytest

from coderev.analyzers import default_rules
from coderev.analyzers.ruleset import Example, Rule
from tests.check import findings, fixed

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
    hits = [f for f in findings(example.code, example.language) if f.rule_id == rule.id]
    if example.kind == "good":
        assert not hits, f"{rule.id} fired on a good example at line {hits[0].span.start_row + 1}"
        return
    assert hits, f"{rule.id} did not fire on a bad example:\n{example.code}"
    if example.fixed is not None:
        with_fix = [f for f in hits if f.fix is not None]
        assert with_fix, f"{rule.id} offers no fix for an example that declares one"
        result = fixed(example.code, with_fix[0])
        assert result == example.fixed
        remaining = [f for f in findings(result, example.language) if f.rule_id == rule.id]
        assert len(remaining) == len(hits) - 1, "the fix did not remove the finding"


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
