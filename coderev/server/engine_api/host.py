"""What the engine server holds: the model engine, the slot store, the feedback store and an
analyzer, with the blocking operations the routes run in its thread pool.

The engine is the language server's own :class:`~coderev.engine.runtime.engine.ModelEngine`
(same slots, workers, SLO monitor and promotion policy); nothing here knows HTTP. A fix request
is prepared as the editor prepares one (``analyzers.fix_units``): the finding is found again in
the sent text by this engine's analyzer (a client cannot make the model fix a finding the rules
do not see), and the model gets the top-level unit that holds it.
"""

from __future__ import annotations

import itertools
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from coderev.analyzers import Analyzer, Document, Finding, PositionEncoding, Severity, get_language
from coderev.analyzers.batch import FileResult
from coderev.analyzers.errors import CoderevError
from coderev.analyzers.fix_units import FixUnit, fix_unit
from coderev.analyzers.patterns import redact
from coderev.engine.feedback import EventKind, FeedbackEvent, FeedbackStore
from coderev.engine.learning.features import family_of
from coderev.engine.learning.learner import Learner
from coderev.engine.metrics import EngineCollector, Metrics
from coderev.engine.runtime.api import EngineConfig, EngineStatus
from coderev.engine.runtime.policy import Action
from coderev.server.engine_api.responses import ApiError
from coderev.server.reports import Report, json_report
from coderev.server.traces import secret_values

if TYPE_CHECKING:
    from coderev.engine.learning.scheduler import LearningScheduler
    from coderev.engine.model.prompt import ReviewItem
    from coderev.engine.runtime.api import AiFix
    from coderev.engine.slots.store import SlotStore
    from coderev.server.engine_api.learning import EngineLearning


class EngineLike(Protocol):
    """What the server uses of :class:`ModelEngine` (tests may hand in a controllable one)."""

    def start(self) -> None: ...
    def stop(self) -> None: ...
    def status(self) -> EngineStatus: ...
    def fix(self, source: str, finding: Finding, *, key: str, version: int, style: Any = None
            ) -> Future[AiFix | None]: ...
    def review(self, function: str, *, language: str = "python", key: str, version: int
               ) -> Future[list[ReviewItem] | None]: ...
    def record_feedback(self, slot_id: str, accepted: bool) -> None: ...
    def generate(self, prompts: list[str], max_new_tokens: int) -> Future[list[str]]: ...
    def transition(self, action: Action, reason: str) -> Future[Any]: ...


@dataclass(frozen=True)
class PreparedFix:
    finding: dict[str, Any]  # as the JSON report writes it
    unit: FixUnit | None
    start: dict[str, int]  # where the unit is in the source: 1-based line and column (code points)
    end: dict[str, int]


