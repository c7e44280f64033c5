"""JSON-RPC robustness of the real server over stdio: raw bytes in, exact error replies out.

A typed client cannot send broken framing, non-JSON bodies or out-of-order requests, so these
tests start ``python -m coderev.server.lsp`` themselves and write bytes to its stdin (coverage
follows the subprocess through ``patch = ["subprocess"]``). Every case asserts the error reply
(code and id) and that a well-formed request sent afterwards is still answered: a bad message
costs that message, never the connection. Every read has a deadline, so a regression fails
instead of hanging the suite.
"""

from __future__ import annotations

import asyncio
import json
import os
import queue
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from coderev.engine.feedback import FeedbackStore
from coderev.server.lsp.jsonrpc import MessageReader, Rejection

SERVER = [sys.executable, "-m", "coderev.server.lsp"]
ROOT = Path(__file__).resolve().parents[2]
REPLY_TIMEOUT = 10.0  # seconds for one answer; a start-up (imports) fits well within it
PARSE_ERROR, INVALID_REQUEST, INVALID_PARAMS, NOT_INITIALIZED = -32700, -32600, -32602, -32002
FINGERPRINT = "0123456789abcdef0123"  # the shape analysis.py gives: 20 lowercase hex digits


def frame(message: Any, *, length: int | str | None = None, header: bytes | None = None) -> bytes:
    """One frame: ``message`` (bytes as is, anything else as JSON) behind a Content-Length header
    (``length`` overrides the true size; ``header`` replaces the whole header block)."""
    body = message if isinstance(message, bytes) else json.dumps(message).encode()
    if header is None:
        header = f"Content-Length: {len(body) if length is None else length}\r\n\r\n".encode()
    return header + body


def request(msg_id: int | str, method: str, params: Any = None) -> dict[str, Any]:
    message: dict[str, Any] = {"jsonrpc": "2.0", "id": msg_id, "method": method}
    if params is not None:
        message["params"] = params
    return message


class RawServer:
    """The server in a subprocess; a reader thread turns its stdout frames into dicts."""

    def __init__(self, tmp: Path) -> None:
        self.workspace = tmp / "ws"
        self.workspace.mkdir(exist_ok=True)
        self.cache = tmp / "cache"
        self.stderr_path = tmp / "stderr.log"
        env = {**os.environ, "CODEREV_CACHE_DIR": str(self.cache), "PYTHONPATH": str(ROOT)}
        with self.stderr_path.open("wb") as stderr:
            self.proc = subprocess.Popen(SERVER, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr,
                                         env=env, cwd=tmp)
        self._inbox: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self.received: list[dict[str, Any]] = []
        self._ids = iter(range(1, 1_000_000))
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        stdout = self.proc.stdout
        assert stdout is not None
        try:
            while True:
                length = None
                while (line := stdout.readline().strip()) != b"":
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                if length is None:
                    break
                self._inbox.put(json.loads(stdout.read(length)))
        except (OSError, ValueError):
            pass
        self._inbox.put(None)

    def send(self, data: bytes) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def reply(self, msg_id: int | str, timeout: float = REPLY_TIMEOUT) -> dict[str, Any]:
        """The response to ``msg_id``; everything received before it stays in :attr:`received`."""
        while True:
            try:
                message = self._inbox.get(timeout=timeout)
            except queue.Empty:
                raise AssertionError(f"no reply to {msg_id!r} within {timeout}s") from None
            if message is None:
                raise AssertionError(f"the server closed its output before replying to {msg_id!r}")
            self.received.append(message)
            if "method" not in message and message.get("id") == msg_id:
                return message

    def call(self, method: str, params: Any = None) -> dict[str, Any]:
        msg_id = f"call-{next(self._ids)}"
        self.send(frame(request(msg_id, method, params)))
        return self.reply(msg_id)

    def initialize(self) -> dict[str, Any]:
        answer = self.call("initialize", {
            "processId": None, "rootUri": self.workspace.as_uri(), "capabilities": {},
            "workspaceFolders": [{"uri": self.workspace.as_uri(), "name": "ws"}],
            "initializationOptions": {"model.enabled": False},
        })
        self.send(frame({"jsonrpc": "2.0", "method": "initialized", "params": {}}))
        return answer

    def errors_around(self, data: bytes) -> list[tuple[int, Any]]:
        """Send ``data``, then a ping; the (code, id) of the error replies that came before the
        ping's answer, which must be a result."""
        start = len(self.received)
        self.send(data)
        answer = self.call("coderev/status", {})
        assert "result" in answer, answer
        return [(m["error"]["code"], m["id"]) for m in self.received[start:-1] if "error" in m and "method" not in m]

    def close(self) -> int:
        """shutdown + exit when still possible, then the exit code (killed after a deadline)."""
        try:
            if self.proc.poll() is None:
                self.send(frame(request("bye", "shutdown")) + frame({"jsonrpc": "2.0", "method": "exit"}))
        except OSError:
            pass
        try:
            return self.proc.wait(timeout=REPLY_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError("the server did not exit after shutdown and exit") from None
        finally:
            for pipe in (self.proc.stdin, self.proc.stdout):
                if pipe is not None:
                    pipe.close()

    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RawServer]:
    raw = RawServer(tmp_path)
    try:
        yield raw
    finally:
        if raw.proc.poll() is None:
            raw.close()
        assert "Traceback" not in raw.stderr()  # rejections are one log line each, never a stack


