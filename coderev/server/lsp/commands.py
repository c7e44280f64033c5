"""Commands: ``coderev.accept`` (a quick-fix was applied), ``coderev.dismiss`` (hide a finding
for good, keyed by its fingerprint), ``coderev.rejectFix`` (an AI fix was turned down; the finding
stays), ``coderev.resetLearning`` and ``coderev.scanWorkspace``.

Accept and dismiss events go to the workspace's feedback store (coderev/engine/feedback.py) with the
rule id, fingerprint, language, the code around the finding and the fix.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, NoReturn

from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams

from coderev.analyzers.analysis import FINGERPRINT_LENGTH, is_fingerprint
from coderev.analyzers.errors import CoderevError
from coderev.engine.feedback import EventKey, EventKind, FeedbackEvent
from coderev.server.lsp import ai_fixes, convert, workspace_scan
from coderev.server.lsp.server import CoderevServer
from coderev.server.lsp.settings import ScanScope

ACCEPT: Final = "coderev.accept"
DISMISS: Final = "coderev.dismiss"
REJECT_FIX: Final = ai_fixes.REJECT_COMMAND
SCAN_WORKSPACE: Final = "coderev.scanWorkspace"
RESET_LEARNING: Final = "coderev.resetLearning"


def _payload(args: tuple[Any, ...], command: str) -> Mapping[str, Any]:
    """The one object an accept/dismiss carries. Its fingerprint must have the exact shape the
    analyzers give (``is_fingerprint``): anything else can match no finding, and stored it would
    teach the learner about a finding kind that does not exist. Rejected with SYS004, never stored."""
    if len(args) != 1 or not isinstance(args[0], Mapping):
        kinds = ", ".join(type(arg).__name__ for arg in args[:3]) or "none"
        _reject(f"{command} expects one object with a 'fingerprint', got {len(args)} argument(s): {kinds}")
    fingerprint = args[0].get("fingerprint")
    if not is_fingerprint(fingerprint):
        shown = repr(fingerprint) if isinstance(fingerprint, str | int | None) else type(fingerprint).__name__
        _reject(f"{command}: {shown[:40]} is not a fingerprint ({FINGERPRINT_LENGTH} lowercase hex digits)")
    return args[0]


def _reject(detail: str) -> NoReturn:
    """Answer a malformed command with InvalidParams naming SYS004 (logged once, by the protocol)."""
    raise JsonRpcInvalidParams(CoderevError("SYS004", detail).render())


def _event(ls: CoderevServer, kind: EventKind, payload: Mapping[str, Any]) -> tuple[FeedbackEvent, Any]:
    uri = str(payload.get("uri", ""))
    doc = ls.documents.get(uri)
    path = ls.path_of(uri)
    root = doc.root if doc is not None else ls.project.root_for(path)
    line = payload.get("line", 0)
    context = doc.context(line) if doc is not None and isinstance(line, int) else ""
    fix = payload.get("fix")
    origin = str(payload.get("origin", "rule"))
    event = FeedbackEvent(
        kind=kind,
        rule_id=str(payload.get("ruleId", "")),
        fingerprint=str(payload["fingerprint"]),
        language=str(payload.get("language", "")),
        context=context,
        fix=fix if isinstance(fix, Mapping) else None,
        path=str(path) if path is not None else uri,
        origin=origin,
        slot=str(payload.get("slot", "")),
        # a dismissed or rejected AI fix keeps its code too: a negative example for learning (docs/learning.md)
        before=str(payload.get("before", "")) if kind is EventKind.ACCEPT or origin == "ai" else "",
        after=str(payload.get("after", "")) if kind is EventKind.ACCEPT or origin == "ai" else "",
        unit=str(payload.get("unit", "")) if kind is EventKind.ACCEPT or origin == "ai" else "",
        style=str(payload.get("style", "")),
        severity=str(payload.get("severity", "")),
        category=str(payload.get("category", "")),
    )
    return event, root


def _record(ls: CoderevServer, event: FeedbackEvent, root: Any) -> EventKey:
    try:
        key = ls.project.record(root, event)
    except CoderevError as error:
        ls.log.show(error)
        raise JsonRpcInvalidParams(error.render()) from error
    ls.log.info(f"{event.kind}: {event.rule_id} {event.fingerprint}", rule=event.rule_id)
    if ls.metrics is not None:
        known = ls.project.config_for(root).analyzer.rules.get(event.rule_id) is not None
        ls.metrics.feedback(event.rule_id, str(event.kind), known)
    return key


def accept(ls: CoderevServer, *args: Any) -> None:
    payload = _payload(args, ACCEPT)
    event, root = _event(ls, EventKind.ACCEPT, payload)
    key = _record(ls, event, root)
    doc = ls.documents.get(str(payload.get("uri", "")))
    edits = convert.edits_from_data(payload)
    if doc is not None and event.after and edits:  # the user may still edit the fix: kept if they do
        first = min(edit.range.start.line for edit in edits)
        ls.edits.accepted(doc, key, ls.project.store(root), first, event.after)
    if event.origin == "ai" and event.slot:  # the slot's acceptance rate (its SLO quality); no code leaves
        ls.model.accepted(event.slot, {"rule_id": event.rule_id, "fingerprint": event.fingerprint,
                                       "language": event.language})


def dismiss(ls: CoderevServer, *args: Any) -> None:
    event, root = _event(ls, EventKind.DISMISS, _payload(args, DISMISS))
    _record(ls, event, root)
    ls.forget_scanned(event.fingerprint)
    ls.reanalyze_all()


def reject_fix(ls: CoderevServer, *args: Any) -> None:
    """The user turned an AI fix down: kept as a negative for learning runs (``negatives.jsonl``);
    the finding stays shown and the acceptance model is not told (the fix was wrong, not the finding)."""
    payload = _payload(args, REJECT_FIX)
    if payload.get("origin") != "ai" or not payload.get("before") or not payload.get("after"):
        _reject(f"{REJECT_FIX} takes an AI fix's payload (origin 'ai', before and after)")
    event, root = _event(ls, EventKind.REJECT, payload)
    _record(ls, event, root)


def reset_learning(ls: CoderevServer, *args: Any) -> dict[str, int]:
    """Forget the learned preferences (the raw accept/dismiss events stay; dismissed findings
    stay dismissed) and show every finding kind again."""
    roots = ls.project.reset_learning()
    ls.log.info(f"learning reset in {roots} workspace root(s)")
    ls.reanalyze_all()
    return {"roots": roots}


async def scan_workspace(ls: CoderevServer, *args: Any) -> dict[str, int]:
    if ls.project.settings.workspace_scan is ScanScope.OFF:
        ls.window_show_message(
            types.ShowMessageParams(
                type=types.MessageType.Info, message="coderev: the workspace scan is off (setting workspaceScan)"
            )
        )
        return {"files": 0, "findings": 0, "skipped": 0}
    return await workspace_scan.scan(ls, force=True)
