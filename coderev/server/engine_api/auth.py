"""Who is asking: the socket's owner (local mode) or the holder of a bearer token (team mode).

Local mode needs no token: the socket is 0600 in a 0700 directory, so only its user can connect
(the kernel checks it on ``connect``). Team mode takes ``Authorization: Bearer TOKEN`` on every
request except the OpenAPI document: no token ``AUTH002``, an unknown or revoked one ``AUTH003``,
an expired one ``AUTH004``; a route that changes which model serves (promote, demote) also needs
the ``admin`` scope, else ``AUTH005``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from coderev.analyzers.errors import CoderevError
from coderev.server.engine_api.responses import ApiError
from coderev.server.engine_api.tokens import Scope, TokenFile

ADMIN_PATHS: Final = frozenset({"/slots/promote", "/slots/demote"})
PUBLIC_PATHS: Final = frozenset({"/openapi.json"})


@dataclass(frozen=True)
class Principal:
    name: str  # the token's name, "local" (the socket's owner) or "anonymous" (a public path)
    scope: Scope | None


LOCAL: Final = Principal("local", "admin")
ANONYMOUS: Final = Principal("anonymous", None)


class Authenticator:
    """Checks a request's credentials; ``tokens`` None is local mode (the socket is the check)."""

    def __init__(self, tokens: TokenFile | None, clock: Callable[[], float] = time.time) -> None:
        self.tokens = tokens
        self._clock = clock

    def principal(self, path: str, authorization: str | None) -> Principal:
        if path in PUBLIC_PATHS:
            return ANONYMOUS
        principal = LOCAL if self.tokens is None else self._bearer(authorization)
        if path in ADMIN_PATHS and principal.scope != "admin":
            raise ApiError(CoderevError("AUTH005", f"{path} needs an admin token; {principal.name!r} is a "
                                                   f"{principal.scope} token"))
        return principal

    def _bearer(self, authorization: str | None) -> Principal:
        assert self.tokens is not None
        scheme, _, secret = (authorization or "").strip().partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            raise ApiError(CoderevError("AUTH002", "the request has no `Authorization: Bearer TOKEN` header"))
        try:
            token = self.tokens.check(secret.strip(), self._clock())
        except CoderevError as exc:
            raise ApiError(exc) from None
        return Principal(token.name, token.scope)