@pytest.fixture
def ready(server: RawServer) -> RawServer:
    assert "capabilities" in server.initialize()["result"]
    return server


def _nested(depth: int) -> Any:
    value: Any = []
    for _ in range(depth - 1):
        value = [value]
    return value


HOVER = {"textDocument": {"uri": "file:///nowhere.py"}, "position": {"line": 0, "character": 0}}
DEEP = b"[" * 100_000 + b"]" * 100_000
BODIES: dict[str, tuple[bytes | dict[str, Any], list[tuple[int, Any]]]] = {
    "not-json": (b"this is not json", [(PARSE_ERROR, None)]),
    "truncated-json": (b'{"jsonrpc": "2.0", "id": "t", "meth', [(PARSE_ERROR, None)]),
    "invalid-utf8": (b'{"jsonrpc": "2.0", "id": "u", "method": "\xff\xfe"}', [(PARSE_ERROR, None)]),
    "deep-100k": (b'{"jsonrpc": "2.0", "id": "d", "method": "textDocument/hover", "params": ' + DEEP + b"}",
                  [(PARSE_ERROR, None)]),
    "scalar": (b"42", [(INVALID_REQUEST, None)]),
    "null": (b"null", [(INVALID_REQUEST, None)]),
    "array-of-junk": (b'[1, "two", {}]', [(INVALID_REQUEST, None)]),
    "empty-object": (b"{}", [(INVALID_REQUEST, None)]),
    "id-without-method": ({"jsonrpc": "2.0", "id": "r1"}, [(INVALID_REQUEST, None)]),
    "no-jsonrpc": ({"id": "r2", "method": "coderev/status"}, [(INVALID_REQUEST, "r2")]),
    "wrong-jsonrpc": ({"jsonrpc": "1.0", "id": "r3", "method": "coderev/status"}, [(INVALID_REQUEST, "r3")]),
    "method-not-a-string": ({"jsonrpc": "2.0", "id": 7, "method": 42}, [(INVALID_REQUEST, 7)]),
    "id-not-int-or-string": ({"jsonrpc": "2.0", "id": [1], "method": "coderev/status"}, [(INVALID_REQUEST, None)]),
    "params-a-scalar": ({"jsonrpc": "2.0", "id": "r4", "method": "textDocument/hover", "params": 5},
                        [(INVALID_REQUEST, "r4")]),
    "deep-500": (request("r5", "workspace/executeCommand", {"command": "coderev.accept", "arguments": _nested(500)}),
                 [(INVALID_REQUEST, "r5")]),
    "notification-method-with-id": (request("r6", "textDocument/didClose", {"textDocument": {"uri": "file:///x"}}),
                                    [(INVALID_REQUEST, "r6")]),
}


@pytest.mark.parametrize("name", list(BODIES))
def test_bad_body_gets_an_error_reply_and_the_server_keeps_serving(ready: RawServer, name: str) -> None:
    body, expected = BODIES[name]
    assert ready.errors_around(frame(body)) == expected
    assert ready.stderr().count("SYS004") == 1  # logged once


