"""The OpenAPI 3.1 document of the engine API, built from the schemas the server validates with.

Served at ``/v1/openapi.json``, checked in as docs/openapi/engine-v1.json (``coderev engine
openapi > docs/openapi/engine-v1.json``, part of ``make docs``), and a test holds the served
document equal to the checked-in one. ``OPERATIONS`` is the route table's documentation; a test
holds it equal to the routes the app serves.
"""

from __future__ import annotations

import json
from typing import Any, Final, NamedTuple

from coderev.server.engine_api.schemas import REQUESTS, RESPONSES
from coderev.server.engine_api.versions import CURRENT, HEADER


class Operation(NamedTuple):
    method: str
    path: str
    summary: str
    request: str | None
    response: str
    refusals: tuple[int, ...]  # beyond the ones every route may give (401, 429, 503 ...)
    admin: bool = False


OPERATIONS: Final = (
    Operation("get", "/status", "The engine's mode, slots, SLO figures and the server's traffic.", None, "Status", ()),
    Operation("post", "/fix", "A verified model fix for one finding of a file.", "FixRequest", "FixResponse",
              (400, 413, 422, 504)),
    Operation("post", "/review", "The model's findings in one function.", "ReviewRequest", "ReviewResponse",
              (400, 413, 504)),
    Operation("post", "/feedback", "Record an accepted fix or a dismissed finding.", "FeedbackRequest",
              "FeedbackResponse", (400,)),
    Operation("get", "/slots", "The installed model slots and their roles.", None, "Slots", ()),
    Operation("get", "/slots/history", "Every role transition of the slot store.", None, "History", ()),
    Operation("post", "/slots/promote", "Make the experimental slot (V1) the production slot (V2).",
              "TransitionRequest", "TransitionResponse", (403, 409, 504), admin=True),
    Operation("post", "/slots/demote", "Quarantine the production slot; the newest good slot returns.",
              "TransitionRequest", "TransitionResponse", (403, 409, 504), admin=True),
    Operation("get", "/models", "OpenAI-compatible: the model this engine serves (its production slot).", None,
              "Models", ()),
    Operation("post", "/completions", "OpenAI-compatible completion by the production slot (greedy, unchecked).",
              "CompletionRequest", "CompletionResponse", (400, 413, 504)),
    Operation("post", "/chat/completions", "OpenAI-compatible chat completion by the production slot (greedy, "
              "unchecked).", "ChatCompletionRequest", "ChatCompletionResponse", (400, 413, 504)),
    Operation("get", "/openapi.json", "This document (no token needed).", None, "Document", ()),
)
_COMMON: Final = {401: "token missing, not valid or expired (AUTH002-AUTH004)", 429: "rate limit (SYS008)",
                  503: "busy, shutting down or no model (SYS009, PRV001, PRV005)", 400: "malformed (SYS011)",
                  403: "needs the admin scope (AUTH005)", 404: "unknown path or version (SYS011, SYS007)",
                  409: "nothing to move (SYS002)", 413: "body too large (SYS010)",
                  422: "no such finding in the source (SYS011)", 504: "the model did not answer in time (PRV006)",
                  500: "internal error (SYS003)"}


def document(version: str = CURRENT) -> dict[str, Any]:
    paths: dict[str, Any] = {}
    for op in OPERATIONS:
        codes = sorted({401, 404, 429, 500, 503, *op.refusals})
        responses: dict[str, Any] = {"200" if op.path != "/feedback" else "201": {
            "description": op.summary, "content": {"application/json": {"schema": _ref(op.response)}}}}
        for code in codes:
            responses[str(code)] = {"description": _COMMON[code],
                                    "content": {"application/json": {"schema": _ref("Error")}}}
        entry: dict[str, Any] = {"summary": op.summary, "operationId": op.path.strip("/").replace("/", "_")
                                 .replace(".json", "") + "_" + op.method, "responses": responses}
        if op.request is not None:
            entry["requestBody"] = {"required": op.request != "TransitionRequest",
                                    "content": {"application/json": {"schema": _ref(op.request)}}}
        if op.path == "/openapi.json":
            entry["security"] = []
        elif op.admin:
            entry["security"] = [{"bearer": ["admin"]}, {}]
        paths[f"/v{version}{op.path}"] = {op.method: entry}
    return {
        "openapi": "3.1.0",
        "info": {"title": "coderev engine API", "version": version, "description": (
            "The coderev model engine over HTTP (docs/engine-api.md). Local mode: a Unix socket only its user "
            "can open, no token. Team mode: TCP (TLS optional) with `Authorization: Bearer TOKEN` "
            f"(`coderev engine token create`). The version is the path prefix or the `{HEADER}` header. "
            "Errors are `{\"error\": {code, title, message, remedy}}` with codes from docs/errors.md.")},
        "paths": paths,
        "components": {
            "schemas": {**REQUESTS, **RESPONSES, "Document": {"type": "object", "description": "OpenAPI 3.1"}},
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                           "description": "team mode only; scopes: user, admin"}},
            "parameters": {"ApiVersion": {"name": HEADER, "in": "header", "required": False,
                                          "schema": {"type": "string", "example": version}}},
        },
        "security": [{"bearer": ["user"]}, {}],
    }


def render(version: str = CURRENT) -> bytes:
    """The document as served and as checked in (stable key order, one trailing newline)."""
    return (json.dumps(document(version), indent=2, sort_keys=True) + "\n").encode("utf-8")


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}
