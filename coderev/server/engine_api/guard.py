"""The ASGI middleware in front of the routes: version, drain, auth, limits, errors.

In order, for each HTTP request: find the API version (``versions.negotiate``: refuse an unknown
one); refuse new work while the server drains for shutdown; authenticate (``auth``); charge the
client's rate bucket; for model routes take a place under the concurrency cap; cap the body; then
hand the request to the routes with the version stripped from its path. Any refusal, and anything
that escapes the routes, becomes a catalogue error as JSON (``responses``), never a traceback;
every response names its API version, and one to a deprecated version carries its deprecation
headers and is logged once per client and version.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from dataclasses import dataclass, field
from typing import Any, Final

from starlette.datastructures import Headers, MutableHeaders

from coderev.analyzers.errors import CoderevError
from coderev.server.engine_api.auth import Authenticator
from coderev.server.engine_api.limits import Gate, RateLimiter, body_limit
from coderev.server.engine_api.responses import ApiError, error_response
from coderev.server.engine_api.versions import HEADER, ApiVersion, deprecation_date, negotiate

log = logging.getLogger("coderev.engine_api")
Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]
# what holds a model worker (status stays answerable)
GATED: Final = frozenset({"/fix", "/review", "/completions", "/chat/completions"})


@dataclass
class Limits:
    rate: float = 20.0  # requests per second per client, 0: no limit
    burst: float = 40.0
    max_concurrent: int = 16  # model requests at once, 0: no cap
    max_body_bytes: int = 1 << 20


@dataclass
class ServerState:
    """What the server knows of its own traffic (read by status, idle exit and the drain)."""

    clock: Callable[[], float] = time.monotonic
    started: float = field(default_factory=time.monotonic)
    last_activity: float = field(default_factory=time.monotonic)
    in_flight: int = 0
    served: int = 0
    draining: bool = False

    def idle_for(self) -> float:
        return 0.0 if self.in_flight else self.clock() - self.last_activity


class Guard:
    def __init__(self, app: App, *, auth: Authenticator, limits: Limits, state: ServerState,
                 versions: Mapping[str, ApiVersion]) -> None:
        self.app, self.auth, self.limits, self.state, self.versions = app, auth, limits, state, versions
        self.rate = RateLimiter(limits.rate, limits.burst)
        self.gate = Gate(limits.max_concurrent)
        self._told: set[tuple[str, str]] = set()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)  # the lifespan
            return
        state = self.state
        state.in_flight += 1
        state.last_activity = state.clock()
        try:
            await self._request(scope, receive, send)
        finally:
            state.in_flight -= 1
            state.served += 1
            state.last_activity = state.clock()

    async def _request(self, scope: Scope, receive: Receive, send: Send) -> None:
        extra: dict[str, str] = {}
        started = False

        async def respond(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = MutableHeaders(scope=message)
                for name, value in extra.items():
                    headers[name] = value
            await send(message)

        gated = False
        try:
            headers = Headers(scope=scope)
            version, path = negotiate(scope["path"], headers.get(HEADER), self.versions)
            extra.update(version.headers())
            if self.state.draining:
                raise ApiError(CoderevError("SYS009", "the engine is shutting down"),
                               headers={"Retry-After": "1", "Connection": "close"})
            principal = self.auth.principal(path, headers.get("authorization"))
            if version.status == "deprecated":
                self._deprecated(version, principal.name)
            self.rate.check(principal.name if principal.scope else _client(scope))
            if path in GATED:
                self.gate.enter()
                gated = True
            limited = body_limit(headers.get("content-length"), self.limits.max_body_bytes, receive)
            state = {**scope.get("state", {}), "principal": principal, "api_version": version}
            inner = {**scope, "path": path, "raw_path": path.encode(), "state": state}
            await self.app(inner, limited, respond)
        except ApiError as exc:
            await self._refuse(scope, receive, respond, started, exc)
        except CoderevError as exc:
            await self._refuse(scope, receive, respond, started, ApiError(exc))
        except Exception as exc:
            log.exception("engine API request failed", extra={"code": "SYS003"})
            await self._refuse(scope, receive, respond, started,
                               ApiError(CoderevError("SYS003", f"the request failed inside the engine: {exc}")))
        finally:
            if gated:
                self.gate.leave()

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, started: bool, refusal: ApiError) -> None:
        if started:  # too late for a status line: the client sees the connection end
            log.warning("engine API: %s after the response began", refusal.error.code)
            return
        log.info("engine API refused %s: %s", scope.get("path"), refusal.error.detail,
                 extra={"code": refusal.error.code, "status": refusal.status})
        await error_response(refusal)(scope, receive, send)

    def _deprecated(self, version: ApiVersion, client: str) -> None:
        key = (version.name, client)
        if key not in self._told:
            self._told.add(key)
            log.warning("client %r uses engine API version %s (%s)", client, version.name,
                        deprecation_date(version), extra={"api_version": version.name, "client": client})


def _client(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else "socket"
