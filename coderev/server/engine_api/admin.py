"""The engine's admin page (``/admin``): server-rendered HTML, no script, every value escaped.

It shows the slots (V1/V2/V3) with their SLO figures against the objectives, the slot history,
each component's health, learning (the background learning scheduler's state and today's CPU
budget when the engine runs with ``--learn``; the online learner's training pair counts, CPU
budget used and last checkpoint), and the most dismissed rules. Promote and demote are plain form
POSTs carrying the admin token (team mode; the socket is the check in local mode), carried out as
the API's own ``/v1/slots/...``.
Reading the page takes the same credentials as the API: a bearer token, or HTTP Basic with the
token as password so a browser can open it (docs/observability.md).
"""

from __future__ import annotations

import time
from collections import Counter
from datetime import UTC, datetime
from html import escape
from typing import Any, Final
from urllib.parse import parse_qs

from starlette.datastructures import Headers
from starlette.responses import HTMLResponse

from coderev.analyzers.errors import CoderevError
from coderev.engine.feedback import EventKind
from coderev.engine.learning.pairs import training_pairs
from coderev.engine.metrics import health_of
from coderev.engine.runtime.policy import Action
from coderev.engine.runtime.slo import SlotStats
from coderev.server.engine_api.auth import Principal
from coderev.server.engine_api.guard import Message, Receive, Scope, Send
from coderev.server.engine_api.observe import Observer
from coderev.server.engine_api.responses import ApiError, error_response
from coderev.server.engine_api.routes import Context, carry_out, in_pool
from coderev.server.model_slots_command import slot_row

MAX_FORM: Final = 16 << 10
_STYLE: Final = """body{font:14px system-ui,sans-serif;margin:24px;color:#1b1f24;max-width:1100px}
h1{font-size:22px}h2{font-size:17px;margin-top:28px;border-bottom:1px solid #d0d7de}
table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #d0d7de;padding:4px 8px;text-align:left}
th{background:#f6f8fa}.ok{color:#1a7f37;font-weight:600}.bad{color:#cf222e;font-weight:600}
.msg{padding:8px;background:#ddf4ff;border:1px solid #54aeff}.err{background:#ffebe9;border-color:#ff8182}
form{display:inline-block;margin:4px 16px 4px 0}input{margin:2px}"""


def _cell(value: object) -> str:
    return f"<td>{escape('' if value is None else str(value))}</td>"


def _row(values: list[object], head: bool = False) -> str:
    if head:
        return "<tr>" + "".join(f"<th>{escape(str(v))}</th>" for v in values) + "</tr>"
    return "<tr>" + "".join(_cell(v) for v in values) + "</tr>"


def _ms(seconds: float | None) -> str:
    return "n/a" if seconds is None else f"{seconds * 1000:.0f} ms"


def _pct(ratio: float | None) -> str:
    return "n/a" if ratio is None else f"{ratio:.1%}"


def render(ctx: Context, message: str = "", error: bool = False) -> str:
    """The page (blocking: reads the stores)."""
    host, status = ctx.host, ctx.host.status()
    out = [f"<!doctype html><html lang=en><head><meta charset=utf-8><title>coderev engine admin</title>"
           f"<style>{_STYLE}</style></head><body><h1>coderev engine admin</h1>",
           f"<p>coderev {escape(host.version)} &middot; mode <b>{escape(status.mode)}</b> &middot; breaker "
           f"<b>{escape(status.breaker)}</b> &middot; queue {status.queue_depth} &middot; {escape(ctx.mode)} mode "
           f"&middot; up {ctx.state.clock() - ctx.state.started:.0f} s</p>"]
    if message:
        out.append(f"<p class='msg{' err' if error else ''}'>{escape(message)}</p>")
    out.append("<h2>Health</h2><table>" + _row(["component", "state"], True))
    for name, ok in health_of(status, host.health()).items():
        out.append(f"<tr><td>{escape(name)}</td><td class={'ok' if ok else 'bad'}>{'up' if ok else 'down'}</td></tr>")
    out.append("</table>")
    slo = host.config.slo
    out.append(f"<h2>Slots</h2><p>objectives: p95 &le; {_ms(slo.p95_latency_s)}, errors &le; "
               f"{_pct(slo.max_error_rate)} (docs/slo.md)</p><table>")
    out.append(_row(["role", "id", "name", "version", "requests", "errors", "p50", "p95", "verified",
                     "accepted", "quality", "breaches"], True))
    try:
        slots = [slot_row(s) for s in host.store.all()]
    except ApiError:
        slots = []
    for row in slots:
        stats = status.slo.get(row["id"]) or SlotStats(row["id"])
        out.append(_row([row["role"], row["id"], row["name"], row["version"], stats.requests,
                         _pct(stats.error_rate), _ms(stats.p50_latency_s), _ms(stats.p95_latency_s),
                         _pct(stats.verified_rate), _pct(stats.acceptance_rate),
                         "n/a" if stats.quality is None else f"{stats.quality:.3f}", "; ".join(stats.breaches)]))
    out.append("</table>")
    out.append(_forms(ctx))
    out.append("<h2>History</h2><table>" + _row(["time (UTC)", "action", "slot", "from", "to", "reason"], True))
    moves = host.store.history() if slots else []
    for t in reversed(moves[-20:]):
        when = datetime.fromtimestamp(t.time, UTC).strftime("%Y-%m-%d %H:%M:%S")
        out.append(_row([when, t.action, t.slot_id, t.from_role or "-", t.to_role or "-", t.reason]))
    out.append("</table>")
    out.append(_learning(ctx))
    out.append("</body></html>")
    return "".join(out)


