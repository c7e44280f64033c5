"""Hover on a finding: its data-flow path and evidence, the rule's note (what / why / example /
references) and its CWE links."""

from __future__ import annotations

import re
from collections.abc import Sequence

from lsprotocol import types

from coderev.analyzers import Finding, Rule
from coderev.server.lsp import convert
from coderev.server.lsp.server import CoderevServer
from coderev.server.traces import EVIDENCE_TEXT, masked, secret_values, step_line

_MARKDOWN = re.compile(r"([\\*_\[\]<>#|~])")


def _plain(text: str) -> str:
    """Markdown of a label: its `code` spans kept, other markup characters escaped."""
    parts = text.split("`")
    if len(parts) % 2 == 0:  # an unpaired backtick: no code spans
        return _MARKDOWN.sub(r"\\\1", text).replace("`", "\\`")
    return "`".join(p if i % 2 else _MARKDOWN.sub(r"\\\1", p) for i, p in enumerate(parts))


def flow(finding: Finding, secrets: Sequence[str] = ()) -> list[str]:
    """The path and the evidence of a data-flow finding, as hover lines (none for others):
    ``Flow: source: ... (line 3) → ... → sink: ... (line 9)``."""
    lines = []
    if finding.trace:
        steps = " → ".join(f"{_plain(masked(s.label, secrets))} ({step_line(s)})" for s in finding.trace)
        lines += [f"**Flow:** {steps}", ""]
    if finding.evidence is not None:
        lines += [f"**Evidence:** {EVIDENCE_TEXT[finding.evidence]}", ""]
    return lines


def render(finding: Finding, rule: Rule | None, secrets: Sequence[str] = ()) -> str:
    """Compact Markdown: a header line (rule, severity, CWE links), the message once, the fix
    advice, then the rule's note with small headings. Editors show the diagnostic's own message
    next to the hover, so nothing here repeats it twice or shouts it in large headings."""
    cwes = ", ".join(f"[CWE-{n}]({convert.CWE_URL.format(cwe=n)})" for n in finding.cwe)
    lines = [f"**coderev** `{finding.rule_id}` · {finding.severity}" + (f" · {cwes}" if cwes else ""), ""]
    lines += [finding.message, ""]
    lines += flow(finding, secrets)
    verification = finding.fix.verification if finding.fix is not None else None
    if finding.fix is not None and verification is not None and verification.verified:
        kind = "fix-all applies it" if finding.fix.safe else "changes behaviour: look before applying"
        lines += [f"**Fix:** {finding.fix.description} (Quick Fix on the finding; {kind})", "",
                  "Verified: " + "; ".join(verification.checked) + ".", ""]
    elif finding.fix is not None:
        problem = verification.problem if verification is not None else "not checked"
        lines += [f"**Suggested fix, review needed:** {finding.fix.description}. Not offered as a Quick Fix: "
                  f"{problem}.", ""]
    if rule is not None:
        lines += [_small_headings(_without_first_section(rule.note.strip())), ""]
    lines.append(f"[Rule documentation]({convert.rule_doc_url(finding.rule_id)})")
    return "\n".join(lines)


def _without_first_section(note: str) -> str:
    """The note less its "What it does" section, which restates the message shown above."""
    if not note.startswith("## What it does"):
        return note
    rest = note.find("\n## ", 1)
    return note[rest + 1 :] if rest >= 0 else ""


def _small_headings(note: str) -> str:
    return "\n".join("#### " + line[3:] if line.startswith("## ") else line for line in note.splitlines())


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
    analyzer = ls.project.config_for(doc.root).analyzer
    rule = analyzer.rules.get(finding.rule_id)
    finding = doc.checked(finding, analyzer)
    secrets = secret_values(snapshot.source, (f.secret for f in result.findings if f.secret is not None))
    return types.Hover(
        contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=render(finding, rule, secrets)),
        range=convert.lsp_range(finding.span, snapshot),
    )
