"""Run a fix's checks: the structural one for every fix, then its family's semantic one."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from coderev.analyzers.analysis import Analyzer
from coderev.analyzers.document import Document, Snapshot
from coderev.analyzers.finding import Finding, Span, Verification, apply_edits, failed
from coderev.analyzers.fixcheck.command import check_command
from coderev.analyzers.fixcheck.common import Change, changed_bytes, locate, vetted
from coderev.analyzers.fixcheck.properties import check_hash, check_property
from coderev.analyzers.fixcheck.sql import check_sql
from coderev.analyzers.fixcheck.structure import verify_source
from coderev.analyzers.languages import LanguageSpec
from coderev.analyzers.paramstyle import ParamStyle, infer_param_style, param_style

FAMILIES: dict[str, Callable[[Change], Verification]] = {
    "sql": check_sql,
    "command": check_command,
    "hash": check_hash,
    "key-size": lambda change: check_property(change, "key-size"),
    "property": check_property,
}
STRUCTURE = "parses; the finding is gone; no new finding"
# Families whose check accepts only the values the rule's own fix writes: where the rule declines
# a finding (its fix needs a capture this match lacks, such as Java's unseeded ``new Random()``),
# no value is vetted for it (``new SecureRandom(42L)`` does not compile).
VETTED = frozenset({"property", "key-size", "hash"})


def _allowed(finding: Finding) -> frozenset[str]:
    """The words and qualified names this finding's rendered template fix writes."""
    if finding.fix is None:
        return frozenset()
    return frozenset().union(*(vetted(e.text) for e in finding.fix.edits))


def verify_fix(
    original: str,
    fixed: str,
    finding: Finding,
    analyzer: Analyzer,
    rows: tuple[int, int],
    *,
    language: LanguageSpec,
    style: ParamStyle | None,
    before: list[Finding] | None = None,
) -> Verification:
    """Check ``fixed`` (a unit after the fix; ``rows`` its changed rows, 0-based) against
    ``original`` for ``finding`` (spans relative to the unit). ``style`` is the placeholder style
    of the whole file the unit comes from (the unit alone may not show the imports)."""
    with param_style(style):
        if before is None:
            before = analyzer.analyze(Document(original, language))
        verdict = verify_source(fixed, finding, before, analyzer, rows, language=language, original=original)
    if not verdict.ok:
        return failed(verdict.reason)
    rule = analyzer.rules.get(finding.rule_id)
    family = rule.fix.check if rule is not None and rule.fix is not None else None
    if family is None or family not in FAMILIES:
        return failed("no semantic check for this rule's fixes yet", (STRUCTURE,))
    if family in VETTED and finding.fix is None:
        return failed("the rule offers no fix for this form of the finding, so no value is vetted for it",
                      (STRUCTURE,))
    change = locate(original, fixed, finding, language, style=style, allowed=_allowed(finding))
    if isinstance(change, str):
        return failed(change, (STRUCTURE,))
    result = FAMILIES[family](change)
    return dataclasses.replace(result, checked=(STRUCTURE, *result.checked))


def _relative(span: Span, start: int, row: int, column: int) -> Span:
    return Span(span.start_byte - start, span.end_byte - start, span.start_row - row,
                span.start_col - column if span.start_row == row else span.start_col,
                span.end_row - row, span.end_col - column if span.end_row == row else span.end_col)


def verify_template_fix(snapshot: Snapshot, finding: Finding, analyzer: Analyzer) -> Verification:
    """Check the rule's own fix of ``finding`` (a finding of ``snapshot``) on the top-level unit
    that holds it, as AI fixes are checked."""
    fix = finding.fix
    if fix is None or not fix.edits:
        return failed("no fix")
    tree, language = snapshot.tree, snapshot.language
    if tree is None or language is None:
        return failed("no parser for the language")
    edits = [e.span for e in fix.edits]
    lo = min([finding.span.start_byte, *(s.start_byte for s in edits)])
    hi = max([finding.span.end_byte, *(s.end_byte for s in edits)])
    unit = next((n for n in tree.root_node.children if n.start_byte <= lo and hi <= n.end_byte), None)
    if unit is None:
        return failed("the fix spans more than one top-level statement")
    start, row, column = unit.start_byte, unit.start_point.row, unit.start_point.column
    original = snapshot.source[start : unit.end_byte]
    moved = tuple(dataclasses.replace(e, span=_relative(e.span, start, row, column)) for e in fix.edits)
    local = dataclasses.replace(finding, span=_relative(finding.span, start, row, column),
                                fix=dataclasses.replace(fix, edits=moved))
    fixed = apply_edits(original, moved)
    first, _, end = changed_bytes(original, fixed)
    rows = (fixed[:first].count(b"\n"), fixed[:end].count(b"\n"))
    style = infer_param_style(snapshot.source, language.id)
    return verify_fix(original.decode("utf-8", "replace"), fixed.decode("utf-8", "replace"), local, analyzer, rows,
                      language=language, style=style)


def with_checked_fix(snapshot: Snapshot, finding: Finding, analyzer: Analyzer) -> Finding:
    """``finding`` with its template fix's :class:`Verification` filled in (unchanged without a fix)."""
    if finding.fix is None or finding.fix.verification is not None:
        return finding
    verification = verify_template_fix(snapshot, finding, analyzer)
    return dataclasses.replace(finding, fix=dataclasses.replace(finding.fix, verification=verification))
