"""Hover on a finding: the rule's note (what / why / example / references) and its CWE links."""

from __future__ import annotations

from lsprotocol import types

from coderev.analyzers import Finding, Rule
from coderev.server.lsp import convert
from coderev.server.lsp.server import CoderevServer


def render(finding: Finding, rule: Rule | None) -> str:
    lines = [f"**coderev** `{finding.rule_id}` ({finding.severity}): {finding.message}", ""]
    if rule is not None:
        lines += [rule.note.strip(), ""]
    cwes = [f"[CWE-{n}]({convert.CWE_URL.format(cwe=n)})" for n in finding.cwe]
    if cwes:
        lines.append("CWE: " + ", ".join(cwes))
    lines.append(f"[Rule documentation]({convert.rule_doc_url(finding.rule_id)})")
    return "\n".join(lines)


async def hover(ls: CoderevServer, params: types.HoverParams) -> types.Hover | None:
    doc = ls.documents.get(params.text_document.uri)
    if doc is None:
        return None
    result = await ls.scheduler.current(doc)
    snapshot = result.snapshot
    offset = snapshot.offset_of(convert.position(params.position))
    hits = [f for f in result.findings if f.span.start_byte <= offset <= f.span.end_byte]
    if not hits:
        return None
    finding = min(hits, key=lambda f: f.span.end_byte - f.span.start_byte)  # the innermost
    rule = ls.project.config_for(doc.root).analyzer.rules.get(finding.rule_id)
    return types.Hover(
        contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=render(finding, rule)),
        range=convert.lsp_range(finding.span, snapshot),
    )
