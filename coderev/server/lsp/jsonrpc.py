"""JSON-RPC messages read defensively from a byte stream: framing that resynchronizes, bodies
that must be UTF-8 JSON objects shaped like a request, a notification or a response.

pygls' own reader (``pygls.io_.run_async``) matches only ``Content-Length: N\\r\\n`` exactly and
skips anything else without a word, so one bad header or a wrong length leaves the server
waiting for a frame that never lines up again; it reads a declared length in one call
(``Content-Length: 1000000000000`` is a MemoryError); and it parses with pygls'
``structure_message`` as ``object_hook``, so a scalar, ``{}`` or 100k nested brackets become
a logged traceback and no reply. Here every bad input becomes a :class:`Rejection` (the error
the client gets back), and the stream is read again from the next ``Content-Length:`` header.

Pure: bytes and plain JSON in, plain data out (no pygls, no LSP types), so it is tested on bytes
as well as through the real server (``tests/lsp/test_jsonrpc_robustness.py``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Final

PARSE_ERROR: Final = -32700
INVALID_REQUEST: Final = -32600
INVALID_PARAMS: Final = -32602
SERVER_NOT_INITIALIZED: Final = -32002

MAX_BODY: Final = 64 * 1024 * 1024  # the largest body read; a 10 MB file opened as text fits easily
MAX_DEPTH: Final = 100  # LSP payloads nest about ten levels; this stops recursion in the converters
CHUNK: Final = 64 * 1024  # bytes asked of the stream at a time, and the step of every discard
MAX_HEADER_LINE: Final = 8 * 1024
MAX_HEADERS: Final = 32

_MARKER = re.compile(rb"content-length:", re.IGNORECASE)
_MARKER_LEN = len(b"content-length:")
_HEADER = re.compile(rb"([A-Za-z0-9!#$%&'*+.^_`|~-]+):(.*)")  # an HTTP-style header (RFC 9110 token)
_DIGITS = re.compile(rb"[0-9]{1,18}")

MsgId = int | str
Read = Callable[[], Awaitable[bytes]]  # the next chunk of the stream; b"" at its end


@dataclass(frozen=True, slots=True)
class Rejection:
    """A message answered with an error instead of being handled. ``reply`` False: only logged
    (a notification gets no reply); ``leftover``: the rest of a frame already answered, logged
    at a lower level as it is no message of its own."""

    code: int
    reason: str
    msg_id: MsgId | None = None
    reply: bool = True
    leftover: bool = False


def valid_id(value: object) -> bool:
    """LSP ids are integers or strings (JSON-RPC's fractional numbers and null are not used)."""
    return isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool))


