"""Suppression comments on the line or the line above; foreign ones only when allowed."""

from __future__ import annotations

import pytest

from coderev.analyzers import AnalysisOptions, get_language
from coderev.analyzers.suppression import suppression_comment
from tests.check import rule_ids

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
