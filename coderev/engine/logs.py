"""Structured logging: one JSON object per line, or plain text for people.

Every component logs through the standard ``logging`` module under the ``coderev`` logger; this
module only decides how records are written. A record's ``code`` (from the error catalogue) and
any ``extra`` fields are carried into the JSON object.
"""

from __future__ import annotations

import json
import logging
import sys
from contextvars import ContextVar
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

REQUEST_ID: ContextVar[str | None] = ContextVar("coderev_request_id", default=None)
"""The request being served (the engine API's ``X-Request-Id``); every JSON line logged while it is set
carries it as ``request_id`` (docs/observability.md)."""
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """Formats a record as one JSON line: time, level, logger, message, code and extras."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value if isinstance(value, str | int | float | bool | None) else str(value)
        request_id = REQUEST_ID.get()
        if request_id is not None:
            entry.setdefault("request_id", request_id)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure(
    level: str = "warning",
    fmt: str = "text",
    stream: TextIO | None = None,
    file: Path | None = None,
) -> logging.Logger:
    """Set up the ``coderev`` logger: to ``stream`` (stderr by default) and optionally a file.

    The file always receives JSON lines, whatever ``fmt`` says for the stream.
    """
    logger = logging.getLogger("coderev")
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
        handler.close()
    logger.setLevel(level.upper())
    logger.propagate = False
    console = logging.StreamHandler(stream or sys.stderr)
    console.setFormatter(
        JsonFormatter() if fmt == "json" else logging.Formatter("coderev: %(levelname)s: %(message)s")
    )
    logger.addHandler(console)
    if file is not None:
        file.parent.mkdir(parents=True, exist_ok=True)
        to_file = logging.FileHandler(file, encoding="utf-8")
        to_file.setFormatter(JsonFormatter())
        logger.addHandler(to_file)
    return logger