def _too_deep(value: object, limit: int = MAX_DEPTH) -> bool:
    """Whether ``value`` nests containers deeper than ``limit`` (iteratively: no recursion)."""
    stack: list[tuple[object, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is None:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def check(data: object) -> Rejection | None:
    """Why ``data`` (parsed JSON) is not a JSON-RPC 2.0 request, notification or response, or
    None. A request's error carries its id when the id itself is valid; anything without a
    method is answered with id null, as its id would belong to the server's requests."""
    if not isinstance(data, dict):
        kind = "an array" if isinstance(data, list) else "null" if data is None else type(data).__name__
        return Rejection(INVALID_REQUEST, f"a message must be a JSON object, not {kind}")
    if "method" not in data:
        answers = ("result" in data) + ("error" in data)  # a response holds exactly one of them
        response_id = data.get("id", False)  # null only in an error answering an unreadable request
        if data.get("jsonrpc") != "2.0" or answers != 1 or not (response_id is None or valid_id(response_id)):
            return Rejection(INVALID_REQUEST, "the object is neither a request, a notification nor a response")
        if _too_deep(data.get("result")):
            return Rejection(INVALID_REQUEST, f"the result nests deeper than {MAX_DEPTH} levels")
        return None
    msg_id = data.get("id")
    if "id" in data and not valid_id(msg_id):
        return Rejection(INVALID_REQUEST, "the id of a request must be an integer or a string")
    reply_id = msg_id if valid_id(msg_id) else None
    if data.get("jsonrpc") != "2.0":
        return Rejection(INVALID_REQUEST, 'the message is not JSON-RPC 2.0 ("jsonrpc": "2.0" is missing)', reply_id)
    method, params = data["method"], data.get("params")
    if not isinstance(method, str) or not method:
        return Rejection(INVALID_REQUEST, "the method must be a non-empty string", reply_id)
    if params is not None and not isinstance(params, dict | list):
        return Rejection(INVALID_REQUEST, f"the params of {method[:80]!r} must be an object or an array",
                         reply_id)
    if _too_deep(params):
        return Rejection(INVALID_REQUEST, f"the params of {method[:80]!r} nest deeper than {MAX_DEPTH} levels",
                         reply_id)
    return None


class MessageReader:
    """Messages from a byte stream: each :meth:`next` gives a JSON object that passed
    :func:`check`, a :class:`Rejection`, or None at the end of the stream.

    Framing is lenient where the intent is clear (LF-only line ends, any case of the header
    name, spaces around the value, blank lines between frames) and strict where it is not: a
    frame with a missing, non-numeric or negative length is rejected, and the stream is read
    again from the next ``Content-Length:``; bytes before a header are rejected once per run.
    Memory stays bounded: a body is at most ``max_body`` bytes and a longer one is discarded in
    chunks, up to its declared end or the next header, whichever comes first."""

    def __init__(self, read: Read, max_body: int = MAX_BODY) -> None:
        self._read = read
        self._max_body = max_body
        self._buf = bytearray()
        self._eof = False
        self._skip: int | None = 0  # bytes to discard before the next header (None: up to it)
        self._quiet = False  # the junk that follows a rejected frame belongs to it: no second reply

    # -- the stream ---------------------------------------------------------------------------
    async def _fill(self) -> bool:
        if self._eof:
            return False
        chunk = await self._read()
        if not chunk:
            self._eof = True
            return False
        self._buf += chunk
        return True

    def _take(self, n: int) -> bytes:
        data = bytes(self._buf[:n])
        del self._buf[:n]
        return data

    async def _line(self) -> bytes | None:
        """The next line with its end, cut at MAX_HEADER_LINE (a longer one is junk anyway);
        what is left at the end of the stream; None when nothing is."""
        scanned = 0
        while True:
            end = self._buf.find(b"\n", scanned, MAX_HEADER_LINE)
            if end >= 0:
                return self._take(end + 1)
            if len(self._buf) >= MAX_HEADER_LINE:
                return self._take(MAX_HEADER_LINE)
            scanned = len(self._buf)
            if not await self._fill():
                return self._take(len(self._buf)) if self._buf else None

    async def _exactly(self, n: int) -> bytes | None:
        while len(self._buf) < n:
            if not await self._fill():
                return None
        return self._take(n)

    async def _discard(self, limit: int | None) -> int:
        """Drop bytes up to the next ``Content-Length:`` (kept), at most ``limit``; the count."""
        skipped = 0
        while True:
            remaining = None if limit is None else limit - skipped
            found = _MARKER.search(self._buf)
            if found is not None and (remaining is None or found.start() < remaining):
                del self._buf[: found.start()]
                return skipped + found.start()
            if remaining is not None and len(self._buf) >= remaining:
                del self._buf[:remaining]
                return skipped + remaining
            drop = max(0, len(self._buf) - _MARKER_LEN + 1)  # a header may be cut between chunks
            del self._buf[:drop]
            skipped += drop
            if not await self._fill():
                skipped += len(self._buf)
                self._buf.clear()
                return skipped

    # -- messages -----------------------------------------------------------------------------
    async def next(self) -> dict[str, Any] | Rejection | None:
        if self._skip != 0:
            limit, self._skip = self._skip, 0
            await self._discard(limit)
        while True:
            line = await self._line()
            if line is None:
                return None
            text = line.rstrip(b"\r\n")
            if not text.strip():
                continue  # blank lines between frames
            if line.endswith(b"\n") and _HEADER.fullmatch(text):
                return await self._frame(text)
            found = _MARKER.search(line, 1)
            if found is not None:
                self._buf[:0] = line[found.start():]
                skipped = found.start()
            else:
                skipped = len(line) + await self._discard(None)
            quiet, self._quiet = self._quiet, False
            return Rejection(PARSE_ERROR, f"{skipped} bytes that are not a header were skipped",
                             reply=not quiet, leftover=quiet)

    async def _frame(self, first: bytes) -> dict[str, Any] | Rejection | None:
        self._quiet = False
        lengths: set[bytes] = set()
        text, line, count = first, b"", 0
        while True:
            count += 1
            header = _HEADER.fullmatch(text)
            if header is None or count > MAX_HEADERS:
                self._buf[:0] = line  # it may hold the next frame's header: read it again
                return self._broken("a header block holds a line that is not a header")
            if header.group(1).lower() == b"content-length":
                lengths.add(header.group(2).strip())
            read = await self._line()
            if read is None:
                return None
            line, text = read, read.rstrip(b"\r\n")
            if not line.endswith(b"\n"):
                self._buf[:0] = line
                return self._broken("a header line is too long or cut off")
            if not text.strip():
                break
        if not lengths:
            return self._broken("a frame has no Content-Length header")
        if len(lengths) > 1:
            return self._broken("a frame has two different Content-Length headers")
        (value,) = lengths
        if not value.isdigit():
            return self._broken(f"Content-Length {value[:40].decode('ascii', 'replace')!r} is not a byte count")
        if not _DIGITS.fullmatch(value) or int(value) > self._max_body:
            self._skip = int(value) if _DIGITS.fullmatch(value) else None
            self._quiet = True
            return Rejection(INVALID_REQUEST, f"a frame declares {value[:40].decode()} bytes, more than the "
                                              f"{self._max_body} read; it was discarded")
        body = await self._exactly(int(value))
        return None if body is None else self._message(body)

    def _broken(self, reason: str) -> Rejection:
        """A frame that cannot be read: its body (if any) is skipped up to the next header."""
        self._skip, self._quiet = None, True
        return Rejection(PARSE_ERROR, reason)

    def _message(self, body: bytes) -> dict[str, Any] | Rejection:
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as exc:
            self._quiet = True
            reason = f"a body of {len(body)} bytes is not UTF-8 ({exc.reason} at byte {exc.start})"
            return Rejection(PARSE_ERROR, reason)
        try:
            data = json.loads(text)
        except RecursionError:
            self._quiet = True
            return Rejection(PARSE_ERROR, f"a body of {len(body)} bytes nests too deep to be read as JSON")
        except ValueError as exc:
            self._quiet = True
            self._push_back_tail(text)
            return Rejection(PARSE_ERROR, f"a body of {len(body)} bytes is not JSON ({exc})")
        rejection = check(data)
        return data if rejection is None else rejection

    def _push_back_tail(self, text: str) -> None:
        """A declared length a little too large reads the start of the next frame into the body:
        what follows the first complete JSON value goes back to the stream, to be read as
        headers again (and skipped as junk if it is none)."""
        try:
            _, end = json.JSONDecoder().raw_decode(text)
        except (ValueError, RecursionError):
            return
        tail = text[end:].lstrip(" \t\r\n")
        if tail:
            self._buf[:0] = tail.encode("utf-8")
