"""The JSON shapes of the API, once: requests are validated against these schemas and the
OpenAPI document (``openapi``) is built from them, so the two cannot drift apart.

Findings are serialized as ``coderev scan --format json`` writes them (``reports.json_report``).
"""

from __future__ import annotations

import json
from typing import Any, Final

import jsonschema

from coderev.analyzers.errors import CoderevError
from coderev.analyzers.languages import LANGUAGES
from coderev.server.engine_api.responses import ApiError

Schema = dict[str, Any]
_TEXT: Final = {"type": "string", "maxLength": 1 << 20}
_LANGUAGE: Final = {"type": "string", "enum": [spec.id for spec in LANGUAGES], "description": "the code's language"}
_LOCATION: Final = {"type": "object", "required": ["line", "column"], "properties": {
    "line": {"type": "integer", "description": "1-based"},
    "column": {"type": "integer", "description": "1-based, in Unicode code points"}}}

REQUESTS: Final[dict[str, Schema]] = {
    "FixRequest": {
        "type": "object", "additionalProperties": False, "required": ["source", "language", "rule_id", "line"],
        "description": "A file (or a unit of one) and which of its findings to fix. The engine finds the finding "
                       "again itself and sends the model the top-level unit that holds it, as the editor does.",
        "properties": {
            "source": {**_TEXT, "description": "the file's text"},
            "language": _LANGUAGE,
            "path": {"type": "string", "maxLength": 4096, "description": "shown in the finding; never read"},
            "rule_id": {"type": "string", "maxLength": 200},
            "line": {"type": "integer", "minimum": 1, "description": "1-based line the finding starts on"},
            "fingerprint": {"type": "string", "maxLength": 200, "description": "picks one of several findings"},
        },
    },
    "ReviewRequest": {
        "type": "object", "additionalProperties": False, "required": ["function", "language"],
        "description": "One function for the model to review.",
        "properties": {"function": {**_TEXT, "description": "the function's text"}, "language": _LANGUAGE},
    },
    "FeedbackRequest": {
        "type": "object", "additionalProperties": False, "required": ["kind", "rule_id", "fingerprint"],
        "description": "The user accepted a fix or dismissed a finding. No code is taken (secrets stay home).",
        "properties": {
            "kind": {"type": "string", "enum": ["accept", "dismiss"]},
            "rule_id": {"type": "string", "maxLength": 200},
            "fingerprint": {"type": "string", "maxLength": 200},
            "language": {"type": "string", "maxLength": 40},
            "path": {"type": "string", "maxLength": 4096},
            "origin": {"type": "string", "enum": ["rule", "template", "ai"]},
            "slot": {"type": "string", "maxLength": 200, "description": "the slot id of an accepted AI fix"},
            "severity": {"type": "string", "maxLength": 20},
            "category": {"type": "string", "maxLength": 200},
        },
    },
    "CompletionRequest": {
        "type": "object", "required": ["prompt"],
        "description": "OpenAI's completion request; decoding is greedy, other OpenAI fields are ignored.",
        "properties": {
            "model": {"type": "string"},
            "prompt": {"oneOf": [_TEXT, {"type": "array", "items": _TEXT, "minItems": 1, "maxItems": 64}]},
            "max_tokens": {"type": "integer", "minimum": 1, "maximum": 4096},
        },
    },
    "ChatCompletionRequest": {
        "type": "object", "required": ["messages"],
        "description": "OpenAI's chat request: the last `user` message is the prompt, as it is.",
        "properties": {
            "model": {"type": "string"},
            "messages": {"type": "array", "minItems": 1, "items": {
                "type": "object", "required": ["role", "content"],
                "properties": {"role": {"type": "string"}, "content": _TEXT}}},
            "max_tokens": {"type": "integer", "minimum": 1, "maximum": 4096},
        },
    },
    "TransitionRequest": {
        "type": "object", "additionalProperties": False,
        "properties": {"reason": {"type": "string", "maxLength": 500, "description": "kept in the slot history"}},
    },
}

