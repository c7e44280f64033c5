"""Which slots have a running worker: the production slot (V2) and the experimental one (V1).

:class:`SlotManager` turns the slot store's view ("this slot should serve") into running
:class:`~coderev.engine.runtime.worker.InferenceWorker` processes. It is used only from the engine's
lifecycle thread (plus quick reads of the current workers from request threads), so starting a
child, which takes a while, never happens on the server's event loop.

Decisions it makes, and why:

* a slot whose child reports that the slot's own files are at fault (corrupt or unreadable as a
  model, unsupported prompt format, unreadable manifest) is quarantined with a ``PRV004`` reason
  and the next one the store offers is tried, so one bad install cannot keep the model off;
* a child that reports that it cannot run here at all (the runtime does not import, the device or
  compute type cannot be used) says nothing about the slot: the slot stays where it is, and the
  session is rules-only (``PRV001``/``PRV003`` with the child's reason), without retries, since
  the next try would fail the same way;
* a child that dies or stays silent while loading is *not* the slot's fault either (out of
  memory, a busy machine): the slot stays, :attr:`SlotManager.needs_retry` is set and the engine
  retries it with the circuit breaker's backoff;
* with no production slot, the error says why: the store's last move out of V2 (a quarantine is
  ``PRV004`` with its cause, e.g. the hash check's ``PRV002``), not a bare "no usable slot";
* the new workers and the error that goes with them are published in one step, under the lock
  the engine's ``status()`` reads with (``publish``), so nobody sees one without the other;
* a worker that is replaced (promotion, demotion, restart) is drained before it is closed, in a
  short background thread, so requests already accepted still get their answers.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sentencepiece as spm

from coderev.analyzers.errors import CoderevError
from coderev.engine.model.slot import TOKENIZER, fix_budget
from coderev.engine.runtime.api import EngineConfig, EngineStatus, Mode, SlotLike, StoreLike
from coderev.engine.runtime.provider import ModelWorker, start_worker
from coderev.engine.runtime.slo import SloMonitor
from coderev.engine.runtime.worker import SlotLoadError, WorkerEnvironmentError

log = logging.getLogger("coderev.runtime")
ErrorInfo = tuple[str | None, str]
NO_ERROR: ErrorInfo = (None, "")
NO_SLOT: ErrorInfo = ("PRV001", "no usable model slot is installed; rules-only mode")


@dataclass(eq=False)
class Serving:
    """A slot with its running worker and its tokenizer (to size answer budgets in the parent)."""

    slot: SlotLike
    worker: ModelWorker
    tokenizer: Any = None
    name: str = ""
    version: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    # the manifest's ``review_windows`` (:func:`coderev.engine.model.slot.prepare_review`)
    review_windows: str = "function"

    def fix_budget(self, prompt: str) -> int:
        """Tokens a FIX answer may take: the same budget ``ModelSlot.fix`` gives, counted with this
        slot's tokenizer, so an answer through the worker equals one generated in-process."""
        return fix_budget(len(self.tokenizer.encode(prompt)))


def describe(mode: Mode, production: Serving | None, experimental: Serving | None, *, breaker: str,
             error: tuple[str, str] | None, monitor: SloMonitor) -> EngineStatus:
    """The engine's status from one consistent read of its state."""
    ids = [s.slot.id for s in (production, experimental) if s is not None]
    return EngineStatus(
        mode=mode,
        production_id=production.slot.id if production else None,
        production_version=production.version if production else None,
        production_name=production.name if production else None,
        experimental_id=experimental.slot.id if experimental else None,
        device=production.worker.hello.get("device") if production else None,
        compute_type=production.worker.hello.get("compute_type") if production else None,
        breaker=breaker,
        error_code=error[0] if error else None,
        error_message=error[1] if error else None,
        queue_depth=production.worker.queue_depth() if production else 0,
        slo={slot_id: monitor.stats(slot_id) for slot_id in ids},
        languages=tuple(str(x) for x in production.slot.manifest.get("languages", ())) if production else (),
        worker_pid=production.worker.pid if production else None,
    )


