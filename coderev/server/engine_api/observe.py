"""The outermost ASGI layer: request ids, request metrics, ``/metrics`` and the admin page.

For every HTTP request: take the client's ``X-Request-Id`` (when it is a short token) or make
one, set it in :data:`coderev.engine.logs.REQUEST_ID` for every log line of the request, and echo
it in the response; count the response by endpoint (its route template, ``other`` for anything
else) and outcome, time it, and count an error response by its catalogue code. ``/metrics`` and
``/admin`` are not versioned API routes: they are answered here, with the same credentials as the
API (docs/observability.md). ``inject_latency_file`` is a test aid (``--inject-latency-file``):
while that file holds a number, each ``/fix`` and ``/review`` request waits that many ms first.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
import re
import time
import uuid
from collections.abc import Collection
from pathlib import Path
from typing import Final

from prometheus_client import CONTENT_TYPE_LATEST
from starlette.datastructures import Headers, MutableHeaders

from coderev.analyzers.errors import CATALOGUE
from coderev.engine.logs import REQUEST_ID
from coderev.engine.metrics import Metrics
from coderev.server.engine_api.auth import Authenticator, Principal
from coderev.server.engine_api.guard import App, Message, Receive, Scope, Send
from coderev.server.engine_api.responses import ApiError, error_response

log = logging.getLogger("coderev.engine_api")
HEADER: Final = "X-Request-Id"
_ID: Final = re.compile(r"[A-Za-z0-9._:-]{1,64}")
_VERSIONED: Final = re.compile(r"/v(\d+)(/.*)?")
MODEL_PATHS: Final = frozenset({"/fix", "/review"})
OWN_PATHS: Final = frozenset({"/metrics", "/admin", "/admin/promote", "/admin/demote"})


def request_id(headers: Headers) -> str:
    given = headers.get(HEADER.lower(), "").strip()
    return given if _ID.fullmatch(given) else uuid.uuid4().hex


def endpoint_of(path: str, versions: Collection[str], known: Collection[str]) -> str:
    """A bounded label for ``path``: ``/v1/fix``, ``/metrics``, ..., else ``other``."""
    if path in OWN_PATHS:
        return path
    match = _VERSIONED.fullmatch(path)
    if match and match.group(1) in versions and (match.group(2) or "/") in known:
        return f"/v{match.group(1)}{match.group(2)}"
    return "other"


def credentials(headers: Headers) -> str | None:
    """The request's bearer token as an ``Authorization`` value; HTTP Basic (any user name, the
    token as password) is taken too, so a browser can open the admin page without script."""
    value = headers.get("authorization")
    scheme, _, rest = (value or "").partition(" ")
    if scheme.lower() == "basic":
        with contextlib.suppress(ValueError, UnicodeDecodeError):
            return "Bearer " + base64.b64decode(rest.strip(), validate=True).decode("utf-8").partition(":")[2]
    return value


class Observer:
    def __init__(self, app: App, metrics: Metrics, *, auth: Authenticator, versions: Collection[str],
                 known: Collection[str], admin: App | None = None, inject_latency_file: Path | None = None) -> None:
        self.app, self.metrics, self.auth, self.admin = app, metrics, auth, admin
        self.versions, self.known, self.inject = versions, known, inject_latency_file

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        rid = request_id(headers)
        reset = REQUEST_ID.set(rid)
        status, code = 500, None
        path: str = scope["path"]
        endpoint = endpoint_of(path, self.versions, self.known)

        async def respond(message: Message) -> None:
            nonlocal status, code
            if message["type"] == "http.response.start":
                status = int(message["status"])
                MutableHeaders(scope=message)[HEADER] = rid
            elif message["type"] == "http.response.body" and status >= 400 and code is None:
                code = _error_code(message.get("body", b""))
            await send(message)

        started = time.perf_counter()
        try:
            if path == "/metrics":
                await self._metrics(scope, receive, respond, headers)
            elif path in OWN_PATHS and self.admin is not None:
                await self.admin(scope, receive, respond)
            else:
                await self._inject(endpoint)
                await self.app(scope, receive, respond)
        finally:
            seconds = time.perf_counter() - started
            self.metrics.observe_request("api", endpoint, status, seconds)
            log.info("%s %s %d", scope["method"], endpoint, status,
                     extra={"endpoint": endpoint, "status": status, "duration_ms": round(seconds * 1000, 1)})
            if code is not None:
                self.metrics.errors.labels(code).inc()
            REQUEST_ID.reset(reset)

    async def _metrics(self, scope: Scope, receive: Receive, send: Send, headers: Headers) -> None:
        try:
            self.principal("/metrics", headers)
        except ApiError as refusal:
            await error_response(refusal)(scope, receive, send)
            return
        body = await asyncio.get_running_loop().run_in_executor(None, self.metrics.render)
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", CONTENT_TYPE_LATEST.encode()),
                                (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})

    def principal(self, path: str, headers: Headers) -> Principal:
        return self.auth.principal(path, credentials(headers))

    async def _inject(self, endpoint: str) -> None:
        if self.inject is None or endpoint.partition("/")[2].partition("/")[2] not in ("fix", "review"):
            return
        try:
            delay_ms = float(self.inject.read_text().strip() or 0)
        except (OSError, ValueError):
            return  # no file, or no number in it: no injected latency
        if delay_ms > 0:
            await asyncio.sleep(delay_ms / 1000)


def _error_code(body: bytes) -> str | None:
    """The catalogue code of an error response's JSON body (None when it has none)."""
    try:
        code = json.loads(body)["error"]["code"]
    except (ValueError, KeyError, TypeError):
        return None
    return code if isinstance(code, str) and code in CATALOGUE else None
