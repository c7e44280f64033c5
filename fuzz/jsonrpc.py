"""Fuzz the language server's JSON-RPC layer over real stdio.

    .venv/bin/python fuzz/jsonrpc.py [--count 2000] [--seed 0] [--batch 25] [--stderr PATH]

Starts ``python -m coderev.server.lsp``, initializes it, then sends ``--count`` generated
messages: random bytes, frames with broken or lying headers, truncated frames, random JSON, and
LSP methods (didOpen, hover, executeCommand...) with garbage or mutated params, mixed with valid
ones. After every batch it checks that the server still answers a request within a few seconds.
A server that exits is a crash, one that does not answer is a hang; either is restarted and the
run goes on. The last line is ``jsonrpc fuzz: N messages, C crashes, H hangs``; the exit code is
non-zero when C or H is.

Why a batch ends with newlines before its check: a frame that declares more bytes than it sends
legitimately makes the server wait for the rest, which would swallow the check. The padding
(blank lines, skipped between frames) completes any such body first.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import queue
import random
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SERVER = [sys.executable, "-m", "coderev.server.lsp"]
CHECK_TIMEOUT = 10.0  # seconds for the check request; analysis of a batch's documents included
OVER_CAP = 64 * 1024 * 1024 + 1  # the server's body limit, plus one
DOC = "import yaml\n\ndef load(stream):\n    return yaml.load(stream)\n"
STRINGS = ["", "x", "\0", "\ud800", "é", "file:///nonexistent/a.py", "untitled:Untitled-1", "not a uri",
           "coderev.accept", "coderev.dismiss", "0123456789abcdef0123", "python", "a" * 1000, "Content-Length: 5"]
NUMBERS: list[Any] = [0, -1, 1, 2**31, 2**63, -(2**70), 0.5, 1e308, -0.0]

Message = dict[str, Any]


class Server:
    """The server in a subprocess: a writer thread (a hung server must not block us on a full
    pipe) and a reader thread that hands every response to :meth:`wait`."""

    def __init__(self, workspace: Path, cache: Path, stderr: Path) -> None:
        env = {**os.environ, "CODEREV_CACHE_DIR": str(cache), "PYTHONPATH": str(ROOT)}
        with stderr.open("ab") as err:
            self.proc = subprocess.Popen(SERVER, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err, env=env)
        self.workspace = workspace
        self._outbox: queue.Queue[bytes | None] = queue.Queue()
        self._answers: queue.Queue[Message | None] = queue.Queue()
        self.errors: Counter[int] = Counter()  # error replies by code, to show what the run reached
        threading.Thread(target=self._write, daemon=True).start()
        threading.Thread(target=self._read, daemon=True).start()

    def _write(self) -> None:
        stdin = self.proc.stdin
        assert stdin is not None
        while (data := self._outbox.get()) is not None:
            try:
                stdin.write(data)
                stdin.flush()
            except OSError:
                return

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
                message = json.loads(stdout.read(length))
                if "method" not in message:
                    self._answers.put(message)
                    if isinstance(message.get("error"), dict):
                        self.errors[message["error"].get("code")] += 1
        except (OSError, ValueError):
            pass
        self._answers.put(None)

    def send(self, data: bytes) -> None:
        self._outbox.put(data)

    def wait(self, msg_id: str, timeout: float = CHECK_TIMEOUT) -> Message | None:
        """The answer to ``msg_id``, or None when none came in time or the output ended."""
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                answer = self._answers.get(timeout=left)
            except queue.Empty:
                return None
            if answer is None:
                return None
            if answer.get("id") == msg_id:
                return answer
        return None

    def initialize(self) -> bool:
        params = {"processId": None, "rootUri": self.workspace.as_uri(), "capabilities": {},
                  "workspaceFolders": [{"uri": self.workspace.as_uri(), "name": "ws"}],
                  "initializationOptions": {"model.enabled": False, "debounceMs": 10}}
        self.send(frame(request("init", "initialize", params)))
        self.send(frame({"jsonrpc": "2.0", "method": "initialized", "params": {}}))
        return self.wait("init", 30.0) is not None

    def stop(self) -> int | None:
        """shutdown + exit; the exit code, or None when it had to be killed."""
        self.send(frame(request("bye", "shutdown")) + frame({"jsonrpc": "2.0", "method": "exit"}))
        self._outbox.put(None)
        try:
            return self.proc.wait(timeout=CHECK_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.kill()
            return None

    def kill(self) -> None:
        self._outbox.put(None)
        with contextlib.suppress(OSError):
            self.proc.kill()
        self.proc.wait()


def frame(message: Any, header: bytes | None = None) -> bytes:
    body = message if isinstance(message, bytes) else json.dumps(message).encode("utf-8", "surrogatepass")
    return (header if header is not None else b"Content-Length: %d\r\n\r\n" % len(body)) + body


def request(msg_id: Any, method: str, params: Any = None) -> Message:
    message: Message = {"jsonrpc": "2.0", "id": msg_id, "method": method}
    if params is not None:
        message["params"] = params
    return message


class Generator:
    """Random messages (as bytes on the wire); ``pending`` is the most bytes a frame of the batch
    may still be waiting for (see the module docstring)."""

    def __init__(self, rng: random.Random, workspace: Path) -> None:
        self.rng = rng
        self.uri = (workspace / "fuzz.py").as_uri()
        self.pending = 0
        self._ids = 0

    def value(self, depth: int = 0) -> Any:
        """Random JSON: scalars of every type, and containers up to four levels."""
        kind = self.rng.randrange(7 if depth < 4 else 4)
        if kind == 0:
            return self.rng.choice([None, True, False])
        if kind == 1:
            return self.rng.choice([*NUMBERS, self.rng.randint(-10**6, 10**6)])
        if kind in (2, 3):
            return self.rng.choice([*STRINGS, "".join(chr(self.rng.randrange(0x30000)) for _ in range(8))])
        if kind in (4, 5):
            return {self.rng.choice(STRINGS[:8]): self.value(depth + 1) for _ in range(self.rng.randrange(4))}
        return [self.value(depth + 1) for _ in range(self.rng.randrange(4))]

    def valid(self) -> tuple[str, Any, bool]:
        """A method with params that fit it, and whether it is a request."""
        doc = {"uri": self.uri}
        opened = {**doc, "languageId": "python", "version": 1, "text": DOC}
        pos = {"line": self.rng.randrange(5), "character": self.rng.randrange(20)}
        span = {"start": pos, "end": pos}
        finding = {"fingerprint": f"{self.rng.randrange(16**20):020x}", "ruleId": "python.x", "uri": self.uri}
        return self.rng.choice([
            ("textDocument/didOpen", {"textDocument": opened}, False),
            ("textDocument/didChange", {"textDocument": {**doc, "version": self.rng.randrange(2, 99)},
                                        "contentChanges": [{"range": span, "text": self.rng.choice(STRINGS)}]}, False),
            ("textDocument/didSave", {"textDocument": doc}, False),
            ("textDocument/didClose", {"textDocument": doc}, False),
            ("textDocument/hover", {"textDocument": doc, "position": pos}, True),
            ("textDocument/codeAction", {"textDocument": doc, "range": span, "context": {"diagnostics": []}}, True),
            ("textDocument/diagnostic", {"textDocument": doc}, True),
            ("workspace/diagnostic", {"previousResultIds": []}, True),
            ("codeAction/resolve", {"title": "fix", "data": finding}, True),
            ("workspace/executeCommand", {"command": self.rng.choice(["coderev.accept", "coderev.dismiss"]),
                                          "arguments": [finding]}, True),
            ("workspace/executeCommand", {"command": "coderev.resetLearning", "arguments": []}, True),
            ("workspace/didChangeWatchedFiles", {"changes": [{"uri": self.uri, "type": 2}]}, False),
            ("$/cancelRequest", {"id": self.rng.randrange(9)}, False),
            ("$/setTrace", {"value": self.rng.choice(["off", "messages", "verbose"])}, False),
            ("window/workDoneProgress/cancel", {"token": self.rng.choice(["t", 1])}, False),
            ("workspace/didChangeConfiguration", {"settings": {"coderev": {"debounceMs": 10}}}, False),
            ("coderev/status", None, True),
            ("fuzz/unknown", self.value(), self.rng.random() < 0.5),
        ])

    def mutate(self, value: Any) -> Any:
        """``value`` with one part replaced by random JSON, dropped, or wrapped."""
        if not isinstance(value, dict | list) or not value or self.rng.random() < 0.3:
            return self.value()
        copy: Any = dict(value) if isinstance(value, dict) else list(value)
        key = self.rng.choice(list(copy)) if isinstance(copy, dict) else self.rng.randrange(len(copy))
        roll = self.rng.random()
        if roll < 0.2 and isinstance(copy, dict):
            del copy[key]
        elif roll < 0.3:
            copy[key] = [copy[key]]
        else:
            copy[key] = self.mutate(copy[key])
        return copy

    def body(self) -> bytes:
        roll = self.rng.random()
        self._ids += 1
        if roll < 0.15:
            return bytes(self.rng.randrange(256) for _ in range(self.rng.randrange(64)))
        if roll < 0.25:
            return json.dumps(self.value()).encode()
        if roll < 0.3:
            depth = self.rng.choice([150, 5000, 100_000])
            return b'{"jsonrpc":"2.0","id":%d,"method":"textDocument/hover","params":%s%s}' % (
                self._ids, b"[" * depth, b"]" * depth)
        method, params, is_request = self.valid()
        if roll < 0.75:
            params = self.mutate(params)
        message: Message = {"jsonrpc": "2.0", "method": method}
        if params is not None:
            message["params"] = params
        if is_request or self.rng.random() < 0.05:
            message["id"] = self._ids if self.rng.random() < 0.9 else self.value()
        if self.rng.random() < 0.05:
            message[self.rng.choice(["jsonrpc", "method", "id"])] = self.value()
        return json.dumps(message).encode("utf-8", "surrogatepass")

    def wire(self) -> bytes:
        """One message on the wire: mostly well framed, else with any of the framing faults."""
        body = self.body()
        size = len(body)
        faults: list[tuple[float, Callable[[], bytes]]] = [
            (0.55, lambda: frame(body)),
            (0.05, lambda: frame(body, b"Content-Length: %d\n\n" % size)),
            (0.04, lambda: frame(body, b"content-length:%d \r\nContent-Type: x\r\n\r\n" % size)),
            (0.08, lambda: self._declared(body, max(0, size + self.rng.randint(-64, 64)))),
            (0.05, lambda: frame(body, b"Content-Length: %s\r\n\r\n" % self.rng.choice(
                [b"abc", b"-5", b"", b"1e3", b" 1 2", b"9" * 40]))),
            (0.04, lambda: self._declared(body, self.rng.choice([OVER_CAP, 2**40]))),
            (0.04, lambda: frame(body, b"Content-Type: application/vscode-jsonrpc\r\n\r\n")),
            (0.05, lambda: body),
            (0.05, lambda: frame(body)[: self.rng.randrange(size + 20)]),
            (0.05, lambda: bytes(self.rng.randrange(256) for _ in range(self.rng.randrange(128)))),
        ]
        roll = self.rng.random()
        for weight, make in faults:
            if roll < weight:
                data = make()
                break
            roll -= weight
        else:
            data = frame(body)
        self.pending = max(self.pending, size + 64)  # a truncated or overlong frame waits for at most this
        return data

    def _declared(self, body: bytes, length: int) -> bytes:
        return frame(body, b"Content-Length: %d\r\n\r\n" % length)


def main() -> int:
    parser = argparse.ArgumentParser(description="Fuzz the language server's JSON-RPC layer over stdio.")
    parser.add_argument("--count", type=int, default=2000, help="messages to send (default 2000)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--batch", type=int, default=25, help="messages between two liveness checks")
    parser.add_argument("--stderr", type=Path, help="keep the server's stderr in this file")
    args = parser.parse_args()
    rng = random.Random(args.seed)  # reproducible input, not cryptography
    crashes = hangs = sent = 0
    errors: Counter[int] = Counter()
    with tempfile.TemporaryDirectory(prefix="coderev-fuzz-") as tmp:
        base = Path(tmp)
        (base / "ws").mkdir()
        stderr = args.stderr or base / "stderr.log"
        stderr.unlink(missing_ok=True)
        generator = Generator(rng, base / "ws")

        def start() -> Server:
            server = Server(base / "ws", base / "cache", stderr)
            if not server.initialize():
                server.kill()
                raise SystemExit(f"jsonrpc fuzz: the server did not initialize\n{stderr.read_text()[-2000:]}")
            return server

        server = start()
        check = 0
        while sent < args.count:
            generator.pending = 0
            for _ in range(min(args.batch, args.count - sent)):
                server.send(generator.wire())
                sent += 1
            check += 1
            server.send(b"\n" * generator.pending + frame(request(f"check-{check}", "coderev/status", {})))
            if server.wait(f"check-{check}") is not None:
                continue
            if server.proc.poll() is not None:
                crashes += 1
                print(f"crash after message {sent} (exit code {server.proc.returncode}, seed {args.seed})")
            else:
                hangs += 1
                print(f"hang after message {sent} (no answer in {CHECK_TIMEOUT}s, seed {args.seed})")
            errors += server.errors
            server.kill()
            server = start()
        code = server.stop()
        errors += server.errors
        if code is None:
            hangs += 1
            print("hang: the server did not exit after shutdown and exit")
        log = stderr.read_text(errors="replace")
        if "Traceback" in log:
            print(f"the server logged {log.count('Traceback')} traceback(s); the first:")
            print(log[log.index("Traceback"):][:3000])
    print("error replies by code:", ", ".join(f"{code}: {n}" for code, n in sorted(errors.items())))
    print(f"jsonrpc fuzz: {sent} messages, {crashes} crashes, {hangs} hangs")
    return 1 if crashes or hangs else 0


if __name__ == "__main__":
    sys.exit(main())
