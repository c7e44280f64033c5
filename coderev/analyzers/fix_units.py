"""Fix units: the code a model is asked to fix for one finding.

The editor asks for a fix of the top-level unit (function, class, statement) that holds the
finding, with the finding found again in the unit's text alone, so its spans are relative to the
unit; SQL fixes follow the placeholder style of the whole file's driver. The language server and
the AI-fix coverage benchmark both build their requests here, so what is measured is what the
editor sends.
"""

from __future__ import annotations

from dataclasses import dataclass

from coderev.analyzers.analysis import Analyzer
from coderev.analyzers.document import Document, Snapshot
from coderev.analyzers.finding import Finding
from coderev.analyzers.paramstyle import ParamStyle, infer_param_style, param_style


@dataclass(frozen=True, slots=True)
class FixUnit:
    start: int  # byte offsets of the unit in the file
    end: int
    text: str
    finding: Finding  # the finding in the unit's text alone
    style: ParamStyle | None  # the placeholder style of the file's driver


def fix_unit(snapshot: Snapshot, finding: Finding, analyzer: Analyzer) -> FixUnit | None:
    """The unit to send for a fix of ``finding`` (a finding of ``snapshot``), or None when the
    snapshot has no tree or the unit alone does not show the finding."""
    tree, language = snapshot.tree, snapshot.language
    if tree is None or language is None:
        return None
    start = finding.span.start_byte
    unit = next((n for n in tree.root_node.children if n.start_byte <= start < n.end_byte), None)
    if unit is None:
        return None
    data = snapshot.source[unit.start_byte : unit.end_byte]
    offset = start - unit.start_byte
    style = infer_param_style(snapshot.source, language.id)
    with param_style(style):
        found = analyzer.analyze(Document(data, language))
    local = next((f for f in found if f.rule_id == finding.rule_id and f.span.start_byte == offset), None)
    if local is None:
        return None
    return FixUnit(unit.start_byte, unit.end_byte, data.decode("utf-8", "replace"), local, style)
