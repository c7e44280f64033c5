"""Every model output is checked by the real analyzers before anyone sees it.

A fix is kept only when the fixed code parses with no ERROR or MISSING node in the changed
region, the finding's rule no longer fires there, and no finding appears that was not there
before (counted per rule, so moved findings are not "new").
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import tree_sitter

from coderev.analyzers.analysis import Analyzer
from coderev.analyzers.document import Document
from coderev.analyzers.finding import Finding
from coderev.analyzers.languages import LanguageSpec, get_language


@dataclass(frozen=True, slots=True)
class Verdict:
    ok: bool
    reason: str = ""


def _broken_rows(node: tree_sitter.Node, first: int, last: int) -> bool:
    """Whether an ERROR or MISSING node overlaps rows first..last (an explicit stack: a model's
    answer may nest deeper than Python's recursion limit)."""
    stack = [node]
    while stack:
        current = stack.pop()
        if current.end_point.row < first or current.start_point.row > last:
            continue
        if current.is_error or current.is_missing:
            return True
        if current.has_error:
            stack.extend(current.children)
    return False


def verify_source(
    fixed: str,
    finding: Finding,
    before: list[Finding],
    analyzer: Analyzer,
    rows: tuple[int, int],
    *,
    language: LanguageSpec | None = None,
    original: str | None = None,
) -> Verdict:
    """Check ``fixed`` (the whole unit after the fix) against the findings ``before`` the fix;
    ``rows`` is the changed region (first, last), 0-based, in ``fixed``. With ``original`` (the
    unit before the fix), a fix may not break a unit that parsed cleanly anywhere, either."""
    language = language or get_language(finding.language) or get_language("python")
    document = Document(fixed, language)
    tree = document.tree
    if tree is None:
        return Verdict(False, "no parser")
    first, last = rows
    if _broken_rows(tree.root_node, first, last):
        return Verdict(False, "syntax error in the changed region")
    if tree.root_node.has_error and original is not None and not _has_error(original, language):
        return Verdict(False, "syntax error outside the changed region")
    run = analyzer.run(document)
    if run.skipped:  # a unit left unchecked for time would look like "the finding is gone"
        return Verdict(False, "not analyzed within the time budget (ANA010)")
    after = run.findings
    for f in after:
        if f.rule_id == finding.rule_id and first <= f.span.start_row <= last:
            return Verdict(False, "the finding is still reported")
    count_before = Counter(f.rule_id for f in before)
    count_before[finding.rule_id] -= 1
    count_after = Counter(f.rule_id for f in after)
    for rule_id, n in count_after.items():
        if n > max(0, count_before[rule_id]):
            return Verdict(False, f"new finding {rule_id}")
    return Verdict(True)


def _has_error(source: str, language: LanguageSpec | None) -> bool:
    tree = Document(source, language).tree
    return tree is None or tree.root_node.has_error
