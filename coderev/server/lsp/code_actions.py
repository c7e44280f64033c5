"""Code actions: quick-fixes, fix-all, suppress and dismiss, with lazy ``codeAction/resolve``.

Everything a quick-fix needs travels in the diagnostic's ``data`` (fingerprint, rule id, fix
edits), so nothing is recomputed here. The suppress comment and the fix-all edit are computed
only when the client resolves the action (eagerly for clients that cannot resolve).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

from lsprotocol import types

from coderev.analyzers.analysis import Analyzer
from coderev.analyzers.finding import Finding
from coderev.analyzers.languages import TEXT
from coderev.analyzers.suppression import suppression_comment
from coderev.server.lsp import ai_fixes, convert
from coderev.server.lsp.documents import OpenDocument
from coderev.server.lsp.server import CoderevServer

FIX_ALL: Final = "source.fixAll.coderev"
OPTIONS: Final = types.CodeActionOptions(
    code_action_kinds=[types.CodeActionKind.QuickFix, FIX_ALL], resolve_provider=True
)


def _wants(only: Sequence[str] | None, kind: str) -> bool:
    return only is None or any(kind == k or kind.startswith(f"{k}.") for k in only)


def _feedback_payload(doc: OpenDocument, diagnostic: types.Diagnostic, data: Mapping[str, Any]) -> dict[str, Any]:
    """What ``coderev.accept``/``coderev.dismiss`` get back: the finding, its fix and, for a fix,
    the lines it changes before and after (secrets masked), kept as a training pair."""
    payload = {
        "uri": doc.uri,
        "fingerprint": data.get("fingerprint", ""),
        "ruleId": data.get("ruleId", diagnostic.code),
        "language": data.get("language", ""),
        "severity": data.get("severity", ""),
        "category": data.get("category", ""),
        "line": diagnostic.range.start.line,
        "fix": data.get("fix"),
        "origin": "template" if data.get("fix") else "rule",
    }
    finding = doc.finding(str(payload["fingerprint"]))
    if finding is not None and finding.fix is not None:
        payload["before"], payload["after"] = doc.fix_pair(finding.fix)
        payload["unit"] = doc.fix_unit_lines(finding.fix)
        payload["style"] = doc.sql_style() if ".sql-injection." in str(payload["ruleId"]) else ""
    return payload


async def code_actions(ls: CoderevServer, params: types.CodeActionParams) -> list[types.CodeAction]:
    uri = params.text_document.uri
    doc = ls.documents.get(uri)
    if doc is None:
        return []
    only = params.context.only
    actions: list[types.CodeAction] = []
    if _wants(only, types.CodeActionKind.QuickFix):
        ours: list[types.Diagnostic] = []
        for diagnostic in params.context.diagnostics:
            if diagnostic.source == convert.SOURCE and isinstance(diagnostic.data, Mapping):
                ours.append(diagnostic)
                rule_actions = _for_diagnostic(ls, doc, diagnostic, diagnostic.data)
                ai = await ai_fixes.actions(ls, doc, diagnostic, _feedback_payload(doc, diagnostic, diagnostic.data))
                first = bool(ai) and ai_fixes.ai_first(
                    ls, doc, doc.finding(str(diagnostic.data.get("fingerprint", ""))), "ai")
                fixes = [a for a in rule_actions if a.title.startswith("Fix:")]
                rest = [a for a in rule_actions if not a.title.startswith("Fix:")]
                reject = [a for a in ai if isinstance(a.data, Mapping) and a.data.get("reject")]
                ai = [a for a in ai if a not in reject]
                actions += (ai + fixes if first else fixes + ai) + reject + rest
        actions += ai_fixes.loading(ls, doc, ours)  # once per request, not once per finding
    if only is not None and _wants(only, FIX_ALL) and doc.language is not None:  # source actions on request
        await ls.scheduler.current(doc)
        if _one_click(ls, doc):
            action = types.CodeAction(
                title="coderev: fix all safe findings",
                kind=FIX_ALL,
                data={"kind": "fixAll", "uri": uri, "version": doc.version},
            )
            actions.append(action if ls.client.code_action_resolve else resolve(ls, action))
    return actions


async def code_action_resolve(ls: CoderevServer, action: types.CodeAction) -> types.CodeAction:
    data = action.data if isinstance(action.data, Mapping) else {}
    doc = ls.documents.get(str(data.get("uri", "")))
    if doc is not None and data.get("kind") == ai_fixes.KIND:
        return ai_fixes.resolve(ls, doc, action)
    if doc is not None and data.get("kind") == "fixAll":
        await ls.scheduler.current(doc)
    return resolve(ls, action)


def _for_diagnostic(
    ls: CoderevServer, doc: OpenDocument, diagnostic: types.Diagnostic, data: Mapping[str, Any]
) -> list[types.CodeAction]:
    rule_id = str(data.get("ruleId", diagnostic.code))
    payload = _feedback_payload(doc, diagnostic, data)
    out: list[types.CodeAction] = []
    edits = convert.edits_from_data(data)
    finding = doc.finding(str(data.get("fingerprint", "")))
    checked = doc.checked(finding, _analyzer(ls, doc)) if finding is not None else None
    verification = checked.fix.verification if checked is not None and checked.fix is not None else None
    if edits and (verification is None or not verification.verified):
        # not one keystroke: a client that shows disabled actions says why it needs a review
        if ls.client.disabled_code_actions:
            fix = data["fix"]
            out.append(types.CodeAction(
                title=f"Review needed: {fix.get('description', rule_id)}",
                kind=types.CodeActionKind.QuickFix,
                diagnostics=[diagnostic],
                disabled=types.CodeActionDisabled(
                    reason=f"Not verified: {verification.problem if verification else 'the finding changed'}"),
            ))
    elif edits:
        fix = data["fix"]
        out.append(
            types.CodeAction(
                title=f"Fix: {fix.get('description', rule_id)} (verified)",
                kind=types.CodeActionKind.QuickFix,
                diagnostics=[diagnostic],
                is_preferred=bool(fix.get("safe")),
                edit=types.WorkspaceEdit(changes={doc.uri: edits}),
                command=types.Command(title="Record the accepted fix", command="coderev.accept", arguments=[payload]),
            )
        )
    if _can_comment(doc):
        suppress = types.CodeAction(
            title=f"Suppress {rule_id} on this line",
            kind=types.CodeActionKind.QuickFix,
            diagnostics=[diagnostic],
            data={"kind": "suppress", "uri": doc.uri, "line": diagnostic.range.start.line, "ruleId": rule_id},
        )
        out.append(suppress if ls.client.code_action_resolve else resolve(ls, suppress))
    title = dismiss_title(rule_id)  # two findings on a line must not give two identical entries
    out.append(
        types.CodeAction(
            title=title,
            kind=types.CodeActionKind.QuickFix,
            diagnostics=[diagnostic],
            command=types.Command(title=title, command="coderev.dismiss", arguments=[payload]),
        )
    )
    return out


def _analyzer(ls: CoderevServer, doc: OpenDocument) -> Analyzer:
    return ls.project.config_for(doc.root).analyzer


def _one_click(ls: CoderevServer, doc: OpenDocument) -> list[Finding]:
    """The findings of the latest analysis whose fix fix-all applies: safe and verified."""
    if doc.result is None:
        return []
    analyzer = _analyzer(ls, doc)
    out = []
    for finding in doc.result.findings:
        if finding.fix is None or not finding.fix.safe:
            continue
        checked = doc.checked(finding, analyzer)
        if checked.fix is not None and checked.fix.verification is not None and checked.fix.verification.verified:
            out.append(checked)
    return out


def dismiss_title(rule_id: str) -> str:
    return f"Dismiss this {rule_id} finding"


def _can_comment(doc: OpenDocument) -> bool:
    """Whether a suppression comment can be inserted: source files, and text files whose syntax
    has ``#`` comments (.env, YAML, properties, shell); JSON has no comments at all."""
    if doc.language is not None:
        return True
    return doc.path is not None and doc.path.suffix.lower() not in {".json", ".jsonc", ".md", ".txt"}


