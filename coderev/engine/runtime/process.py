"""The pipe to one model child process: spawn it, route its reply lines, notice when it dies.

:class:`ChildProcess` knows the JSON-lines protocol of :mod:`coderev.engine.runtime.child` but nothing of
queues or batching (that is :mod:`coderev.engine.runtime.worker`). It owns two threads: a *reader* that
hands each reply line to the :class:`Call` waiting for it, and a *stderr drain*, because a child
whose stderr pipe fills up would block inside a library's print and look hung.

Death is detected in one place: the reader reaching EOF (the child exited or was killed), or
:meth:`ChildProcess.mark_dead` (the worker decided the child hangs). Either wakes every waiting
call with no reply, reaps the process (no zombie) and reports once through ``on_dead``, unless
the death was asked for by :meth:`ChildProcess.close`.

A child runs no code of the workspace: :func:`worker_command` starts Python in isolated mode
through :mod:`coderev.engine.runtime.boot`, in :data:`WORKER_CWD`, never in the server's working
directory (docs/security.md).

A child that cannot load says whose fault it is (``fault`` in its ``hello``): the slot's own
files (:class:`SlotLoadError`: the slot is quarantined) or the environment it runs in
(:class:`WorkerEnvironmentError`: rules-only, the slot is left alone). A child that dies or stays
silent before its ``hello`` is a plain ``PRV001``, not the slot's fault either.
"""

from __future__ import annotations

import contextlib
import json
import logging
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from coderev.analyzers.errors import CoderevError

log = logging.getLogger("coderev.runtime.worker")
BOOT = Path(__file__).resolve().with_name("boot.py")
# Where a child runs: coderev's own (installed, read-only in most installs) runtime package, never
# the workspace the server was started in.
WORKER_CWD = BOOT.parent


class SlotLoadError(CoderevError):
    """The child reported that the slot itself cannot be loaded (its files are corrupt or
    unreadable as a model, its prompt format unsupported): the slot should be quarantined."""


class WorkerEnvironmentError(CoderevError):
    """The child reported that it cannot load *any* slot here (the runtime does not import, the
    device cannot be used, ...): says nothing about the slot, which must be left alone."""


def import_path(cwd: Path | None = None) -> list[str]:
    """This process's ``sys.path`` for a child: without empty or relative entries (they name the
    working directory) and without the working directory itself."""
    try:
        here = (cwd or Path.cwd()).resolve()
    except OSError:  # the working directory was removed
        here = None
    entries: list[str] = []
    for entry in sys.path:
        if not entry or not Path(entry).is_absolute() or entry in entries:
            continue
        try:
            if here is not None and Path(entry).resolve() == here:
                continue
        except OSError:
            continue
        entries.append(entry)
    return entries


def worker_command(arguments: list[str]) -> list[str]:
    """The command line of a child: isolated Python (``-I``: no working or script directory on
    ``sys.path``, no user site, ``PYTHON*`` ignored; UTF-8 streams) running the boot file by its
    absolute path, which restores this process's import path and runs the child with
    ``arguments``."""
    return [sys.executable, "-I", "-X", "utf8", str(BOOT), json.dumps(import_path()), *arguments]


@dataclass(eq=False)
class Call:
    """One line sent to the child, waiting for the line that answers it (``reply`` stays None
    when the child died first)."""

    id: int
    event: threading.Event = field(default_factory=threading.Event)
    reply: dict[str, Any] | None = None


