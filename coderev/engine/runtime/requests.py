"""How one model request travels: worker future -> (pool) answer processing -> caller's future.

The engine hands the caller a future of its own (``outer``) rather than the worker's, because the
answer still has to be parsed and, for fixes, verified by the analyzers, which takes milliseconds
to tens of milliseconds and must not run on the worker's dispatcher thread (it would delay every
other request) nor on the caller's (the server's event loop). So:

1. the worker's future completes on the dispatcher thread; the callback there only records the
   outcome and submits the processing to a small thread pool;
2. the pool thread runs ``finish(answer, latency)`` and settles ``outer`` with its value;
3. cancelling ``outer`` (the user typed on) cancels the worker's request if it was not sent yet.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable
from concurrent.futures import Executor, Future
from typing import Any, TypeVar

from coderev.analyzers.errors import CoderevError
from coderev.engine.runtime.provider import ModelWorker
from coderev.engine.runtime.tokens import TOKENS
from coderev.engine.runtime.worker import WorkerBusy

log = logging.getLogger("coderev.runtime")
T = TypeVar("T")


def failed(error: CoderevError) -> Future[Any]:
    """An already failed future: what every refusal returns, so callers handle one shape."""
    future: Future[Any] = Future()
    future.set_exception(error)
    return future


def refusal(mode: str, worker_failing: bool, error: tuple[str, str] | None) -> CoderevError:
    """Why a request cannot be served in ``mode``: ``PRV001`` while off, loading or without a
    usable slot (the reason recorded in ``error``), ``PRV005`` while the worker is failing."""
    if mode == "disabled":
        return CoderevError("PRV001", "the model is off (coderev.model.enabled) or the engine stopped")
    if mode == "loading":
        return CoderevError("PRV001", "the model is still loading")
    if worker_failing:
        return CoderevError("PRV005", "the model worker failed; rule findings still work while it restarts")
    return CoderevError("PRV001", error[1] if error else "no usable model slot")


def settle(future: Future[T], value: T | None = None, error: BaseException | None = None) -> None:
    """Resolve ``future`` unless the caller cancelled it meanwhile."""
    if future.done():
        return
    try:
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(value)  # type: ignore[arg-type]
    except Exception:  # concurrent.futures.InvalidStateError: cancelled in between
        log.debug("a model result arrived after its request was cancelled")


def run_request(
    worker: ModelWorker,
    prompts: list[str],
    budget: int,
    *,
    key: str,
    version: int,
    timeout_s: float,
    pool: Executor,
    outer: Future[T],
    finish: Callable[[list[str], float], T],
    on_success: Callable[[], None],
    on_failure: Callable[[BaseException, float], None],
) -> None:
    """Send ``prompts`` (one request, answered together); on the answers call ``on_success()`` and
    settle ``outer`` with ``finish(answers, latency)`` (run in ``pool``); on an error call
    ``on_failure(error, latency)`` and fail ``outer`` with it."""
    start = time.perf_counter()
    inner = worker.submit(prompts, budget, key=key, version=version, timeout_s=timeout_s)
    outer.add_done_callback(lambda f: inner.cancel() if f.cancelled() else None)

    def generated(done: Future[list[str]]) -> None:
        if done.cancelled():
            outer.cancel()
            return
        error = done.exception()
        if error is not None:
            on_failure(error, time.perf_counter() - start)
            settle(outer, error=error)
            return
        on_success()
        answers = done.result()
        TOKENS.add("V2", prompts, answers)  # the engine sends requests to its production slot
        try:
            pool.submit(_finish, outer, finish, answers, start)
        except RuntimeError:  # the pool is shut down: the engine is stopping
            settle(outer, error=CoderevError("PRV005", "the model engine is stopping"))

    inner.add_done_callback(generated)


def _finish(outer: Future[T], finish: Callable[[list[str], float], T], answers: list[str], start: float) -> None:
    try:
        value = finish(answers, time.perf_counter() - start)
    except Exception as exc:
        log.exception("processing a model answer failed", extra={"code": "SYS003"})
        settle(outer, error=CoderevError("SYS003", f"processing the model answer failed: {exc}"))
        return
    settle(outer, value)


def shadow_request(
    worker: ModelWorker,
    prompts: list[str],
    budget: int,
    *,
    key: str,
    version: int,
    timeout_s: float,
    pool: Executor,
    judge: Callable[[list[str]], bool | None],
    record: Callable[[float, bool, bool | None], None],
) -> None:
    """Send the same prompts to the experimental slot: ``record(latency, ok, verified)`` gets the
    outcome (``judge(answers)`` says whether it verified); nobody ever sees the answers themselves.
    Cancelled or shed (queue full) shadow requests are not recorded: they say nothing of the slot."""
    start = time.perf_counter()
    inner = worker.submit(prompts, budget, key=key, version=version, timeout_s=timeout_s)

    def measured(done: Future[list[str]]) -> None:
        if done.cancelled() or isinstance(done.exception(), WorkerBusy):
            return
        if done.exception() is not None:
            record(time.perf_counter() - start, False, None)
            return

        TOKENS.add("V1", prompts, done.result())  # shadow traffic goes to the experimental slot

        def judged() -> None:
            try:
                verdict = judge(done.result())
            except Exception:
                log.exception("judging a shadow answer failed", extra={"code": "SYS003"})
                return
            record(time.perf_counter() - start, True, verdict)

        with contextlib.suppress(RuntimeError):  # the pool is shut down: the engine is stopping
            pool.submit(judged)

    inner.add_done_callback(measured)