def resolve(ls: CoderevServer, action: types.CodeAction) -> types.CodeAction:
    data = action.data if isinstance(action.data, Mapping) else {}
    doc = ls.documents.get(str(data.get("uri", "")))
    if doc is None or action.edit is not None:
        return action
    if data.get("kind") == "suppress" and _can_comment(doc):
        line = int(data.get("line", 0))
        text = doc.line_text(line)
        indent = text[: len(text) - len(text.lstrip())]
        comment = suppression_comment(doc.language or TEXT, str(data.get("ruleId", "")))
        insert = types.TextEdit(
            range=types.Range(types.Position(line, 0), types.Position(line, 0)),
            new_text=f"{indent}{comment}\n",
        )
        action.edit = types.WorkspaceEdit(changes={doc.uri: [insert]})
    elif data.get("kind") == "fixAll" and doc.result is not None and doc.result.version == doc.version:
        action.edit = types.WorkspaceEdit(changes={doc.uri: _safe_edits(tuple(_one_click(ls, doc)), doc)})
    return action


def _safe_edits(findings: tuple[Finding, ...], doc: OpenDocument) -> list[types.TextEdit]:
    """Edits of the given (safe, verified) fixes, without overlaps (the first fix wins where two overlap)."""
    assert doc.result is not None
    snapshot = doc.result.snapshot
    edits: list[types.TextEdit] = []
    end = -1
    for finding in sorted(findings, key=lambda f: f.span.start_byte):
        if finding.fix is None or not finding.fix.safe:
            continue
        spans = [e.span for e in finding.fix.edits]
        if not spans or min(s.start_byte for s in spans) < end:
            continue
        end = max(s.end_byte for s in spans)
        edits += convert.text_edits(finding.fix, snapshot)
    return edits