def _forms(ctx: Context) -> str:
    token = ("<label>admin token <input type=password name=token autocomplete=off required></label>"
             if ctx.mode == "team" else "")
    return "".join(
        f"<form method=post action='/admin/{action}'>{token}<label>reason <input name=reason size=30></label>"
        f"<button type=submit>{label}</button></form>"
        for action, label in (("promote", "Promote V1 to production"), ("demote", "Demote production (V2)")))


def _scheduler(status: dict[str, Any]) -> str:
    budget, last = status.get("budget") or {}, status.get("last_run") or {}
    return ("<h2>Background learning</h2><table>" + _row(["state", "why waiting", "CPU budget used today",
                                                          "last run", "outcome"], True) +
            _row([status.get("state", ""), status.get("reason") or "",
                  f"{budget.get('used_s', 0):.0f} of {budget.get('allowed_s', 0):.0f} CPU-s",
                  " ".join(str(x) for x in last.get("task", [])), last.get("outcome", "")]) + "</table>")


def _learning(ctx: Context) -> str:
    meter, store = ctx.host.metrics.learning, ctx.host.feedback_store()
    scheduled = ctx.host.learning_status()
    age = "none yet" if meter.checkpoint_at is None else f"{time.time() - meter.checkpoint_at:.0f} s ago"
    if scheduled is not None:  # the meter reports the scheduler's budget and checkpoints then
        out = [_scheduler(scheduled) + "<h2>Learning</h2><p>The online learner learns each feedback event as it "
               "comes (docs/learning.md).</p>"]
    else:
        out = ["<h2>Learning</h2><p>The online learner learns each feedback event as it comes (docs/learning.md); "
               "no background learning (`coderev engine serve --learn`). "
               f"CPU budget used: {_pct(meter.usage_ratio())} of {_pct(meter.cpu_share)} of a core "
               f"over {meter.window_s:.0f} s; last checkpoint: {escape(age)}.</p>"]
    if store is None:
        return out[0] + "<p>No feedback recorded since the engine started.</p>"
    events = list(store.events())
    pairs = Counter(p.origin for p in training_pairs(store))
    out.append("<table>" + _row(["feedback events", "accepted", "dismissed", "training pairs"], True) +
               _row([len(events), sum(e.kind is EventKind.ACCEPT for e in events),
                     sum(e.kind is EventKind.DISMISS for e in events),
                     ", ".join(f"{k}: {v}" for k, v in sorted(pairs.items())) or "0"]) + "</table>")
    dismissed = Counter(e.rule_id for e in events if e.kind is EventKind.DISMISS).most_common(10)
    out.append("<h2>Top dismissed rules</h2><table>" + _row(["rule", "dismissals"], True) +
               "".join(_row([rule, count]) for rule, count in dismissed) + "</table>")
    return "".join(out)


class AdminPage:
    """The ASGI app for ``/admin`` (GET) and ``/admin/promote``, ``/admin/demote`` (form POST)."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.observer: Observer | None = None  # set by the app: it checks credentials

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        ctx, path, method, headers = self.ctx, scope["path"], scope["method"], Headers(scope=scope)
        try:
            self._check("/admin", headers)  # reading the page: any valid token (HTTP Basic from a browser)
            if (method, path) not in {("GET", "/admin"), ("POST", "/admin/promote"), ("POST", "/admin/demote")}:
                raise ApiError(CoderevError("SYS011", f"no such page: {method} {path}"), 405)
        except ApiError as exc:
            await error_response(exc, {"WWW-Authenticate": 'Basic realm="coderev-engine"'})(scope, receive, send)
            return
        message, failed = "", False
        if method == "POST":
            try:
                form = await _form(receive, headers)
                action: Action = "promote" if path == "/admin/promote" else "demote"
                who = self._check(f"/slots/{action}", Headers({"authorization": f"Bearer {form.get('token', '')}"})
                                  if ctx.mode == "team" else headers)
                reason = form.get("reason") or f"{action}d on the admin page by {who.name}"
                done = await carry_out(ctx, action, reason)
                message = f"{action}: {done.slot_id} {done.from_role or '-'} -> {done.to_role or '-'}"
            except ApiError as exc:
                message, failed = f"{exc.error.code}: {exc.error.detail}", True
            except CoderevError as exc:
                message, failed = f"{exc.code}: {exc.detail}", True
        page = await in_pool(ctx, lambda: render(ctx, message, failed), "admin page")
        await HTMLResponse(page, 400 if failed else 200)(scope, receive, send)

    def _check(self, path: str, headers: Headers) -> Principal:
        assert self.observer is not None
        return self.observer.principal(path, headers)


async def _form(receive: Receive, headers: Headers) -> dict[str, str]:
    if not headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        raise ApiError(CoderevError("SYS011", "the admin forms post application/x-www-form-urlencoded"), 415)
    raw, more = b"", True
    while more:
        message: Message = await receive()
        raw += message.get("body", b"")
        more = bool(message.get("more_body"))
        if len(raw) > MAX_FORM:
            raise ApiError(CoderevError("SYS010", f"an admin form is at most {MAX_FORM} bytes"))
    fields: dict[str, Any] = parse_qs(raw.decode("utf-8", "replace"), max_num_fields=8)
    return {k: str(v[0]) for k, v in fields.items() if v}
