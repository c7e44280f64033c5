"""Errors as the API answers them: a catalogue code, its message and remedy, as JSON.

``{"error": {"code": "AUTH002", "title": ..., "message": ..., "remedy": ...}}`` with the HTTP
status that fits the code; never a traceback. :class:`ApiError` carries a catalogue error with
the status and headers it needs (``Retry-After``, ``WWW-Authenticate``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from starlette.responses import JSONResponse

from coderev.analyzers.errors import CoderevError

_STATUS: Final = {
    "AUTH001": 403, "AUTH002": 401, "AUTH003": 401, "AUTH004": 401, "AUTH005": 403,
    "ANA006": 400, "SYS002": 409, "SYS007": 400, "SYS008": 429, "SYS009": 503, "SYS010": 413, "SYS011": 400,
    "PRV001": 503, "PRV002": 503, "PRV004": 503, "PRV005": 503, "PRV006": 504, "PRV008": 503,
}
_AUTHENTICATE: Final = {"WWW-Authenticate": 'Bearer realm="coderev-engine"'}


def status_of(code: str) -> int:
    """The HTTP status of a catalogue code (500 for what the client cannot fix)."""
    return _STATUS.get(code, 500)


class ApiError(Exception):
    """A refusal: a catalogue error with its HTTP status and extra headers."""

    def __init__(self, error: CoderevError, status: int | None = None, headers: Mapping[str, str] | None = None
                 ) -> None:
        super().__init__(error.render())
        self.error = error
        self.status = status if status is not None else status_of(error.code)
        self.headers = {**(_AUTHENTICATE if self.status == 401 else {}), **(headers or {})}


def error_body(error: CoderevError) -> dict[str, Any]:
    return {"error": {"code": error.code, "title": error.spec.title, "message": error.detail,
                      "remedy": error.spec.remedy}}


def error_response(problem: ApiError | CoderevError, headers: Mapping[str, str] | None = None) -> JSONResponse:
    refusal = problem if isinstance(problem, ApiError) else ApiError(problem)
    return JSONResponse(error_body(refusal.error), refusal.status, headers={**refusal.headers, **(headers or {})})
