"""The FIX region (one syntax node), its dedenting, and splicing answers back by byte offsets."""

from __future__ import annotations

import pytest

from coderev.analyzers import Analyzer, Document, get_language
from coderev.analyzers.finding import apply_edits
from coderev.analyzers.fixcheck.structure import verify_source
from coderev.analyzers.paramstyle import ParamStyle
from coderev.analyzers.ruleset import default_rules
from coderev.engine.model import prompt as fmt
from coderev.engine.model.region import dedent, reindent
from coderev.engine.model.slot import finish_fix, prepare_fix, splice
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
    assert result.verification.verified, result.verification
    assert "if self.ready else None" in (result.fixed_source or "")


def test_dedent_and_reindent_are_inverse() -> None:
    text = "f(\n        a,\n\n        b)"
    assert dedent(text, "    ") == "f(\n    a,\n\n    b)"
    assert reindent(dedent(text, "    "), "    ") == text


# Bad examples whose finding the rule reports without a template fix: forms the fix cannot
# rewrite mechanically (a quoted %s placeholder, a cookie built elsewhere, ...). Every other bad
# example of a rule with a fix gets one, and it must survive the round trip.
NO_TEMPLATE_FIX = frozenset({
    "go.insecure-cookie.missing-httponly[0]",
    "go.insecure-cookie.missing-httponly[1]",
    "go.insecure-cookie.missing-secure[0]",
    "go.insecure-cookie.missing-secure[1]",
    "java.insecure-cookie.missing-httponly[0]",
    "java.insecure-cookie.missing-httponly[4]",
    "java.insecure-cookie.missing-secure[0]",
    "java.insecure-cookie.missing-secure[2]",
    "java.insecure-cookie.missing-secure[5]",
    "java.weak-crypto.insecure-random[1]",
    "java.weak-crypto.insecure-random[2]",
    "java.weak-crypto.weak-hash[2]",
    "java.weak-crypto.weak-tls-version[1]",
    "javascript.weak-crypto.tls-verify-disabled[1]",
    "python.command-injection.shell-literal[2]",
    "python.sql-injection.concatenated-query[2]",  # the SQL is a constant defined elsewhere
    "python.sql-injection.concatenated-query[3]",  # the call passes more positional arguments
    "python.command-injection.shell-literal[3]",
    "python.insecure-cookie.missing-httponly[1]",
    "python.insecure-cookie.missing-secure[2]",
    "python.insecure-deserialization.yaml-unsafe-load[1]",
    "python.insecure-deserialization.yaml-unsafe-loader[2]",
    "python.sql-injection.fstring-query[2]",
    "python.sql-injection.fstring-query[3]",
    "python.sql-injection.percent-formatted-query[3]",
    "python.sql-injection.percent-formatted-query[4]",
    "python.sql-injection.percent-formatted-query[5]",
    "python.sql-injection.percent-formatted-query[6]",
    "python.weak-crypto.tls-verify-disabled[2]",
    "python.weak-crypto.weak-hash[2]",
    "python.weak-crypto.weak-hash[3]",
    "python.xss.jinja2-autoescape-disabled[1]",
    "python.xss.jinja2-autoescape-disabled[2]",
    "python.xxe.unsafe-parser-settings[1]",
    "python.xxe.unsafe-parser-settings[2]",
})


def _bad_examples_of_fixable_rules() -> list[tuple[str, str, str]]:
    """(case id ``rule-id[example index]``, language, code) of every bad example of a rule with a fix."""
    return [
        (f"{rule.id}[{i}]", example.language, example.code)
        for rule in default_rules()
        if rule.fix is not None
        for i, example in enumerate(rule.examples)
        if example.kind == "bad"
    ]


CASES = _bad_examples_of_fixable_rules()


def test_the_no_fix_list_names_only_existing_cases() -> None:
    assert NO_TEMPLATE_FIX - {case for case, _, _ in CASES} == set()
    assert len(CASES) - len(NO_TEMPLATE_FIX) >= 50, "most bad examples of fixable rules have a fix"


@pytest.mark.parametrize(("case", "language", "code"), CASES, ids=[case for case, _, _ in CASES])
def test_every_rule_fix_survives_the_runtime_round_trip(case: str, language: str, code: str) -> None:
    """The rule reports its bad example. Where the example has a template fix, that fix verifies
    (parses, the finding is gone, nothing new), and its gold answer, taken through the same path a
    model answer takes (restore, re-indent, splice, verify), gives exactly the rule's fixed
    source; the examples of NO_TEMPLATE_FIX get no fix at all."""
    rule_id = case.rsplit("[", 1)[0]
    findings = ANALYZER.analyze(Document(code, get_language(language)))
    reported = [f for f in findings if f.rule_id == rule_id]
    assert reported, f"{rule_id} does not report its own bad example"
    fixable = [f for f in reported if f.fix is not None]
    if case in NO_TEMPLATE_FIX:
        assert fixable == [], f"{case} now has a template fix: take it off NO_TEMPLATE_FIX"
        return
    assert fixable, f"{case}: the rule offers no fix for its bad example"
    for finding in fixable:
        fix_request = prepare_fix(code, finding, ParamStyle.FORMAT)  # the style the examples render in
        assert finding.fix is not None
        fixed = apply_edits(code.encode(), finding.fix.edits).decode()
        rows = (finding.span.start_row, finding.span.end_row)
        verdict = verify_source(fixed, finding, findings, ANALYZER, rows, original=code)
        assert verdict.ok, f"{case}: the template fix does not verify ({verdict.reason}):\n{fixed}"
        replacement = gold_replacement(fix_request, fixed)
        assert replacement is not None, fix_request.prompt
        answer = fmt.fix_answer(fmt.edit_hunks(fix_request.region, replacement))
        result = finish_fix(fix_request, answer, ANALYZER, findings)
        assert result.fixed_source == fixed, (result.verification, fix_request.prompt)
