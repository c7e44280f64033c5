"""The server's message loop: pygls' protocol fed by coderev's own reader (``jsonrpc.py``).

pygls' loop (``pygls.io_.run_async``) hands every body to ``json.loads`` with
``structure_message`` as object hook and logs whatever fails with a traceback; it also lets any
request through before ``initialize``. This loop replaces it for stdio and TCP, and before a
message reaches pygls' ``handle_message``:

- a frame or body that cannot be read, or JSON that is no JSON-RPC message, gets its error
  reply (-32700 or -32600, id null unless the request's id was readable);
- a request before ``initialize`` gets -32002 (ServerNotInitialized) and a notification then is
  dropped, except ``exit``; a request after ``shutdown`` gets -32600 instead of no answer;
- a request whose params do not fit its method gets -32602; a notification is dropped;

each logged once with SYS004 (no traceback), and the loop goes on with the next message.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import functools
import logging
import os
import sys
import threading
from typing import Any, cast

import attrs
from lsprotocol import types
from pygls.io_ import StdoutWriter
from pygls.protocol import JsonRPCNotification, JsonRPCProtocol, JsonRPCRequestMessage, JsonRPCResponseMessage
from pygls.server import JsonRPCServer

from coderev.analyzers.errors import CoderevError
from coderev.server.lsp.jsonrpc import (
    CHUNK,
    INVALID_PARAMS,
    INVALID_REQUEST,
    SERVER_NOT_INITIALIZED,
    MessageReader,
    MsgId,
    Read,
    Rejection,
    valid_id,
)

logger = logging.getLogger("coderev.server")

# Allowed before initialize (LSP: a request then gets -32002, a notification is dropped).
_BEFORE_INITIALIZE = frozenset({types.INITIALIZE, types.EXIT})
# Params that pygls uses as dict keys: lsprotocol's converter lets any JSON through an
# ``int | str`` field, and a list there was a TypeError inside pygls.
_KEYS = {types.CANCEL_REQUEST: "id", types.WINDOW_WORK_DONE_PROGRESS_CANCEL: "token"}


class MessageLoop:
    """Reads messages and hands those that may run to ``protocol``; answers the others."""

    def __init__(self, protocol: JsonRPCProtocol, stop: threading.Event) -> None:
        self._protocol = protocol
        self._stop = stop
        self.initialized = False

    async def run(self, read: Read) -> None:
        reader = MessageReader(read)
        while not self._stop.is_set():
            item = await reader.next()
            if item is None:
                return
            if isinstance(item, Rejection):
                self.reject(item)
            else:
                self.handle(item)

    def reject(self, rejection: Rejection) -> None:
        """Log a rejected message once (SYS004) and answer it when it is owed an answer."""
        error = CoderevError("SYS004", rejection.reason)
        logger.log(logging.INFO if rejection.leftover else logging.WARNING, error.render(), extra={"code": error.code})
        if rejection.reply:
            self._send_error(rejection.msg_id, rejection.code, error.render())

    def _send_error(self, msg_id: MsgId | None, code: int, message: str) -> None:
        # A plain dict: pygls' ResponseErrorMessage would drop an "id": null (JSON-RPC requires it).
        self._protocol._send_data({"jsonrpc": "2.0", "id": msg_id, "error": {"code": code, "message": message}})

    def handle(self, data: dict[str, Any]) -> None:
        method: str | None = data.get("method")  # a non-empty string when present (``check``)
        msg_id: MsgId | None = data.get("id")
        request = method is not None and "id" in data
        if method is not None and not self.initialized and method not in _BEFORE_INITIALIZE:
            self.reject(Rejection(SERVER_NOT_INITIALIZED, f"{method[:80]!r} arrived before initialize", msg_id,
                                  reply=request))
            return
        if method is not None and request and getattr(self._protocol, "_shutdown", False) and method != types.EXIT:
            self.reject(Rejection(INVALID_REQUEST, f"{method[:80]!r} arrived after shutdown", msg_id))
            return
        message = self._structure(data)
        if isinstance(message, Rejection):
            self.reject(message)
            return
        if method == types.INITIALIZE:
            self.initialized = True
        try:
            self._protocol.handle_message(message)
        except Exception as exc:  # pygls answers a failing handler itself; this is a bug in between
            error = CoderevError("SYS003", f"handling {str(method)[:80]!r} failed: {type(exc).__name__}: {exc}")
            logger.error(error.render(), extra={"code": error.code})

    def _structure(self, data: dict[str, Any]) -> Any:
        """``data`` as the typed message pygls dispatches (as ``structure_message`` does, without
        its traceback), or the Rejection of params that do not fit the method."""
        protocol = self._protocol
        method: str | None = data.get("method")
        msg_id: Any = data.get("id")
        cls: Any
        if method is None:
            result_type = protocol._result_types.pop(msg_id, None)
            cls = types.ResponseErrorMessage if "error" in data else result_type or JsonRPCResponseMessage
        else:
            cls = protocol.get_message_type(method)
            expects_id = cls is None or "id" in attrs.fields_dict(cls)
            if cls is None:  # a method outside LSP: params may be left out
                cls = JsonRPCRequestMessage if "id" in data else JsonRPCNotification
                data = {"params": None, **data}
            elif expects_id and "id" not in data:
                return Rejection(INVALID_REQUEST, f"request {method[:80]!r} came without an id", reply=False)
            elif not expects_id and "id" in data:
                return Rejection(INVALID_REQUEST, f"{method[:80]!r} is a notification, not a request", msg_id)
            params, key = data.get("params"), _KEYS.get(method)
            if key is not None and not (isinstance(params, dict) and valid_id(params.get(key))):
                return Rejection(INVALID_PARAMS, f"the {key} in {method!r} must be an integer or a string", reply=False)
        try:
            return protocol._converter.structure(data, cls)
        except Exception as exc:
            reason = f"params of {str(method)[:80]!r} do not match the protocol ({type(exc).__name__})"
            if method is None:
                reason = f"a response does not match the protocol ({type(exc).__name__})"
            return Rejection(INVALID_PARAMS, reason, msg_id, reply=method is not None and "id" in data)


class _PipeReader:
    """Chunks of a pipe (stdin), read by a daemon thread with ``os.read``: a read blocked in it
    never holds up the process's exit (an executor thread is joined at exit), and only a few
    chunks wait in the queue, so a client that floods the pipe is held back by the pipe."""

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self._queue: asyncio.Queue[bytes] | None = None
        if sys.platform == "win32":  # bytes as sent: no CRLF translation below Python's own buffer
            import msvcrt

            msvcrt.setmode(fd, os.O_BINARY)

    async def read(self) -> bytes:
        if self._queue is None:
            self._queue = asyncio.Queue(maxsize=4)
            args = (asyncio.get_running_loop(), self._queue)
            threading.Thread(target=self._pump, args=args, name="coderev-stdin", daemon=True).start()
        return await self._queue.get()

    def _pump(self, loop: asyncio.AbstractEventLoop, queue: asyncio.Queue[bytes]) -> None:
        while True:
            try:
                chunk = os.read(self._fd, CHUNK)
            except OSError:
                chunk = b""
            try:
                asyncio.run_coroutine_threadsafe(queue.put(chunk), loop).result()
            except (RuntimeError, concurrent.futures.CancelledError):  # the loop is gone
                return
            if not chunk:
                return


def start_io(server: JsonRPCServer) -> None:
    """Serve over stdin/stdout until the input ends or ``exit`` (pygls' ``start_io``, but with
    this loop)."""
    server._stop_event = stop = threading.Event()
    server.protocol.set_writer(StdoutWriter(sys.stdout.buffer))
    loop = MessageLoop(server.protocol, stop)
    try:
        asyncio.run(loop.run(_PipeReader(sys.stdin.buffer.fileno()).read))
    except BrokenPipeError:
        logger.error(CoderevError("SYS004", "the client closed the connection").render())
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        server.shutdown()  # type: ignore[no-untyped-call]


def start_tcp(server: JsonRPCServer, host: str, port: int) -> None:
    """Serve one client at a time on ``host:port`` (pygls' ``start_tcp``, but with this loop)."""
    server._stop_event = stop = threading.Event()

    async def connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        server.protocol.set_writer(cast(Any, writer))
        with contextlib.suppress(SystemExit):  # ``exit``: stop listening rather than a stack in the log
            await MessageLoop(server.protocol, stop).run(functools.partial(reader.read, CHUNK))
        server.shutdown()  # type: ignore[no-untyped-call]

    async def listen() -> None:
        listening = await asyncio.start_server(connection, host, port)
        server._server = listening
        async with listening:
            await listening.serve_forever()

    with contextlib.suppress(asyncio.CancelledError):
        asyncio.run(listen())
