"""The routes of API version 1, without their version prefix (the guard strips it).

Each awaits the engine's futures with a bound (``asyncio.wait_for`` over ``wrap_future``): a model
answer that does not come in time is a 504 ``PRV006`` and its request is cancelled in the engine;
blocking work (analysis, stores) runs in the host's thread pool, bounded the same way.
"""

from __future__ import annotations

import asyncio
import contextvars
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, TypeVar

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from coderev.analyzers.errors import CoderevError
from coderev.engine.runtime.policy import Action
from coderev.server.engine_api import schemas
from coderev.server.engine_api.guard import ServerState
from coderev.server.engine_api.host import EngineHost
from coderev.server.engine_api.responses import ApiError
from coderev.server.engine_api.versions import ApiVersion
from coderev.server.lsp.model import status_payload
from coderev.server.model_slots_command import slot_row

T = TypeVar("T")


@dataclass
class Context:
    host: EngineHost
    state: ServerState
    mode: str  # local | team
    request_timeout_s: float
    transition_timeout_s: float
    idle_exit_s: float
    versions: Mapping[str, ApiVersion]
    openapi: bytes  # the document, rendered once


async def bounded(future: Future[T], timeout: float, what: str) -> T:
    """The future's result within ``timeout`` seconds, else ``PRV006`` (and the future cancelled)."""
    try:
        return await asyncio.wait_for(asyncio.wrap_future(future), timeout)
    except TimeoutError:
        future.cancel()
        raise ApiError(CoderevError("PRV006", f"no {what} within {timeout:g} s")) from None


async def in_pool(ctx: Context, work: Callable[[], T], what: str) -> T:
    try:
        future = ctx.host.pool.submit(contextvars.copy_context().run, work)  # its log lines keep the request id
    except RuntimeError:  # the pool is shut down: the server is stopping
        raise ApiError(CoderevError("SYS009", "the engine is shutting down"), headers={"Retry-After": "1"}) from None
    return await bounded(future, ctx.request_timeout_s, what)


async def carry_out(ctx: Context, action: Action, reason: str) -> Any:
    """An operator's promote or demote (the API's and the admin page's): the store's ``Transition``."""
    if ctx.host.engine is None:
        return await in_pool(ctx, lambda: ctx.host.transition_without_engine(action, reason), action)
    return await bounded(ctx.host.engine.transition(action, reason), ctx.transition_timeout_s, action)


async def body(request: Request, schema: str) -> dict[str, Any]:
    return schemas.parse(schema, await request.body())


def routes(ctx: Context) -> list[Route]:
    async def status(request: Request) -> Response:
        version: ApiVersion = request.state.api_version
        return JSONResponse({
            "api": {"version": version.name, "versions": {v.name: v.status for v in ctx.versions.values()},
                    "coderev": ctx.host.version},
            "engine": status_payload(ctx.host.status()),
            "server": {"mode": ctx.mode, "in_flight": ctx.state.in_flight, "served": ctx.state.served,
                       "uptime_s": round(ctx.state.clock() - ctx.state.started, 3), "idle_exit_s": ctx.idle_exit_s,
                       "client": request.state.principal.name},
            "learning": ctx.host.learning_status(),
        })

    async def fix(request: Request) -> Response:
        wanted = await body(request, "FixRequest")
        engine = ctx.host.require_engine()
        ctx.host.activity()
        metrics = ctx.host.metrics
        with metrics.time_operation("analysis"):
            prepared = await in_pool(ctx, lambda: ctx.host.prepare_fix(wanted), "analysis")
        metrics.findings.labels(ctx.host.family(wanted["rule_id"]), "shown").inc()
        if prepared.unit is None:
            return JSONResponse({"finding": prepared.finding, "fix": None,
                                 "reason": "the finding's top-level unit alone does not show it"})
        unit = prepared.unit
        with metrics.time_operation("ai_fix"):
            answer = await bounded(engine.fix(unit.text, unit.finding, key=ctx.host.key(), version=0,
                                              style=unit.style), ctx.request_timeout_s, "model fix")
        metrics.ai_fixes.labels("rejected" if answer is None else "verified").inc()
        if answer is None:
            return JSONResponse({"finding": prepared.finding, "fix": None,
                                 "reason": "the model's answer did not pass the fix checks (docs/fixes.md)"})
        return JSONResponse({"finding": prepared.finding, "reason": None, "fix": {
            "start": prepared.start, "end": prepared.end, "text": answer.fixed_source,
            "replacement": answer.replacement, "slot_id": answer.slot_id, "slot_version": answer.slot_version,
            "latency_s": round(answer.latency_s, 4), "checked": list(answer.checked)}})

    async def review(request: Request) -> Response:
        wanted = await body(request, "ReviewRequest")
        engine = ctx.host.require_engine()
        ctx.host.activity()
        slot = engine.status().production_id
        with ctx.host.metrics.time_operation("ai_review"):
            items = await bounded(engine.review(wanted["function"], language=wanted["language"],
                                                key=ctx.host.key(), version=0), ctx.request_timeout_s, "model review")
        return JSONResponse({"slot_id": slot, "items": None if items is None else [
            {"line": i.line, "cwe": i.cwe, "message": i.message} for i in items]})

    async def feedback(request: Request) -> Response:
        wanted = await body(request, "FeedbackRequest")
        await in_pool(ctx, lambda: ctx.host.record_feedback(wanted), "feedback write")
        return JSONResponse({"recorded": True}, 201)

    async def slots(request: Request) -> Response:
        rows = await in_pool(ctx, lambda: [slot_row(s) for s in ctx.host.store.all()], "slot list")
        return JSONResponse({"store": str(ctx.host.store.root), "slots": rows})

    async def history(request: Request) -> Response:
        moves = await in_pool(ctx, ctx.host.store.history, "slot history")
        return JSONResponse({"transitions": [t.to_json() for t in moves]})

    def transition(action: Action) -> Callable[[Request], Any]:
        async def move(request: Request) -> Response:
            wanted = await body(request, "TransitionRequest")
            reason = wanted.get("reason") or f"{action}d through the engine API by {request.state.principal.name}"
            started = time.monotonic()
            done = await carry_out(ctx, action, reason)
            return JSONResponse({"transition": done.to_json(), "engine": status_payload(ctx.host.status()),
                                 "seconds": round(time.monotonic() - started, 3)})

        return move

    async def openapi(request: Request) -> Response:
        return Response(ctx.openapi, media_type="application/json")

    return [
        Route("/status", status, methods=["GET"]),
        Route("/fix", fix, methods=["POST"]),
        Route("/review", review, methods=["POST"]),
        Route("/feedback", feedback, methods=["POST"]),
        Route("/slots", slots, methods=["GET"]),
        Route("/slots/history", history, methods=["GET"]),
        Route("/slots/promote", transition("promote"), methods=["POST"]),
        Route("/slots/demote", transition("demote"), methods=["POST"]),
        Route("/openapi.json", openapi, methods=["GET"]),
    ]