RESPONSES: Final[dict[str, Schema]] = {
    "Error": {"type": "object", "required": ["error"], "properties": {"error": {
        "type": "object", "required": ["code", "title", "message", "remedy"],
        "properties": {"code": {"type": "string", "description": "docs/errors.md"}, "title": {"type": "string"},
                       "message": {"type": "string"}, "remedy": {"type": "string"}}}}},
    "Status": {"type": "object", "required": ["api", "engine", "server"], "properties": {
        "api": {"type": "object", "properties": {
            "version": {"type": "string"}, "versions": {"type": "object", "additionalProperties": {"type": "string"}},
            "coderev": {"type": "string"}}},
        "engine": {"type": "object", "description": "as the language server's coderev/status notification"},
        "server": {"type": "object", "properties": {
            "mode": {"type": "string", "enum": ["local", "team"]}, "in_flight": {"type": "integer"},
            "served": {"type": "integer"}, "uptime_s": {"type": "number"}, "idle_exit_s": {"type": "number"},
            "client": {"type": "string"}}},
        "learning": {"oneOf": [{"type": "null"}, {"type": "object"}],
                     "description": "the background learning scheduler's state (`engine serve --learn`; "
                                    "as `coderev model learn --status` prints it), null when off"}}},
    "FixResponse": {"type": "object", "required": ["finding", "fix"], "properties": {
        "finding": {"type": "object", "description": "as in `coderev scan --format json`"},
        "fix": {"oneOf": [{"type": "null"}, {"type": "object", "properties": {
            "start": _LOCATION, "end": _LOCATION,
            "text": {"type": "string", "description": "replaces start..end of the source: the fixed unit"},
            "replacement": {"type": "string"}, "slot_id": {"type": "string"}, "slot_version": {"type": "string"},
            "latency_s": {"type": "number"}, "checked": {"type": "array", "items": {"type": "string"}}}}]},
        "reason": {"type": ["string", "null"], "description": "why there is no fix"}}},
    "ReviewResponse": {"type": "object", "required": ["items"], "properties": {
        "items": {"type": ["array", "null"], "description": "null: the model's answer was not readable",
                  "items": {"type": "object", "properties": {
                      "line": {"type": "integer", "description": "1-based within the function"},
                      "cwe": {"type": "integer"}, "message": {"type": "string"}}}},
        "slot_id": {"type": ["string", "null"]}}},
    "FeedbackResponse": {"type": "object", "properties": {"recorded": {"type": "boolean"}}},
    "Slots": {"type": "object", "properties": {"store": {"type": "string"}, "slots": {"type": "array", "items": {
        "type": "object", "description": "as `coderev model list --json`"}}}},
    "History": {"type": "object", "properties": {"transitions": {"type": "array", "items": {
        "type": "object", "description": "as in the slot store's history.jsonl"}}}},
    "Models": {"type": "object", "properties": {"object": {"const": "list"}, "data": {"type": "array", "items": {
        "type": "object", "properties": {"id": {"type": "string", "description": "the production slot"}}}}}},
    "CompletionResponse": {"type": "object", "required": ["choices"], "properties": {
        "id": {"type": "string"}, "object": {"const": "text_completion"}, "model": {"type": "string"},
        "created": {"type": "integer"}, "choices": {"type": "array", "items": {"type": "object", "properties": {
            "index": {"type": "integer"}, "text": {"type": "string"}, "finish_reason": {"type": "string"}}}}}},
    "ChatCompletionResponse": {"type": "object", "required": ["choices"], "properties": {
        "id": {"type": "string"}, "object": {"const": "chat.completion"}, "model": {"type": "string"},
        "created": {"type": "integer"}, "choices": {"type": "array", "items": {"type": "object", "properties": {
            "index": {"type": "integer"}, "finish_reason": {"type": "string"}, "message": {
                "type": "object", "properties": {"role": {"const": "assistant"}, "content": {"type": "string"}}}}}}}},
    "TransitionResponse": {"type": "object", "properties": {
        "transition": {"type": "object"}, "engine": {"type": "object"}}},
}


def parse(name: str, body: bytes) -> dict[str, Any]:
    """The request body as the schema ``name`` wants it, or ``SYS011`` naming what is wrong."""
    try:
        value = json.loads(body or b"{}")
    except ValueError as exc:
        raise ApiError(CoderevError("SYS011", f"the body is not JSON: {exc}")) from None
    error = jsonschema.exceptions.best_match(jsonschema.Draft202012Validator(REQUESTS[name]).iter_errors(value))
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "the body"
        raise ApiError(CoderevError("SYS011", f"{where}: {error.message[:300]}"))
    assert isinstance(value, dict)
    return value
