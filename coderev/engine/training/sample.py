"""One training or held-out sample, and the REVIEW items of a list of findings."""

from __future__ import annotations

from dataclasses import dataclass, field

from coderev.analyzers.finding import Finding
from coderev.engine.model import prompt as fmt


@dataclass
class Sample:
    task: str  # "fix" or "review"
    kind: str  # the rule id for FIX (or "negative:<rule>"); "review" for REVIEW
    split: str  # "train" or "test"
    prompt: str
    answer: str
    source: str = ""  # the original unit (for verification at evaluation)
    rule_id: str = ""
    rows: tuple[int, int] = (0, 0)  # region rows in ``source`` (inclusive)
    expected: str = ""  # FIX: expected fixed source
    items: list[list[object]] = field(default_factory=list)  # REVIEW: [cwe, line, message]
    language: str = "python"
    span: tuple[int, int] = (0, 0)  # FIX: region bytes in ``source``
    style: str = ""  # FIX: the placeholder style of the unit's (imagined) database driver, if any


def review_items(findings: list[Finding], unit_start_row: int = 0) -> list[fmt.ReviewItem]:
    items = {
        fmt.ReviewItem(f.cwe[0] if f.cwe else 0, f.span.start_row - unit_start_row + 1, f.category)
        for f in findings
    }
    return sorted(items, key=lambda i: (i.line, i.cwe, i.message))
