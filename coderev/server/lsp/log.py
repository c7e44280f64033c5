"""Logging to the client (``window/logMessage``, ``$/logTrace``) and to an optional JSON file.

Everything the server wants the user to see goes through :class:`ClientLog`. Messages may come
from worker threads; they are always sent from the event loop, so two threads never write to
the transport at once.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types

from coderev.analyzers.errors import CoderevError
from coderev.engine import logs

if TYPE_CHECKING:
    from pygls.lsp.server import LanguageServer

logger = logging.getLogger("coderev.server")

_LSP_LEVEL = {
    logging.ERROR: types.MessageType.Error,
    logging.WARNING: types.MessageType.Warning,
    logging.INFO: types.MessageType.Info,
    logging.DEBUG: types.MessageType.Log,
}


def configure_logging(log_file: Path | None) -> None:
    """coderev's records to stderr (text) and, when asked, to ``log_file`` (JSON lines); pygls'
    per-message chatter stays off."""
    logs.configure(level="info" if log_file else "warning", file=log_file)
    logging.getLogger("pygls").setLevel(logging.WARNING)


class ClientLog:
    """Log lines for the editor's output panel, user-visible messages, and traces."""

    def __init__(self, server: LanguageServer) -> None:
        self._server = server
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: int | None = None
        self.count_error: Callable[[str], None] | None = None  # the metrics' (--metrics-port)

    def bind_loop(self) -> None:
        """Remember the event loop (called from a handler running on it)."""
        self._loop = asyncio.get_running_loop()
        self._loop_thread = threading.get_ident()

    def _on_loop(self, fn: Any, *args: Any) -> None:
        if self._loop is None or threading.get_ident() == self._loop_thread:
            fn(*args)
        elif not self._loop.is_closed():
            self._loop.call_soon_threadsafe(fn, *args)

    def log(self, level: int, message: str, **fields: Any) -> None:
        logger.log(level, message, extra=fields)
        code = fields.get("code")
        if self.count_error is not None and level >= logging.WARNING and isinstance(code, str):
            self.count_error(code)
        params = types.LogMessageParams(type=_LSP_LEVEL.get(level, types.MessageType.Log), message=message)
        self._on_loop(self._server.window_log_message, params)

    def info(self, message: str, **fields: Any) -> None:
        self.log(logging.INFO, message, **fields)

    def debug(self, message: str, **fields: Any) -> None:
        self.log(logging.DEBUG, message, **fields)

    def warning(self, message: str, **fields: Any) -> None:
        self.log(logging.WARNING, message, **fields)

    def error(self, message: str, **fields: Any) -> None:
        self.log(logging.ERROR, message, **fields)

    def show(self, error: CoderevError, level: int = logging.WARNING) -> None:
        """Show a catalogued error to the user (``window/showMessage``) and log it."""
        self.log(level, error.render(), code=error.code)
        params = types.ShowMessageParams(type=_LSP_LEVEL.get(level, types.MessageType.Warning), message=error.render())
        self._on_loop(self._server.window_show_message, params)

    def trace(self, message: str, verbose: str | None = None) -> None:
        """``$/logTrace``, honouring the client's ``$/setTrace`` value."""
        trace = getattr(self._server.protocol, "trace", types.TraceValue.Off)
        if trace == types.TraceValue.Off:
            return
        detail = verbose if trace == types.TraceValue.Verbose else None
        self._on_loop(self._server.log_trace, types.LogTraceParams(message=message, verbose=detail))