PING = json.dumps(request("framed", "coderev/status", {})).encode()
FRAMES: dict[str, tuple[bytes, list[tuple[int, Any]]]] = {
    "length-not-a-number": (frame(PING, length="abc"), [(PARSE_ERROR, None)]),
    "length-negative": (frame(PING, length=-5), [(PARSE_ERROR, None)]),
    "length-missing": (frame(PING, header=b"Content-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n"),
                       [(PARSE_ERROR, None)]),
    "length-too-small": (frame(PING, length=len(PING) - 10), [(PARSE_ERROR, None)]),
    "length-a-little-too-large": (frame(PING, length=len(PING) + 10), [(PARSE_ERROR, None)]),
    "length-over-the-cap": (frame(PING, length=64 * 1024 * 1024 + 1), [(INVALID_REQUEST, None)]),
    "length-a-terabyte": (frame(PING, length=1_000_000_000_000), [(INVALID_REQUEST, None)]),
}


@pytest.mark.parametrize("name", list(FRAMES))
def test_broken_framing_is_answered_and_resynchronized(ready: RawServer, name: str) -> None:
    data, expected = FRAMES[name]
    assert ready.errors_around(data) == expected
    assert not [m for m in ready.received if m.get("id") == "framed"]  # a broken frame is never executed
    assert ready.stderr().count("SYS004") == 1  # the rest of a broken frame is no second rejection


def test_junk_between_frames_is_answered_once_and_skipped(ready: RawServer) -> None:
    ready.send(b"garbage\r\nmore garbage " + frame(PING))
    assert "result" in ready.reply("framed")  # the frame after the junk is read as usual
    assert [(m["error"]["code"], m["id"]) for m in ready.received if "error" in m] == [(PARSE_ERROR, None)]
    assert ready.stderr().count("SYS004") == 1


@pytest.mark.parametrize("header", [b"Content-Length: %d\n\n", b"content-length: %d\r\n\r\n",
                                    b"Content-Length:%d  \r\nContent-Type: x\n\r\n"])
def test_lenient_headers_are_read(ready: RawServer, header: bytes) -> None:
    ready.send(frame(PING, header=header % len(PING)))
    assert "result" in ready.reply("framed")
    assert not [m for m in ready.received if "error" in m]
    assert "SYS004" not in ready.stderr()


def test_a_request_outside_lsp_may_leave_its_params_out(ready: RawServer) -> None:
    assert "result" in ready.call("coderev/status")  # JSON-RPC: params "may be omitted"


