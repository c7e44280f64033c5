"""AI fixes: a verified model fix offered as a code action, beside (or instead of) the rule's fix.

For a finding under the cursor, the production slot is asked for a fix of the top-level unit
(function, class, statement) that holds it; the engine checks the answer as a template fix is
checked (:mod:`coderev.analyzers.fixcheck`: it parses, the finding is gone, nothing new appears,
and the fix family's semantic check passes) and anything else is dropped, so only verified fixes
are ever offered, labelled with the slot that wrote them and what was checked. The editor never waits
long: the code-action request waits at most :data:`WAIT_S` for the model, and an answer that
comes later is kept for the next request on that finding. The edit itself is built lazily by
``codeAction/resolve`` from the kept answer. The acceptance model orders the AI fix against
the rule's template fix (coderev/engine/learning). While the model is still loading (the first
seconds after start), a client that shows disabled code actions gets one that says so, instead of
an AI fix that silently never comes.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

from lsprotocol import types

from coderev.analyzers import Finding
from coderev.analyzers.finding import Edit, Fix, Span
from coderev.analyzers.fix_units import fix_unit
from coderev.engine.runtime.api import AiFix
from coderev.server.lsp import convert

if TYPE_CHECKING:
    from coderev.server.lsp.documents import OpenDocument
    from coderev.server.lsp.server import CoderevServer

KIND: Final = "aiFix"
REJECT_COMMAND: Final = "coderev.rejectFix"
WAIT_S: Final = 0.5
LOADING_TITLE: Final = "AI fix: the model is still loading"
LOADING_REASON: Final = "The local model is still loading; AI fixes are offered once it is ready (a few seconds)."


def _request(ls: CoderevServer, doc: OpenDocument, fingerprint: str) -> asyncio.Future[AiFix | None] | None:
    """The (possibly finished) model request for a finding of the current version."""
    if ls.model.engine is None or doc.result is None or doc.result.version != doc.version or doc.language is None:
        return None
    key = (fingerprint, doc.version)
    cached: asyncio.Future[AiFix | None] | None = doc.ai_fixes.get(key)
    if cached is not None:
        return cached
    finding = doc.finding(fingerprint)
    if finding is None:
        return None
    unit = fix_unit(doc.result.snapshot, finding, ls.project.config_for(doc.root).analyzer)
    if unit is None:
        return None
    asked = ls.model.fix(doc.result.snapshot, finding, unit, key=doc.uri, version=doc.version)
    if asked is None:
        return None
    if ls.metrics is not None:
        ls.metrics.time("ai_fix", asked)
    future = asyncio.wrap_future(asked)
    doc.ai_fixes = {k: v for k, v in doc.ai_fixes.items() if k[1] == doc.version}  # older versions: gone
    doc.ai_fixes[key] = future
    doc.ai_units[key] = (unit.start, unit.end)
    return future


def _answer(future: asyncio.Future[AiFix | None]) -> AiFix | None:
    if not future.done() or future.cancelled() or future.exception() is not None:
        return None
    return future.result()


async def actions(
    ls: CoderevServer, doc: OpenDocument, diagnostic: types.Diagnostic, payload: Mapping[str, Any]
) -> list[types.CodeAction]:
    """The AI fix action for one rule diagnostic, or nothing (model off, busy, or no verified fix)."""
    settings = ls.project.settings
    if not (settings.ai_fixes and settings.model_enabled and ls.model.ready):
        return []
    fingerprint = str(payload.get("fingerprint", ""))
    future = _request(ls, doc, fingerprint)
    if future is None:
        return []
    if not future.done():
        with contextlib.suppress(Exception):
            await asyncio.wait_for(asyncio.shield(future), WAIT_S)
    fix = _answer(future)
    if fix is None:
        return []
    data = {"kind": KIND, "uri": doc.uri, "fingerprint": fingerprint, "version": doc.version}
    accepted = {**payload, "origin": "ai", "slot": fix.slot_id, "fix": {"description": "AI fix", "safe": False}}
    action = types.CodeAction(
        title=f"AI fix (model {fix.slot_version}, verified: {'; '.join(fix.checked[1:]) or 'structure'})",
        kind=types.CodeActionKind.QuickFix,
        diagnostics=[diagnostic],
        is_preferred=False,
        data=data,
        command=types.Command(title="Record the accepted AI fix", command="coderev.accept", arguments=[accepted]),
    )
    reject = types.CodeAction(
        title="Reject the AI fix (coderev learns from it; the finding stays)",
        kind=types.CodeActionKind.QuickFix,
        diagnostics=[diagnostic],
        is_preferred=False,
        data={**data, "reject": True},
        command=types.Command(title="Record the rejected AI fix", command=REJECT_COMMAND, arguments=[accepted]),
    )
    return [a if ls.client.code_action_resolve else resolve(ls, doc, a) for a in (action, reject)]


def loading(ls: CoderevServer, doc: OpenDocument, diagnostics: list[types.Diagnostic]) -> list[types.CodeAction]:
    """One disabled "the model is still loading" action for ``diagnostics`` (the rule diagnostics
    of the request) while the model loads, when AI fixes are on and the client can show it."""
    settings = ls.project.settings
    if not diagnostics or doc.language is None or not (settings.ai_fixes and settings.model_enabled):
        return []
    if not ls.client.disabled_code_actions or not ls.model.loading:
        return []
    return [
        types.CodeAction(
            title=LOADING_TITLE,
            kind=types.CodeActionKind.QuickFix,
            diagnostics=diagnostics,
            disabled=types.CodeActionDisabled(reason=LOADING_REASON),
        )
    ]


def resolve(ls: CoderevServer, doc: OpenDocument, action: types.CodeAction) -> types.CodeAction:
    """Fill in the edit of an AI fix action from the kept model answer."""
    data = action.data if isinstance(action.data, Mapping) else {}
    key = (str(data.get("fingerprint", "")), int(data.get("version", -1)))
    future = doc.ai_fixes.get(key)
    unit = doc.ai_units.get(key)
    fix = _answer(future) if future is not None else None
    if fix is None or unit is None or doc.result is None or doc.result.version != key[1] or doc.version != key[1]:
        return action  # the document changed since: the client applies nothing
    if not data.get("reject"):  # rejecting changes no code: its command carries the fix it turns down
        action.edit = types.WorkspaceEdit(changes={doc.uri: [_edit(doc, unit, fix)]})
    if action.command is not None and action.command.arguments and isinstance(action.command.arguments[0], Mapping):
        payload = dict(action.command.arguments[0])
        as_fix = _as_fix(unit, doc, fix)
        payload["before"], payload["after"] = doc.fix_pair(as_fix)
        payload["unit"] = doc.fix_unit_lines(as_fix)
        payload["style"] = doc.sql_style() if ".sql-injection." in str(payload.get("ruleId", "")) else ""
        action.command.arguments = [payload]
    return action


def _change(old: bytes, new: bytes) -> tuple[int, int, bytes]:
    """The smallest (start, end in ``old``, replacement) that turns ``old`` into ``new``."""
    prefix = 0
    limit = min(len(old), len(new))
    while prefix < limit and old[prefix] == new[prefix]:
        prefix += 1
    suffix = 0
    while suffix < limit - prefix and old[len(old) - 1 - suffix] == new[len(new) - 1 - suffix]:
        suffix += 1
    return prefix, len(old) - suffix, new[prefix : len(new) - suffix]


def _as_fix(unit: tuple[int, int], doc: OpenDocument, fix: AiFix) -> Fix:
    """The model's fix as analyzer edits on the document (for the training pair)."""
    assert doc.result is not None
    snapshot = doc.result.snapshot
    old = snapshot.source[unit[0] : unit[1]]
    start, end, text = _change(old, fix.fixed_source.encode("utf-8"))
    first, last = snapshot.position_of(unit[0] + start), snapshot.position_of(unit[0] + end)
    span = Span(unit[0] + start, unit[0] + end, first.line, first.character, last.line, last.character)
    return Fix("AI fix", False, (Edit(span, text.decode("utf-8", "replace")),))


def _edit(doc: OpenDocument, unit: tuple[int, int], fix: AiFix) -> types.TextEdit:
    assert doc.result is not None
    return convert.text_edits(_as_fix(unit, doc, fix), doc.result.snapshot)[0]


def ai_first(ls: CoderevServer, doc: OpenDocument, finding: Finding | None, slot: str) -> bool:
    """Whether the acceptance model expects the AI fix to be taken over the rule's own fix."""
    if finding is None or finding.fix is None or not ls.project.settings.learning_enabled:
        return False
    learner = ls.project.learner(doc.root, only_if_learned=True)
    if learner is None:
        return False
    from coderev.engine.learning.learner import FixCandidate

    ranked = learner.rank_fixes(
        finding, [FixCandidate(finding.fix, "template"), FixCandidate(finding.fix, "ai", slot)],
        path=str(doc.path) if doc.path else doc.uri,
    )
    return ranked[0].candidate.origin == "ai"