class EngineHost:
    """Opens the stores and starts the engine (``start``, in a thread: it loads rules and a slot)."""

    def __init__(self, config: EngineConfig, *, feedback_dir: Path | None = None, version: str = "",
                 engine: EngineLike | None = None, learning: EngineLearning | None = None) -> None:
        self.config = config
        self.version = version
        self.engine = engine
        self.learning = learning
        self.scheduler: LearningScheduler | None = None
        self._feedback_dir = feedback_dir
        self.pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="coderev-api")
        self._lock = threading.Lock()
        self._analyzer: Analyzer | None = None
        self._store: SlotStore | None = None
        self._feedback: FeedbackStore | None = None
        self._learner: Learner | None = None
        self._feedback_ok = True  # the last write to the feedback store succeeded
        self._keys = itertools.count(1)
        self.metrics = Metrics()
        self.metrics.learning.enabled = True
        self.metrics.add_collector(EngineCollector(
            self.status, recovery_attempts=self._recovery_attempts, health=self.health, slo=config.slo,
            history=self._history,
            learning=self.metrics.learning))

    def start(self) -> None:
        from coderev.engine.slots.store import SlotStore

        self._store = SlotStore(self.config.store_path)
        self._store.ensure_default()
        if self.learning is not None:
            from coderev.server.engine_api.learning import start_scheduler

            production = self._store.production()
            self.scheduler = start_scheduler(self.learning, self._open_feedback(),
                                             production.manifest if production else {}, self.config.store_path)
            self.metrics.learning.scheduler = self.scheduler  # the runs' budget and checkpoints, in the metrics
        if self.engine is None and self.config.enabled:
            from coderev.engine.runtime.engine import ModelEngine

            self.engine = ModelEngine(self.config, self.analyzer(), store=self._store)
        if self.engine is not None:
            self.engine.start()

    def stop(self) -> None:
        if self.scheduler is not None:
            self.scheduler.close()  # a run in progress is stopped; its checkpoint resumes it next time
        if self.engine is not None:
            self.engine.stop()  # fails what is pending in it: the routes answer those with its error
        self.pool.shutdown(wait=False, cancel_futures=True)
        with self._lock:
            feedback, self._feedback, self._learner = self._feedback, None, None
        if feedback is not None:
            feedback.close()

    def key(self) -> str:
        return f"api-{next(self._keys)}"  # one per request: no request cancels another's

    def activity(self) -> None:
        """A fix or review request: the learning scheduler's idle wait starts again."""
        if self.scheduler is not None:
            self.scheduler.activity()

    def learning_status(self) -> dict[str, Any] | None:
        return self.scheduler.snapshot() if self.scheduler is not None else None

    def analyzer(self) -> Analyzer:
        with self._lock:
            if self._analyzer is None:
                self._analyzer = Analyzer()
            return self._analyzer

    @property
    def store(self) -> SlotStore:
        if self._store is None:
            raise ApiError(CoderevError("PRV001", "the engine is still starting"))
        return self._store

    def status(self) -> EngineStatus:
        if self.engine is None:
            return EngineStatus(mode="disabled")
        return self.engine.status()

    def health(self) -> dict[str, bool]:
        """The health of what the engine server holds besides the engine (for the metrics and the admin page)."""
        learner = self._learner
        return {"feedback_store": self._feedback_ok, "learner": learner is None or learner.last_error is None}

    def _history(self) -> list[tuple[str, str]]:
        return [(t.action, t.reason) for t in self._store.history()] if self._store is not None else []

    def feedback_store(self) -> FeedbackStore | None:
        return self._feedback

    def _open_feedback(self) -> FeedbackStore:
        with self._lock:
            if self._feedback is None:
                from coderev.analyzers.user_cache import cache_root

                self._feedback = FeedbackStore(self._feedback_dir or cache_root() / "feedback" / "engine-api")
                self._learner = Learner(self._feedback)
                self.metrics.learning.checkpointed()
            return self._feedback

    def _recovery_attempts(self) -> int:
        breaker = getattr(self.engine, "breaker", None)
        return int(breaker.snapshot().recovery_attempts) if breaker is not None else 0

    def family(self, rule_id: str) -> str:
        """A rule family for the metrics: only for a rule this engine has (a bounded label), else ``other``."""
        return family_of(rule_id) if self.analyzer().rules.get(rule_id) is not None else "other"

    @property
    def learner(self) -> Learner | None:
        return self._learner

    def require_engine(self) -> EngineLike:
        if self.engine is None:
            raise ApiError(CoderevError("PRV001", "this engine serves no model (started with --no-model)"))
        return self.engine

    # -- blocking work, run in ``pool`` ----------------------------------------------------------

    def prepare_fix(self, body: dict[str, Any]) -> PreparedFix:
        language = get_language(body["language"])
        if language is None:
            raise ApiError(CoderevError("ANA006", body["language"]))
        analyzer = self.analyzer()
        snapshot = Document(body["source"], language, encoding=PositionEncoding.UTF32).snapshot()
        findings = [f for f in analyzer.analyze(snapshot) if f.rule_id == body["rule_id"]
                    and f.span.start_row == body["line"] - 1
                    and body.get("fingerprint") in (None, f.fingerprint)]
        if not findings:
            raise ApiError(CoderevError("SYS011", f"no {body['rule_id']} finding starts on line {body['line']} "
                                                  "of the source (the engine's rules decide what a finding is)"), 422)
        finding = findings[0]
        unit = fix_unit(snapshot, finding, analyzer)
        where = [snapshot.position_of(offset) for offset in ((unit.start, unit.end) if unit else (0, 0))]
        start, end = ({"line": p.line + 1, "column": p.character + 1} for p in where)
        path = Path(body.get("path") or f"source{language.extensions[0]}")
        return PreparedFix(self._serialized(path, snapshot.source, finding), unit, start, end)

    def _serialized(self, path: Path, source: bytes, finding: Finding) -> dict[str, Any]:
        spans = [f.secret for f in (finding,) if f.secret]
        report = Report([FileResult(path, (finding,), source.count(b"\n") + 1)], self.analyzer().rules,
                        Severity.HINT, root=Path.cwd(), _texts={path: redact(source, spans)},
                        _secrets={path: secret_values(source, spans)})
        findings: list[dict[str, Any]] = json_report.render(report, self.version)["findings"]
        return findings[0]

    def record_feedback(self, body: dict[str, Any]) -> None:
        event = FeedbackEvent(kind=EventKind(body["kind"]), rule_id=body["rule_id"], fingerprint=body["fingerprint"],
                              language=body.get("language", ""), context="", path=body.get("path", ""),
                              origin=body.get("origin", "rule"), slot=body.get("slot", ""),
                              severity=body.get("severity", ""), category=body.get("category", ""))
        self._open_feedback()
        learner = self._learner
        assert learner is not None
        cpu = time.thread_time()
        try:
            learner.observe(event)  # the event and the learner's new state (its checkpoint), in one transaction
        except BaseException:
            self._feedback_ok = False
            raise
        self._feedback_ok = True
        self.metrics.learning.spend(time.thread_time() - cpu)
        self.metrics.learning.checkpointed()
        self.metrics.findings.labels(self.family(event.rule_id), event.kind.value).inc()
        if self.engine is not None and event.kind is EventKind.ACCEPT and event.origin == "ai" and event.slot:
            self.engine.record_feedback(event.slot, True)  # the slot's acceptance rate, as the editor's accept

    def transition_without_engine(self, action: Action, reason: str) -> Any:
        return self.store.promote(reason) if action == "promote" else self.store.demote(reason)