class ChildProcess:
    """A started child and its reply routing. Thread-safe: any thread may :meth:`send`."""

    def __init__(self, command: list[str], label: str, on_dead: Callable[[str], None] | None = None) -> None:
        self.command = command
        self.label = label
        self._on_dead = on_dead
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._calls: dict[int, Call] = {}
        self._next_id = 0
        self._dead_reason: str | None = None
        self._closing = False
        self._hello_event = threading.Event()
        self._hello_error: CoderevError | None = None
        self.hello: dict[str, Any] = {}
        self._proc: subprocess.Popen[str] | None = None
        self._threads: list[threading.Thread] = []

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    @property
    def dead_reason(self) -> str | None:
        with self._lock:
            return self._dead_reason

    def start(self, load_timeout_s: float) -> dict[str, Any]:
        """Spawn the child and wait for its ``hello``; raises :class:`SlotLoadError` when the child
        says the slot cannot load, :class:`WorkerEnvironmentError` when it says nothing can load
        here, ``PRV001`` when it exits or stays silent (it is gone then)."""
        self._proc = subprocess.Popen(
            self.command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True, encoding="utf-8", bufsize=1, close_fds=True, cwd=WORKER_CWD,
        )
        self._threads = [
            threading.Thread(target=self._read_replies, name=f"coderev-worker-{self.label}-reader", daemon=True),
            threading.Thread(target=self._drain_stderr, name=f"coderev-worker-{self.label}-stderr", daemon=True),
        ]
        for thread in self._threads:
            thread.start()
        if not self._hello_event.wait(load_timeout_s):
            self._hello_error = CoderevError("PRV001", f"the model worker for slot {self.label} did not load "
                                                       f"within {load_timeout_s:.0f} s")
        if self._hello_error is not None:
            self.close()
            raise self._hello_error
        return self.hello

    def send(self, message: dict[str, Any]) -> Call | None:
        """Write one request line; None when the child is dead (then nothing was sent)."""
        proc = self._proc
        with self._lock:
            if self._dead_reason is not None or proc is None or proc.stdin is None:
                return None
            self._next_id += 1
            call = Call(self._next_id)
            self._calls[call.id] = call
        try:
            with self._write_lock:
                proc.stdin.write(json.dumps({"id": call.id, **message}) + "\n")
                proc.stdin.flush()
        except (OSError, ValueError):
            self.mark_dead("cannot write to the model worker (it exited)")
            return None
        return call

    def forget(self, call: Call) -> None:
        """Stop waiting for ``call`` (its reply, if it ever comes, is dropped)."""
        with self._lock:
            self._calls.pop(call.id, None)

    def mark_dead(self, reason: str) -> None:
        """Declare the child dead (killing it if it still runs) and wake every waiting call."""
        with self._lock:
            if self._dead_reason is not None:
                return
            self._dead_reason = reason
            calls = list(self._calls.values())
            self._calls.clear()
            report = not self._closing and self._hello_event.is_set() and self._hello_error is None
        for call in calls:
            call.event.set()
        proc = self._proc
        if proc is not None and proc.poll() is None:
            proc.kill()
        if report:
            log.warning("model worker died: %s", reason, extra={"code": "PRV005", "slot": self.label})
            if self._on_dead is not None:
                self._on_dead(reason)

    def close(self) -> None:
        """Terminate the child (kill after 2 s), reap it, join the threads; idempotent."""
        with self._lock:
            self._closing = True
        proc = self._proc
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(2.0)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        for thread in self._threads:
            if thread is not threading.current_thread():
                thread.join(5.0)
        self.mark_dead("the model worker was stopped")
        if proc is not None:
            for stream in (proc.stdin, proc.stdout, proc.stderr):
                if stream is not None:
                    with contextlib.suppress(OSError):
                        stream.close()

    def _read_replies(self) -> None:
        proc = self._proc
        assert proc is not None and proc.stdout is not None
        for line in proc.stdout:
            try:
                message = json.loads(line)
            except ValueError:
                log.warning("unreadable line from the model worker ignored", extra={"slot": self.label})
                continue
            if not isinstance(message, dict):
                continue
            if "hello" in message:
                self._on_hello(message)
                continue
            call_id = message.get("id")
            with self._lock:
                call = self._calls.pop(call_id, None) if isinstance(call_id, int) else None
            if call is not None:
                call.reply = message
                call.event.set()
        try:
            status = proc.wait(5.0)
        except subprocess.TimeoutExpired:
            proc.kill()
            status = proc.wait()
        if not self._hello_event.is_set():
            self._hello_error = CoderevError("PRV001", f"the model worker for slot {self.label} exited with "
                                                       f"status {status} before loading")
            self._hello_event.set()
        self.mark_dead(f"the model worker process exited with status {status}")

    def _on_hello(self, message: dict[str, Any]) -> None:
        hello, error = message.get("hello"), message.get("error")
        if isinstance(hello, dict):
            self.hello = hello
        else:
            detail = error if isinstance(error, dict) else {}
            text = str(detail.get("message", "the model did not load"))
            # Only the child's explicit word blames the slot; anything else is the environment.
            kind = SlotLoadError if detail.get("fault") == "slot" else WorkerEnvironmentError
            try:
                self._hello_error = kind(str(detail.get("code", "PRV001")), text)
            except ValueError:  # a code this version does not know
                self._hello_error = kind("PRV001", text)
        self._hello_event.set()

    def _drain_stderr(self) -> None:
        proc = self._proc
        assert proc is not None and proc.stderr is not None
        for line in proc.stderr:
            # Library diagnostics only (the child never writes prompts or answers here).
            log.debug("model worker: %s", line.rstrip()[:500], extra={"slot": self.label})