def test_requests_before_initialize_get_server_not_initialized(server: RawServer) -> None:
    server.send(frame(request("early", "textDocument/hover", HOVER)))
    assert server.reply("early")["error"]["code"] == NOT_INITIALIZED
    server.send(frame(request("early-shutdown", "shutdown")))
    assert server.reply("early-shutdown")["error"]["code"] == NOT_INITIALIZED
    opened = {"textDocument": {"uri": "file:///early.py", "languageId": "python", "version": 1, "text": "x = 1\n"}}
    server.send(frame({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": opened}))  # dropped
    assert "capabilities" in server.initialize()["result"]
    assert not [m for m in server.received if m.get("method") == "textDocument/publishDiagnostics"]
    assert server.stderr().count("SYS004") == 3  # two requests and the notification


def test_exit_before_initialize_still_stops_the_server(server: RawServer) -> None:
    server.send(frame(request("early", "coderev/status", {})))
    assert server.reply("early")["error"]["code"] == NOT_INITIALIZED
    server.send(frame({"jsonrpc": "2.0", "method": "exit"}))
    server.proc.wait(timeout=REPLY_TIMEOUT)


def test_a_request_after_shutdown_gets_invalid_request(ready: RawServer) -> None:
    assert ready.call("shutdown")["result"] is None
    ready.send(frame(request("late", "coderev/status", {})))
    assert ready.reply("late")["error"]["code"] == INVALID_REQUEST  # pygls left it unanswered
    ready.send(frame({"jsonrpc": "2.0", "method": "exit"}))
    assert ready.proc.wait(timeout=REPLY_TIMEOUT) == 0


BAD_FINGERPRINTS: list[Any] = ["not-a-fingerprint", FINGERPRINT.upper(), FINGERPRINT[:-1], FINGERPRINT + "0",
                               "g" * 20, FINGERPRINT + "\n", 12345678901234567890, ["x"]]


@pytest.mark.parametrize("command", ["coderev.accept", "coderev.dismiss"])
def test_malformed_fingerprints_are_rejected_and_never_stored(ready: RawServer, command: str) -> None:
    uri = (ready.workspace / "app.py").as_uri()
    for fingerprint in BAD_FINGERPRINTS:
        payload = {"fingerprint": fingerprint, "ruleId": "python.x", "uri": uri}
        answer = ready.call("workspace/executeCommand", {"command": command, "arguments": [payload]})
        assert answer["error"]["code"] == INVALID_PARAMS, fingerprint
        assert answer["error"]["message"].startswith("SYS004"), answer
    payload = {"fingerprint": FINGERPRINT, "ruleId": "python.x", "uri": uri}
    good = ready.call("workspace/executeCommand", {"command": command, "arguments": [payload]})
    assert "result" in good, good
    assert ready.stderr().count("SYS004") == len(BAD_FINGERPRINTS)  # each rejection logged once
    assert ready.close() == 0
    stored = []
    for database in ready.cache.rglob("cache.db"):
        store = FeedbackStore(database.parent)
        stored += [event.fingerprint for event in store.events()]
        store.close()
    assert stored == [FINGERPRINT]


def _read_in_chunks(data: bytes, size: int, max_body: int) -> list[tuple[Any, Any]]:
    """What :class:`MessageReader` makes of ``data`` arriving ``size`` bytes at a time: ("msg",
    id) per message, (code, replied) per rejection."""
    pieces = iter([data[i:i + size] for i in range(0, len(data), size)])

    async def read() -> bytes:
        return next(pieces, b"")

    async def run() -> list[tuple[Any, Any]]:
        reader, out = MessageReader(read, max_body), []
        while (item := await reader.next()) is not None:
            out.append((item.code, item.reply) if isinstance(item, Rejection) else ("msg", item["id"]))
        return out

    return asyncio.run(run())


@pytest.mark.parametrize("size", [1, 3, 7, 64 * 1024])
def test_the_reader_resynchronizes_wherever_the_chunks_are_cut(size: int) -> None:
    def body(msg_id: int) -> bytes:
        return json.dumps(request(msg_id, "coderev/status", {})).encode()

    stream = b"".join([
        frame(body(1)),
        frame(body(99), length="abc"),  # rejected; its body is skipped up to the next header
        frame(body(2)),
        b"junk\n",  # answered once
        frame(b"x" * 200),  # over the cap of 150: answered, its 200 bytes discarded
        frame(body(3), header=b"Content-Length: %d\n\n" % len(body(3))),
        frame(body(98), length=len(body(98)) - 5),  # too short: answered; its tail is only logged
        frame(body(4)),
        frame(body(97), length=len(body(97)) + 4) + frame(body(5)),  # too long: eats "Cont" of the next
        b"Content-Length: 50\r\n\r\n{",  # cut off by the end of the stream
    ])
    assert _read_in_chunks(stream, size, max_body=150) == [
        ("msg", 1), (PARSE_ERROR, True), ("msg", 2), (PARSE_ERROR, True), (INVALID_REQUEST, True), ("msg", 3),
        (PARSE_ERROR, True), (PARSE_ERROR, False), ("msg", 4), (PARSE_ERROR, True), ("msg", 5),
    ]


def test_every_fingerprint_the_analyzers_give_passes_the_check() -> None:
    """The commands' check and the analyzers' fingerprints must not drift apart."""
    from coderev.analyzers import Analyzer, Document, get_language
    from coderev.analyzers.analysis import is_fingerprint

    text = "import yaml\n\ndef f(s):\n    return yaml.load(s)\n\npassword = 'Zx81!kq9Lm2#Vb7t'\n"
    findings = Analyzer().analyze(Document(text, get_language("python")).snapshot())
    assert findings and all(is_fingerprint(f.fingerprint) for f in findings)


def test_a_cancel_for_an_answered_request_is_silent(ready: RawServer) -> None:
    """Editors cancel requests that were answered a moment ago all the time; pygls logged a
    warning for each (half of the VS Code output channel)."""
    answered = ready.call("coderev/status", {})
    assert "result" in answered
    for msg_id in (answered["id"], "never-sent", 424242):
        ready.send(frame({"jsonrpc": "2.0", "method": "$/cancelRequest", "params": {"id": msg_id}}))
    assert "result" in ready.call("coderev/status", {})  # still serving, nothing answered to the cancels
    assert ready.close() == 0
    log = ready.stderr_path.read_text(errors="replace")
    assert "Cancel notification" not in log and "cancelRequest" not in log, log[-2000:]
