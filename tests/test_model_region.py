"""The FIX region (one syntax node), its dedenting, and splicing answers back by byte offsets."""

from __future__ import annotations

import pytest

from coderev.analyzers import Analyzer, Document, get_language
from coderev.analyzers.finding import apply_edits
from coderev.analyzers.ruleset import default_rules
from coderev.engine.model import prompt as fmt
from coderev.engine.model.region import dedent, reindent
from coderev.engine.model.slot import finish_fix, prepare_fix, splice
from coderev.engine.model.verify import verify_source
from coderev.engine.training.data import gold_replacement

ANALYZER = Analyzer()

NESTED = '''class Store:
    def load(self, voucher):
        if voucher:
            self.ledger = yaml.load(
                voucher,
                Loader=yaml.FullLoader,
            ) if self.ready else None
'''


def _finding(source: str, language: str, suffix: str):  # type: ignore[no-untyped-def]
    return next(f for f in ANALYZER.analyze(Document(source, get_language(language))) if f.rule_id.endswith(suffix))


def test_region_is_the_smallest_node_and_continuation_lines_are_dedented() -> None:
    finding = _finding(NESTED, "python", "yaml-unsafe-loader")
    request = prepare_fix(NESTED, finding)
    start, end = request.span
    region = NESTED.encode()[start:end].decode()
    assert region.startswith("(") and region.endswith(")")  # the argument list, not the statement
    assert request.indent == " " * 12
    assert request.prompt == (
        "FIX python.insecure-deserialization.yaml-unsafe-loader\n(\n    ID1,\n    Loader=yaml.FullLoader,\n)\nANSWER\n"
    )
    assert request.rows == (3, 6)


def test_text_outside_the_region_cannot_change() -> None:
    finding = _finding(NESTED, "python", "yaml-unsafe-loader")
    request = prepare_fix(NESTED, finding)
    restored, fixed = splice(request, "(ID1, Loader=yaml.SafeLoader)")
    assert restored == "(voucher, Loader=yaml.SafeLoader)"
    start, end = request.span
    assert fixed == NESTED[:start] + restored + NESTED[end:]
    hunks = fmt.edit_hunks(request.region, "(ID1, Loader=yaml.SafeLoader)")
    result = finish_fix(request, fmt.fix_answer(hunks), ANALYZER)
    assert result.verdict.ok, result.verdict
    assert "if self.ready else None" in (result.fixed_source or "")


def test_dedent_and_reindent_are_inverse() -> None:
    text = "f(\n        a,\n\n        b)"
    assert dedent(text, "    ") == "f(\n    a,\n\n    b)"
    assert reindent(dedent(text, "    "), "    ") == text


def _fixed_examples() -> list[tuple[str, str, str]]:
    out = []
    for rule in default_rules():
        if rule.fix is None:
            continue
        out += [(rule.id, ex.language, ex.code) for ex in rule.examples if ex.kind == "bad"]
    return out


@pytest.mark.parametrize(("rule_id", "language", "code"), _fixed_examples())
def test_every_rule_fix_survives_the_runtime_round_trip(rule_id: str, language: str, code: str) -> None:
    """The gold answer of every rule example whose template fix verifies, taken through the same
    path a model answer takes (restore, re-indent, splice, verify), gives exactly the rule's
    fixed source."""
    findings = ANALYZER.analyze(Document(code, get_language(language)))
    fixable = [f for f in findings if f.rule_id == rule_id and f.fix is not None]
    for finding in fixable:
        request = prepare_fix(code, finding)
        assert finding.fix is not None
        fixed = apply_edits(code.encode(), finding.fix.edits).decode()
        rows = (finding.span.start_row, finding.span.end_row)
        if not verify_source(fixed, finding, findings, ANALYZER, rows, original=code).ok:
            continue  # the template itself does not verify here: no FIX pair is made of it
        replacement = gold_replacement(request, fixed)
        assert replacement is not None, request.prompt
        result = finish_fix(request, fmt.fix_answer(fmt.edit_hunks(request.region, replacement)), ANALYZER, findings)
        assert result.fixed_source == fixed, (result.verdict, request.prompt)
