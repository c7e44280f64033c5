"""The parent side of one inference worker process: a bounded queue, batching and timeouts.

Why a process and not a thread: a model that crashes (a CUDA fault, an out-of-memory abort in
native code) or hangs would take the language server down with it; a child process can be killed
and replaced. One :class:`InferenceWorker` owns one child (:mod:`coderev.engine.runtime.child`, reached through
:class:`coderev.engine.runtime.process.ChildProcess`) and a *dispatcher* thread that takes requests from
a bounded queue, packs up to ``max_batch`` of them into one child call and enforces each
request's deadline.

Guarantees for the caller (the engine, itself called from the server's event loop):

* :meth:`InferenceWorker.submit` never blocks: a full queue or a dead worker gives an already
  failed future (``PRV005``) at once;
* a request gets its answers, ``PRV006`` when its deadline passes (counted from submission, so
  queueing time counts), or ``PRV005`` when the child dies or hangs; never nothing;
* a child that does not answer a batch within ``hang_grace_s`` after the batch's last deadline is
  considered hung: it is killed and the worker reports itself dead through ``on_dead``.

Only the dispatcher thread resolves the futures of the batch it sent, so a reply and a timeout
never race on the same future.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from coderev.analyzers.errors import CoderevError
from coderev.engine.runtime.process import ChildProcess, SlotLoadError, WorkerEnvironmentError, worker_command
from coderev.engine.runtime.tokens import Answers

__all__ = ["InferenceWorker", "SlotLoadError", "WorkerBusy", "WorkerEnvironmentError", "WorkerStats"]
_POLL_S = 0.1


@dataclass(eq=False)
class _Request:
    prompts: list[str]
    max_new_tokens: int
    key: str
    version: int
    deadline: float
    future: Future[list[str]] = field(default_factory=Future)


@dataclass(frozen=True, slots=True)
class WorkerStats:
    calls: int  # batches sent to the child
    requests: int  # requests answered (with answers)
    largest_batch: int
    timeouts: int
    rejected: int  # refused because the queue was full


class WorkerBusy(CoderevError):
    """``PRV005`` because the queue is full: load shedding, not a sign that the worker is broken."""

    def __init__(self, detail: str) -> None:
        super().__init__("PRV005", detail)


def _failed(error: CoderevError) -> Future[list[str]]:
    future: Future[list[str]] = Future()
    future.set_exception(error)
    return future


class InferenceWorker:
    """One child process serving one slot. :meth:`start` blocks until the model is loaded, so
    call it off the event loop; everything else a caller uses returns within milliseconds."""

    def __init__(
        self,
        slot_path: Path,
        *,
        slot_id: str = "",
        device: str = "auto",
        compute_type: str = "auto",
        intra_threads: int = 1,
        inter_threads: int = 1,
        queue_size: int = 64,
        max_batch: int = 8,
        timeout_s: float = 3.0,
        batch_wait_s: float = 0.002,
        hang_grace_s: float | None = None,
        verify_hashes: bool = True,
        on_dead: Callable[[str], None] | None = None,
    ) -> None:
        self.slot_path = Path(slot_path)
        self.slot_id = slot_id or self.slot_path.name
        self.timeout_s = timeout_s
        self.max_batch = max(1, max_batch)
        self.batch_wait_s = batch_wait_s
        self.hang_grace_s = hang_grace_s if hang_grace_s is not None else max(5.0, 2 * timeout_s)
        command = worker_command([
            "--slot", str(self.slot_path.absolute()), "--device", device, "--compute-type", compute_type,
            "--intra-threads", str(intra_threads), "--inter-threads", str(inter_threads),
            *([] if verify_hashes else ["--skip-hash-check"]),
        ])
        self._child = ChildProcess(command, self.slot_id, on_dead)
        self._queue: queue.Queue[_Request] = queue.Queue(maxsize=max(1, queue_size))
        self._lock = threading.Lock()  # guards the fields below
        self._unsent: set[_Request] = set()
        self._accepting = False
        self._in_flight = 0
        self._stats = {"calls": 0, "requests": 0, "largest_batch": 0, "timeouts": 0, "rejected": 0}
        self._stop = threading.Event()
        self._dispatcher = threading.Thread(target=self._dispatch, name=f"coderev-worker-{self.slot_id}-dispatcher",
                                            daemon=True)

    # -- life cycle ------------------------------------------------------------------------------

    def start(self, load_timeout_s: float = 60.0) -> dict[str, Any]:
        """Spawn the child and wait for its ``hello`` (device, compute_type, load_s), which it
        returns. Raises :class:`SlotLoadError` (the slot is bad: ``PRV002`` corrupt or unreadable,
        ``PRV008`` prompt format, ``DAT003`` manifest), :class:`WorkerEnvironmentError` (nothing
        can load here: ``PRV001`` runtime or device, ``PRV003`` compute type) or ``PRV001`` (the
        process died or stayed silent)."""
        hello = self._child.start(load_timeout_s)
        self._dispatcher.start()
        with self._lock:
            self._accepting = True
        return hello

    @property
    def hello(self) -> dict[str, Any]:
        return self._child.hello

    @property
    def pid(self) -> int | None:
        return self._child.pid

    @property
    def alive(self) -> bool:
        with self._lock:
            return self._accepting and self._child.dead_reason is None

    @property
    def dead_reason(self) -> str | None:
        return self._child.dead_reason

    def queue_depth(self) -> int:
        return self._queue.qsize()

    def stats(self) -> WorkerStats:
        with self._lock:
            return WorkerStats(**self._stats)

    def drain(self, timeout_s: float) -> bool:
        """Stop taking requests and wait (up to ``timeout_s``) until those accepted are answered.
        Used before closing a worker that is being replaced, so no caller sees a spurious error."""
        with self._lock:
            self._accepting = False
        end = time.monotonic() + timeout_s
        while time.monotonic() < end:
            with self._lock:
                if not self._unsent and self._in_flight == 0:
                    return True
            time.sleep(0.01)
        return False

    def close(self) -> None:
        """Stop the child (terminate, kill after 2 s, reap it), join the threads and fail whatever
        was still queued with ``PRV005``. Idempotent."""
        with self._lock:
            self._accepting = False
        self._stop.set()
        self._child.close()
        if self._dispatcher.is_alive() and self._dispatcher is not threading.current_thread():
            self._dispatcher.join(5.0)
        error = CoderevError("PRV005", f"the model worker for slot {self.slot_id} was stopped")
        while True:
            try:
                request = self._queue.get_nowait()
            except queue.Empty:
                break
            if request.future.set_running_or_notify_cancel():
                request.future.set_exception(error)
        with self._lock:
            self._unsent.clear()

    # -- requests --------------------------------------------------------------------------------

    def submit(self, prompts: Sequence[str], max_new_tokens: int, *, key: str = "", version: int = 0,
               timeout_s: float | None = None) -> Future[list[str]]:
        """Queue ``prompts`` for generation; the future gives one answer per prompt."""
        timeout = self.timeout_s if timeout_s is None else timeout_s
        request = _Request(list(prompts), max(1, int(max_new_tokens)), key, version, time.monotonic() + timeout)
        with self._lock:
            dead = self._child.dead_reason
            if not self._accepting or dead is not None:
                return _failed(CoderevError("PRV005", f"model worker for slot {self.slot_id} unavailable: "
                                                      f"{dead or 'it is not running'}"))
            try:
                self._queue.put_nowait(request)
            except queue.Full:
                self._stats["rejected"] += 1
                return _failed(WorkerBusy(f"model worker busy: {self._queue.maxsize} requests are already "
                                          "waiting; this one was dropped"))
            self._unsent.add(request)
        return request.future

    def cancel_stale(self, key: str, version: int) -> int:
        """Cancel the requests of ``key`` older than ``version`` that were not sent yet (the user
        typed on); returns how many. Requests already in the child run to completion."""
        with self._lock:
            stale = [r for r in self._unsent if r.key == key and r.version < version]
        return sum(1 for r in stale if r.future.cancel())

    def ping(self, timeout_s: float = 1.0) -> bool:
        """Whether the child answers a ping within ``timeout_s`` (it answers after the batch it is
        working on, so a busy-but-healthy child can fail a very short ping)."""
        call = self._child.send({"ping": True})
        if call is None:
            return False
        call.event.wait(timeout_s)
        self._child.forget(call)
        return call.reply is not None and call.reply.get("pong") is True

    # -- the dispatcher thread -------------------------------------------------------------------

    def _dispatch(self) -> None:
        while not self._stop.is_set():
            try:
                first = self._queue.get(timeout=_POLL_S)
            except queue.Empty:
                continue
            batch = [first]
            linger_end = time.monotonic() + self.batch_wait_s
            while len(batch) < self.max_batch:
                try:
                    batch.append(self._queue.get(timeout=max(0.0, linger_end - time.monotonic())))
                except queue.Empty:
                    break
            self._run_batch(batch)

    def _claim(self, batch: list[_Request]) -> list[_Request]:
        """The requests of ``batch`` that are still wanted, marked running (no longer cancellable)."""
        live: list[_Request] = []
        now = time.monotonic()
        with self._lock:
            for request in batch:
                self._unsent.discard(request)
            self._in_flight += len(batch)  # in the same step, so drain() never sees the batch nowhere
        dead = self._child.dead_reason
        for request in batch:
            if not request.future.set_running_or_notify_cancel():
                continue
            if dead is not None:
                request.future.set_exception(CoderevError("PRV005", f"model worker unavailable: {dead}"))
            elif request.deadline <= now:
                self._time_out(request, "while waiting in the queue")
            else:
                live.append(request)
        return live

    def _time_out(self, request: _Request, where: str) -> None:
        with self._lock:
            self._stats["timeouts"] += 1
        request.future.set_exception(CoderevError(
            "PRV006", f"no answer from slot {self.slot_id} within the request's deadline ({where})"))

    def _run_batch(self, batch: list[_Request]) -> None:
        try:
            live = self._claim(batch)
            if live:
                with self._lock:
                    self._stats["calls"] += 1
                    self._stats["largest_batch"] = max(self._stats["largest_batch"], len(live))
                self._await_batch(live)
        finally:
            with self._lock:
                self._in_flight -= len(batch)

    def _await_batch(self, live: list[_Request]) -> None:
        prompts = [p for r in live for p in r.prompts]
        # One budget per child call: the largest asked. Greedy decoding stops at the end token, so
        # a larger budget only lets an answer finish that a smaller one would have cut off.
        call = self._child.send({"prompts": prompts, "max_new_tokens": max(r.max_new_tokens for r in live)})
        pending = list(live)
        hang_at = max(r.deadline for r in live) + self.hang_grace_s
        while call is not None and not call.event.is_set():
            now = time.monotonic()
            for request in [r for r in pending if r.deadline <= now]:
                pending.remove(request)
                self._time_out(request, "the model is still generating")
            if now >= hang_at:
                self._child.mark_dead(f"the model worker did not answer within {self.hang_grace_s:.1f} s after the "
                                "deadline and was killed")
                break
            call.event.wait(min([r.deadline for r in pending] + [hang_at]) - now)
        reply = call.reply if call is not None else None
        self._resolve(live, pending, reply)

    def _resolve(self, live: list[_Request], pending: list[_Request], reply: dict[str, Any] | None) -> None:
        """Settle the ``pending`` requests (those of ``live`` not timed out) from the child's reply."""
        answers = reply.get("answers") if reply is not None else None
        if reply is None or not isinstance(answers, list):
            error = reply.get("error") if reply is not None else None
            if isinstance(error, dict):
                failure = CoderevError("PRV005", f"the model worker failed: {error.get('message', '')}"[:500])
            else:
                failure = CoderevError("PRV005", f"model worker unavailable: {self._child.dead_reason or 'no answer'}")
            for request in pending:
                request.future.set_exception(failure)
            return
        counts = reply.get("tokens")  # per answer; absent from a child that predates it
        if not isinstance(counts, list) or len(counts) != len(answers):
            counts = [0] * len(answers)
        offset = 0
        for request in live:
            end = offset + len(request.prompts)
            if request in pending:
                tokens = sum(c for c in counts[offset:end] if isinstance(c, int))
                request.future.set_result(Answers((str(a) for a in answers[offset:end]), tokens))
            offset = end
        with self._lock:
            self._stats["requests"] += len(pending)
