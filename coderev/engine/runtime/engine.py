"""The model engine: which slot serves, how requests reach it, and what happens when it fails.

The language server holds one :class:`ModelEngine`. Every public method returns within
milliseconds on the caller's thread (the event loop): model work runs in worker processes
(:mod:`coderev.engine.runtime.worker`), fix verification in a small thread pool, and everything
slow (loading slots, restarting workers, promotions, health checks) in one *lifecycle* thread.

Failure handling, in order of severity (details in docs/slo.md): one request times out or errors
(``PRV006``/``PRV005``, counted by the circuit breaker; a full queue is load shedding, not counted);
the breaker opens (requests fail at once with ``PRV005``, mode ``fallback``, until the backoff
ends and a fresh worker answers a ping); a slot whose own files cannot be loaded is quarantined
(``PRV004``) and the next good one tried, while a worker that cannot run here at all (runtime,
device) leaves the slot alone (rules-only, ``PRV001``). ``status()`` never sees half a change: the
slot manager shares the state lock and publishes new workers with their error (``_publish``).

Each request's latency and outcome go to the SLO monitor and the (pure) promotion policy; the
lifecycle thread carries decisions out, and an operator's ``transition`` (promote, demote) the
same way. Slot bookkeeping: :mod:`coderev.engine.runtime.serving`; listeners: ``notify``.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

from coderev.analyzers.analysis import Analyzer
from coderev.analyzers.errors import CoderevError
from coderev.analyzers.finding import Finding
from coderev.analyzers.paramstyle import ParamStyle
from coderev.engine.model.prompt import ReviewItem
from coderev.engine.model.slot import REVIEW_TOKENS, FixRequest, finish_fix, finish_review, prepare_fix, prepare_review
from coderev.engine.runtime.api import AiFix, EngineConfig, EngineStatus, Mode, StoreLike
from coderev.engine.runtime.breaker import CircuitBreaker
from coderev.engine.runtime.notify import Listener, StatusNotifier
from coderev.engine.runtime.policy import Action, Decision, decide
from coderev.engine.runtime.requests import failed, refusal, run_request, settle, shadow_request
from coderev.engine.runtime.serving import ErrorInfo, Serving, SlotManager, describe
from coderev.engine.runtime.slo import SloMonitor
from coderev.engine.runtime.worker import WorkerBusy

log = logging.getLogger("coderev.runtime")
T = TypeVar("T")


class ModelEngine:
    """Serves fixes and reviews from the production slot, shadows the experimental one, heals itself."""

    def __init__(self, config: EngineConfig | None = None, analyzer: Analyzer | None = None, *,
                 store: StoreLike | None = None) -> None:
        self.config = config or EngineConfig()
        self._analyzer = analyzer
        self.monitor = SloMonitor(self.config.slo)
        self.breaker = CircuitBreaker(self.config.breaker_threshold, self.config.breaker_base_backoff_s,
                                      self.config.breaker_max_backoff_s)
        self._lock = threading.RLock()  # the state below, and the slot manager's workers
        self._slots = SlotManager(self.config, store, on_dead=self._on_worker_dead, lock=self._lock)
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="coderev-verify")
        self._notifier = StatusNotifier(self.status, self._lock)
        self._error: tuple[str, str] | None = None
        self._loaded = False
        self._started = False
        self._stopped = False
        self._decision: Decision | None = None
        self._requested: list[tuple[Decision, Future[Any]]] = []  # an operator's transitions
        self._epoch = 0  # bumped by every slot transition
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._random = random.Random()  # noqa: S311 -- sampling, not security

    # -- life cycle ------------------------------------------------------------------------------

    def start(self) -> None:
        """Begin loading in the background; returns at once (status mode ``loading``)."""
        with self._lock:
            if self._started or self._stopped or not self.config.enabled:
                return
            self._started = True
            self._thread = threading.Thread(target=self._lifecycle, name="coderev-model-lifecycle", daemon=True)
            self._thread.start()
        self._notifier.changed()

    def stop(self) -> None:
        """Stop the lifecycle thread and every worker process, fail what is pending; idempotent."""
        with self._lock:
            if self._stopped:
                return
            self._stopped = True
        self._wake.set()
        if self._thread is not None:
            self._thread.join()
        self._slots.close_all()
        self._pool.shutdown(wait=True)
        for _, done in self._requested:  # none is added once stopped
            settle(done, error=CoderevError("PRV001", "the model engine stopped"))
        self._notifier.changed()

    def add_listener(self, callback: Listener) -> None:
        """``callback(status)`` on every change of mode, slot, device, breaker or error (any thread; quick)."""
        self._notifier.add(callback)

    def status(self) -> EngineStatus:
        with self._lock:  # one consistent view: slots, error, mode and breaker change together
            production, experimental = self._slots.production, self._slots.experimental
            error = self._error
            mode = self._mode()
            breaker = self.breaker.state
        if mode == "fallback" and breaker != "closed" and production is not None:
            error = error or ("PRV005", "the model worker failed; retrying with backoff")
        return describe(mode, production, experimental, breaker=breaker, error=error, monitor=self.monitor)

    def record_feedback(self, slot_id: str, accepted: bool) -> None:
        """The user accepted or dismissed a fix made by ``slot_id``."""
        self.monitor.record_feedback(slot_id, accepted)
        self._consider_policy()

    def transition(self, action: Action, reason: str) -> Future[Any]:
        """Promote V1 or demote V2 now (an operator's request), as the lifecycle thread carries out a policy
        decision; the future gets the store's ``Transition`` once the workers follow, or its error."""
        done: Future[Any] = Future()
        with self._lock:
            if not self._started or self._stopped:
                return failed(CoderevError("PRV001", "the model engine is not running"))
            self._requested.append((Decision(action, reason), done))
        self._wake.set()
        return done

    def cancel_stale(self, key: str, version: int) -> int:
        """Cancel not-yet-sent requests for ``key`` older than ``version`` (returns how many)."""
        return self._slots.cancel_stale(key, version)

    def generate(self, prompts: list[str], max_new_tokens: int) -> Future[list[str]]:
        """The production slot's answers as they come (the OpenAI-compatible routes: the asker checks them)."""
        serving, why = self._route()
        return serving.worker.submit(prompts, max_new_tokens) if serving else failed(why or CoderevError("PRV001", ""))

    # -- requests --------------------------------------------------------------------------------

    def fix(self, source: str, finding: Finding, *, key: str, version: int, style: ParamStyle | None = None
            ) -> Future[AiFix | None]:
        """A verified model fix for ``finding`` in ``source`` (a function or a file, whose file's driver has
        ``style``), None when the answer did not pass the checks; fails with ``PRV001``/``PRV005``/``PRV006``."""
        serving, refusal = self._route()
        if serving is None:
            return failed(refusal or CoderevError("PRV001", "no model slot is serving"))
        try:
            request = prepare_fix(source, finding, style)
            budget = serving.fix_budget(request.prompt)
        except Exception as exc:  # a request the model code cannot prepare must not reach the caller raw
            log.exception("preparing a model fix failed", extra={"code": "SYS003"})
            return failed(CoderevError("SYS003", f"cannot prepare a model fix: {exc}"))
        outer: Future[AiFix | None] = Future()
        self._generate(serving, [request.prompt], budget, outer, key=key, version=version,
                       finish=lambda answers, latency: self._finish_fix(serving, request, answers[0], latency))
        shadow = self._shadow_target()
        if shadow is not None:
            self._shadow(shadow, [request.prompt], shadow.fix_budget(request.prompt), key=key, version=version,
                         judge=lambda a: finish_fix(request, a[0], self._get_analyzer()).verification.verified)
        return outer

    def review(self, function: str, *, language: str = "python", key: str, version: int
               ) -> Future[list[ReviewItem] | None]:
        """Findings the model sees in ``function`` (lines 1-based within it), None when its answer
        does not follow the format. ``language`` is the function's language id."""
        serving, refusal = self._route()
        if serving is None:
            return failed(refusal or CoderevError("PRV001", "no model slot is serving"))
        request = prepare_review(function, language, serving.review_windows)
        outer: Future[list[ReviewItem] | None] = Future()

        def parse(answers: list[str], latency: float) -> list[ReviewItem] | None:
            self._record(serving.slot.id, latency, True, None)
            return finish_review(request, answers)

        self._generate(serving, request.prompts, REVIEW_TOKENS, outer, key=key, version=version, finish=parse)
        shadow = self._shadow_target()
        if shadow is not None:
            self._shadow(shadow, prepare_review(function, language, shadow.review_windows).prompts, REVIEW_TOKENS,
                         key=key, version=version, judge=lambda answers: None)
        return outer

    def _route(self) -> tuple[Serving | None, CoderevError | None]:
        with self._lock:
            mode, production = self._mode(), self._slots.production
            error = self._error
        if mode == "ready" and production is not None:
            return production, None
        return None, refusal(mode, production is not None or self.breaker.state != "closed", error)

    def _generate(self, serving: Serving, prompts: list[str], budget: int, outer: Future[T], *, key: str,
                  version: int, finish: Callable[[list[str], float], T]) -> None:
        def on_success() -> None:
            late = serving is self._slots.production and self.breaker.state != "closed"
            self.breaker.record_success()
            if late:  # a late answer: the worker works after all
                self._set_error(None)

        run_request(serving.worker, prompts, budget, key=key, version=version, timeout_s=self.config.timeout_s,
                    pool=self._pool, outer=outer, finish=finish, on_success=on_success,
                    on_failure=lambda error, latency: self._request_failed(serving, latency, error))

    def _finish_fix(self, serving: Serving, request: FixRequest, answer: str, latency: float) -> AiFix | None:
        result = finish_fix(request, answer, self._get_analyzer())
        fixed, replacement, checks = result.fixed_source, result.replacement, result.verification
        ok = checks.verified and fixed is not None and replacement is not None
        self._record(serving.slot.id, latency, True, ok)
        if not ok or fixed is None or replacement is None:
            return None
        return AiFix(fixed, replacement, request.rows, serving.slot.id, serving.version, max(latency, 0.0),
                     checks.checked)

    def _request_failed(self, serving: Serving, latency: float, error: BaseException) -> None:
        if isinstance(error, WorkerBusy):
            return  # load shedding: neither a worker failure nor a served request
        self._record(serving.slot.id, latency, False, None)
        if serving is self._slots.production and self.breaker.record_failure(str(error)[:200]):
            code = error.code if isinstance(error, CoderevError) else "PRV005"
            self._set_error("PRV005", f"the circuit breaker opened after repeated failures (last: {code})")
            self._wake.set()

    def _shadow_target(self) -> Serving | None:
        experimental = self._slots.experimental
        return experimental if experimental and self._random.random() < self.config.shadow_sample else None

    def _shadow(self, serving: Serving, prompts: list[str], budget: int, *, key: str, version: int,
                judge: Callable[[list[str]], bool | None]) -> None:
        shadow_request(serving.worker, prompts, budget, key=key, version=version, timeout_s=self.config.timeout_s,
                       pool=self._pool, judge=judge,
                       record=lambda latency, ok, verified: self._record(serving.slot.id, latency, ok, verified))

    # -- SLO and policy --------------------------------------------------------------------------

    def _record(self, slot_id: str, latency: float, ok: bool, verified: bool | None) -> None:
        self.monitor.record_request(slot_id, max(0.0, latency), ok, verified)
        self._consider_policy()

    def _consider_policy(self) -> None:
        """Ask the policy; a decision is carried out by the lifecycle thread. A decision computed
        from figures older than the last transition (the ``epoch``) is dropped: it judged slots
        that have since changed roles."""
        with self._lock:
            epoch = self._epoch
        production, experimental = self._slots.production, self._slots.experimental
        if production is None and experimental is None:
            return
        decision = decide(self.monitor.stats(production.slot.id) if production else None,
                          self.monitor.stats(experimental.slot.id) if experimental else None, self.config.slo)
        if decision is not None:
            with self._lock:
                if self._decision is None and epoch == self._epoch:
                    self._decision = decision
            self._wake.set()

    # -- state -----------------------------------------------------------------------------------

    def _mode(self) -> Mode:
        if self._stopped or not self.config.enabled:
            return "disabled"
        if not self._loaded:
            return "loading"
        if self._slots.production is None or self.breaker.state != "closed":
            return "fallback"
        return "ready"

    def _set_error(self, code: str | None, message: str = "") -> None:
        with self._lock:
            self._error = (code, message) if code else None
        self._notifier.changed()

    def _get_analyzer(self) -> Analyzer:
        with self._lock:
            if self._analyzer is not None:
                return self._analyzer
        # Seconds (every rule is compiled): outside the state lock, which status() takes on the event loop.
        analyzer = Analyzer()
        with self._lock:
            self._analyzer = self._analyzer or analyzer
            return self._analyzer

    def _on_worker_dead(self, serving: Serving, reason: str) -> None:
        """Called from a worker's reader thread when its child process died or hung."""
        if serving is self._slots.production:
            self.breaker.trip(reason)
            self._set_error("PRV005", f"the model worker of slot {serving.slot.id} stopped: {reason}")
        self._wake.set()

    # -- the lifecycle thread ----------------------------------------------------------------------

    def _lifecycle(self) -> None:
        try:
            self._get_analyzer()
            self._slots.open_store()
            self._reconcile()
        except Exception as exc:
            code = exc.code if isinstance(exc, CoderevError) else "SYS003"
            log.exception("the model engine could not load a slot", extra={"code": code})
            self._set_error(code, f"rules-only mode: {exc}")
        with self._lock:
            self._loaded = True
        self._notifier.changed()
        next_ping = time.monotonic() + self.config.health_interval_s
        while not self._stopped:
            retry_at = self.breaker.retry_at()  # wake when the backoff ends, not at the next ping
            wake_at = next_ping if retry_at is None else min(next_ping, retry_at)
            self._wake.wait(max(0.0, wake_at - time.monotonic()))
            self._wake.clear()
            if self._stopped:
                break
            try:
                self._tick(time.monotonic() >= next_ping)
            except Exception:  # the lifecycle thread must survive anything to keep recovering
                log.exception("model engine health check failed", extra={"code": "SYS003"})
            if time.monotonic() >= next_ping:
                next_ping = time.monotonic() + self.config.health_interval_s

    def _tick(self, ping_due: bool) -> None:
        with self._lock:
            decision, self._decision = self._decision, None
            requested = self._requested.pop(0) if self._requested else None
            if self._requested:
                self._wake.set()  # one per tick: a failure cannot strand the others
        if requested is not None:
            self._apply(*requested)
        elif decision is not None:  # (after an operator's move it judged slots that have since moved)
            self._apply(decision)
        if self.breaker.try_half_open():
            self._notifier.changed()
            self._recover()
        elif ping_due:
            self._health_check()
        self._notifier.changed()

    def _apply(self, decision: Decision, done: Future[Any] | None = None) -> None:
        production, experimental = self._slots.production, self._slots.experimental
        transition, error = None, None
        try:
            transition = self._slots.transition(decision.action, decision.reason)
            log.warning("model slot %s: %s", decision.action, decision.reason,
                        extra={"transition": str(transition), "action": decision.action})
        except CoderevError as exc:  # e.g. V1 failed its hash check and was quarantined instead
            log.warning("model slot %s refused: %s", decision.action, exc.detail, extra={"code": exc.code})
            error = exc
        try:
            if error is not None and error.code == "SYS002":
                return  # nothing to move: nothing moved
            with self._lock:
                self._epoch += 1
                self._decision = None
            for serving in filter(None, (production, experimental)):
                self.monitor.reset(serving.slot.id)
            self.breaker.record_success()
            self._reconcile()
        finally:  # the store has moved (or refused) whatever the workers did
            if done is not None:
                settle(done, transition, error)

    def _recover(self) -> None:
        """Half-open: a fresh worker for the production slot, and a ping. Closes or reopens."""
        log.info("model engine: trying to recover the production worker")
        _, message = self._slots.restart_production(  # no worker: decided now; a new one is judged by its ping
            lambda production, error: None if production is not None else self._publish(error, recovering=True))
        production = self._slots.production  # not None: no error; the tick tells the listeners
        if production is not None and production.worker.ping(max(1.0, self.config.timeout_s)):
            self.breaker.record_success()
            self._set_error(None)
            log.info("model engine recovered", extra={"slot": production.slot.id})
        elif production is not None:
            self.breaker.record_failure("recovery failed")
            self._set_error("PRV005", f"recovery failed ({message or 'no answer to ping'}); retrying with backoff")

    def _reconcile(self) -> None:
        self._slots.reconcile(publish=lambda production, error: self._publish(error, recovering=False))
        self._notifier.changed()

    def _publish(self, error: ErrorInfo, *, recovering: bool) -> None:
        """Set the error and the breaker for a reconcile's outcome. Called by the slot manager with
        the state lock held, in the same step as it puts the workers in place."""
        code, message = error
        if recovering and self._slots.needs_retry:
            self.breaker.record_failure("recovery failed")
            code, message = "PRV005", f"recovery failed ({message}); retrying with backoff"
        elif recovering:
            self.breaker.record_success()  # nothing left to retry: rules-only, not a broken worker
        elif self._slots.needs_retry:
            self.breaker.trip(message)
        self._error = (code, message) if code else None

    def _health_check(self) -> None:
        production = self._slots.production
        if production is not None and self.breaker.allows_requests() \
                and not production.worker.ping(max(1.0, self.config.timeout_s)):
            if not production.worker.alive:
                self.breaker.trip("the model worker died")
            elif self.breaker.record_failure("health ping failed"):
                self._set_error("PRV005", "the model worker does not answer health checks")
        self._slots.revive_experimental()