class SlotManager:
    """Starts, reuses, swaps and stops the workers of the production and experimental slots."""

    def __init__(self, config: EngineConfig, store: StoreLike | None,
                 on_dead: Callable[[Serving, str], None], lock: threading.RLock | None = None) -> None:
        self.config = config
        self._store = store
        self._on_dead = on_dead
        self._lock = lock or threading.RLock()  # the engine passes its state lock (see ``publish``)
        self._production: Serving | None = None
        self._experimental: Serving | None = None
        self._retiring: list[threading.Thread] = []
        self._closed = False
        self.needs_retry = False

    @property
    def production(self) -> Serving | None:
        with self._lock:
            return self._production

    @property
    def experimental(self) -> Serving | None:
        with self._lock:
            return self._experimental

    @property
    def store(self) -> StoreLike:
        if self._store is None:
            raise CoderevError("SYS003", "the slot store was used before it was opened")
        return self._store

    def open_store(self) -> None:
        """Open the store (default: the user's data dir or ``store_path``) and install the packaged
        slot on first use."""
        if self._store is None:
            from coderev.engine.slots.store import SlotStore

            self._store = SlotStore(self.config.store_path)
        self.store.ensure_default()

    def transition(self, action: str, reason: str) -> Any:
        """Carry out a policy decision in the store; :meth:`reconcile` then follows it."""
        return self.store.promote(reason) if action == "promote" else self.store.demote(reason)

    def reconcile(self, restart_production: bool = False,
                  publish: Callable[[Serving | None, ErrorInfo], None] | None = None) -> ErrorInfo:
        """Make the running workers match the store; returns why there is no production worker
        (``(None, "")`` when there is one). ``publish(production, error)`` is called with the
        lock held, in the same step that puts the new workers in place."""
        with self._lock:
            running = {s.slot.id: s for s in (self._production, self._experimental) if s is not None and s.worker.alive}
            if restart_production and self._production is not None:
                running.pop(self._production.slot.id, None)
        production, error = self._start_production(running)
        experimental = self._start_experimental(running, production)
        with self._lock:
            if self._closed:
                keep: set[Serving] = set()
                old = [s for s in (production, experimental, self._production, self._experimental) if s is not None]
            else:
                keep = {s for s in (production, experimental) if s is not None}
                old = [s for s in (self._production, self._experimental, *running.values()) if s is not None]
                self._production, self._experimental = production, experimental
                if publish is not None:
                    publish(production, error)
        for serving in {s for s in old if s not in keep}:
            self._retire(serving)
        return error

    def restart_production(self, publish: Callable[[Serving | None, ErrorInfo], None] | None = None) -> ErrorInfo:
        return self.reconcile(restart_production=True, publish=publish)

    def revive_experimental(self) -> None:
        """Start the experimental worker again if it died (shadow traffic only; no breaker). A dead
        production worker is left to the engine's recovery, which also sets the error."""
        experimental, production = self.experimental, self.production
        if production is not None and not production.worker.alive:
            return
        if experimental is None or not experimental.worker.alive:
            candidate = self.store.experimental()
            if candidate is not None and (experimental is None or not experimental.worker.alive):
                self.reconcile()

    def cancel_stale(self, key: str, version: int) -> int:
        with self._lock:
            workers = [s.worker for s in (self._production, self._experimental) if s is not None]
        return sum(worker.cancel_stale(key, version) for worker in workers)

    def close_all(self) -> None:
        """Stop every worker (idempotent); later :meth:`reconcile` results are closed at once."""
        with self._lock:
            self._closed = True
            servings = [s for s in (self._production, self._experimental) if s is not None]
            self._production = self._experimental = None
            retiring = list(self._retiring)
        for serving in servings:
            serving.worker.close()
        for thread in retiring:
            thread.join()

    # -- internals -------------------------------------------------------------------------------

    def _start_production(self, running: dict[str, Serving]) -> tuple[Serving | None, ErrorInfo]:
        error: ErrorInfo = NO_SLOT
        tried: set[str] = set()
        self.needs_retry = False
        while True:
            slot = self.store.load_production()
            if slot is None or slot.id in tried:
                return None, error if tried else self._vacancy()
            if slot.id in running:
                return running[slot.id], NO_ERROR
            tried.add(slot.id)
            try:
                # load_production() has just verified every hash; the child need not do it again.
                return self._launch(slot, verify_hashes=False), NO_ERROR
            except SlotLoadError as exc:
                self._quarantine(slot, exc)
                error = ("PRV004", f"slot {slot.id} did not load ({exc.code}: {exc.detail}) and was quarantined; "
                                   "rules-only mode")
            except WorkerEnvironmentError as exc:  # the setting or the environment, not the slot
                log.warning("the model worker cannot run here: %s", exc.detail, extra={"code": exc.code})
                code = "PRV003" if exc.code == "PRV003" else "PRV001"
                return None, (code, f"the model worker cannot run here ({exc.code}: {exc.detail}); slot {slot.id} "
                                    "was left as it is; rules-only mode for this session")
            except CoderevError as exc:
                log.warning("the model worker did not start: %s", exc.detail, extra={"code": exc.code})
                self.needs_retry = True
                return None, ("PRV005", f"the model worker for slot {slot.id} did not start: {exc.detail}")

    def _start_experimental(self, running: dict[str, Serving], production: Serving | None) -> Serving | None:
        slot = self.store.experimental()
        if slot is None or (production is not None and slot.id == production.slot.id):
            return None
        if slot.id in running:
            return running[slot.id]
        try:
            return self._launch(slot, verify_hashes=True)
        except SlotLoadError as exc:
            self._quarantine(slot, exc)
        except CoderevError as exc:  # the environment, or a crash: not the slot's fault
            log.warning("the experimental model worker did not start: %s", exc.detail, extra={"code": exc.code})
        return None

    def _vacancy(self) -> ErrorInfo:
        """Why the store has no production slot: its last move out of V2."""
        for transition in reversed(self.store.history()):
            if transition.from_role != "V2":
                continue
            if transition.action == "quarantine":
                return ("PRV004", f"slot {transition.slot_id} was quarantined ({transition.reason}) and no other "
                                  "usable slot is installed; rules-only mode")
            return ("PRV001", f"no usable model slot: {transition.slot_id} left production ({transition.action}: "
                              f"{transition.reason}); rules-only mode")
        return NO_SLOT

    def _quarantine(self, slot: SlotLike, exc: CoderevError) -> None:
        reason = f"PRV004: the slot did not load in the model worker ({exc.code}: {exc.detail})"
        log.warning("model slot %s quarantined: %s", slot.id, reason, extra={"code": "PRV004"})
        self.store.quarantine(slot.id, reason)

    def _launch(self, slot: SlotLike, *, verify_hashes: bool) -> Serving:
        config = self.config
        manifest = slot.manifest or {}
        worker = start_worker(slot.path, manifest, slot_id=slot.id, config=config, verify_hashes=verify_hashes,
                              on_dead=lambda reason: self._on_dead(serving, reason))
        serving = Serving(slot, worker, None, str(manifest.get("name", slot.id)), str(manifest.get("version", "")),
                          review_windows=str(manifest.get("review_windows", "function")))
        hello = worker.start(config.load_timeout_s)
        log.info("model slot %s serving on %s (%s), loaded in %.2f s", slot.id, hello.get("device"),
                 hello.get("compute_type"), float(hello.get("load_s", 0.0)), extra={"slot": slot.id})
        try:
            serving.tokenizer = spm.SentencePieceProcessor(model_file=str(slot.path / TOKENIZER))
        except (OSError, RuntimeError) as exc:
            worker.close()
            raise SlotLoadError("PRV001", f"cannot read the tokenizer of {slot.path}: {exc}") from exc
        return serving

    def _retire(self, serving: Serving) -> None:
        def drain_and_close() -> None:
            serving.worker.drain(self.config.timeout_s + serving.worker.hang_grace_s)
            serving.worker.close()

        thread = threading.Thread(target=drain_and_close, name=f"coderev-retire-{serving.slot.id}", daemon=True)
        with self._lock:
            self._retiring = [t for t in self._retiring if t.is_alive()]
            self._retiring.append(thread)
        thread.start()
