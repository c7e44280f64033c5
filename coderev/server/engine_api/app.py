"""The ASGI application: the routes (Starlette) behind the guard, and the engine's life span.

On start-up the host opens the stores and starts the engine in a thread (the rules load and the
model worker starts in the background, so ``/v1/status`` answers ``loading`` at first); on
shutdown, after the server has finished or refused every request in flight, the engine stops.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from coderev.analyzers.errors import CoderevError
from coderev.server.engine_api import openapi
from coderev.server.engine_api.admin import AdminPage
from coderev.server.engine_api.auth import Authenticator
from coderev.server.engine_api.compat import completion_routes
from coderev.server.engine_api.guard import Guard, Limits, ServerState
from coderev.server.engine_api.host import EngineHost
from coderev.server.engine_api.observe import Observer
from coderev.server.engine_api.responses import ApiError, error_response
from coderev.server.engine_api.routes import Context, routes
from coderev.server.engine_api.tokens import TokenFile
from coderev.server.engine_api.versions import CURRENT, VERSIONS, ApiVersion


@dataclass
class ApiSettings:
    """How the server answers (``coderev engine serve`` options)."""

    mode: str = "local"  # local: the socket is the check; team: bearer tokens
    tokens: TokenFile | None = None  # team mode's token file
    limits: Limits = field(default_factory=Limits)
    request_timeout_s: float = 30.0
    transition_timeout_s: float = 120.0
    idle_exit_s: float = 0.0
    versions: Mapping[str, ApiVersion] = field(default_factory=lambda: dict(VERSIONS))
    inject_latency_file: Path | None = None  # a test aid (--inject-latency-file, docs/observability.md)


def build_app(host: EngineHost, settings: ApiSettings, state: ServerState | None = None) -> Observer:
    state = state or ServerState()
    ctx = Context(host, state, settings.mode, settings.request_timeout_s, settings.transition_timeout_s,
                  settings.idle_exit_s, settings.versions, openapi.render(CURRENT))

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, host.start)
        try:
            yield
        finally:
            await loop.run_in_executor(None, host.stop)

    async def refused(request: Request, exc: Exception) -> Response:
        if isinstance(exc, ApiError | CoderevError):
            return error_response(exc)
        if isinstance(exc, HTTPException):
            what = "method" if exc.status_code == 405 else "path"
            path = f"/v{request.state.api_version.name}{request.url.path}"
            return error_response(ApiError(CoderevError("SYS011", f"no such {what}: {request.method} {path}"),
                                           exc.status_code))
        return error_response(CoderevError("SYS003", f"the request failed inside the engine: {exc}"))

    inner = Starlette(routes=routes(ctx) + completion_routes(ctx), lifespan=lifespan, exception_handlers={
        ApiError: refused, CoderevError: refused, HTTPException: refused, Exception: refused})
    if settings.mode == "team" and settings.tokens is None:
        raise CoderevError("SYS002", "team mode needs a token file")
    auth = Authenticator(settings.tokens if settings.mode == "team" else None)
    guard = Guard(inner, auth=auth, limits=settings.limits, state=state, versions=settings.versions)
    admin = AdminPage(ctx)
    known = {str(getattr(route, "path", "")) for route in inner.routes}
    observer = Observer(guard, host.metrics, auth=auth, versions=tuple(settings.versions), admin=admin, known=known,
                        inject_latency_file=settings.inject_latency_file)
    admin.observer = observer
    return observer
