"""The metrics of one process, defined once (docs/observability.md).

Each :class:`Metrics` has its own :class:`~prometheus_client.CollectorRegistry` (never the global
default one: tests start several engines in one process). Counters and histograms are recorded
where things happen (the engine API's middleware and routes, the feedback path); what the engine
already keeps (its status, SLO windows, breaker, slot history) is read at scrape time by
:class:`EngineCollector`, so the engine's own code needs no metric calls.

Label values are bounded by construction: endpoints are route templates (``other`` for anything
else), outcomes a fixed set, error codes come from the error catalogue, rule families from the
loaded rule set (``other`` for an unknown rule id), slots by role (``V1``/``V2``), never a file
path, a slot id a client sent, or user text.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Final, Protocol

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from coderev.engine.runtime.api import EngineStatus
from coderev.engine.runtime.slo import SloConfig
from coderev.engine.runtime.tokens import TOKENS

# Seconds. Dense around the default 3 s p95 objective (docs/slo.md) and the sub-second analysis
# range, so histogram_quantile's p50/p95/p99 interpolate within narrow buckets at the SLO.
LATENCY_BUCKETS: Final = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0,
                          5.0, 7.5, 10.0, 15.0, 30.0)
OUTCOMES: Final = ("ok", "client_error", "server_error", "refused")
BREAKER_STATES: Final = ("closed", "open", "half_open")
TRANSITION_REASONS: Final = ("operator", "slo", "quality", "verification", "other")


def outcome_of(status: int) -> str:
    """A response's outcome: ``refused`` for limits and auth (401/403/429/503), else by class."""
    if status in (401, 403, 429, 503):
        return "refused"
    if status >= 500:
        return "server_error"
    return "client_error" if status >= 400 else "ok"


def transition_reason(reason: str) -> str:
    """The bounded reason class of a slot transition's free-text reason (the store's history)."""
    text = reason.lower()
    if "through the engine api" in text or "operator" in text or "by hand" in text or "coderev model" in text:
        return "operator"
    if "prv004" in text or "hash check" in text or "verification" in text:
        return "verification"
    if "breaks its slo" in text:
        return "slo"
    if "quality" in text or "beats" in text:
        return "quality"
    return "other"


def health_of(status: EngineStatus, others: dict[str, bool]) -> dict[str, bool]:
    """Each component's health: the engine (ready), each slot's worker, and ``others`` (stores, learner)."""
    health = {"engine": status.mode == "ready",
              "worker_v2": status.production_id is not None and status.breaker == "closed" and status.mode == "ready"}
    if status.experimental_id is not None:  # a V1 slot is optional: none is not a failure
        health["worker_v1"] = True
    return {**health, **dict(sorted(others.items()))}


class Metrics:
    """The metric objects of one process, in their own registry."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = Counter("coderev_requests", "Requests served, by interface, endpoint and outcome.",
                                ("interface", "endpoint", "outcome"), registry=r)
        self.request_seconds = Histogram("coderev_request_duration_seconds",
                                         "Time to answer a request, by interface and endpoint.",
                                         ("interface", "endpoint"), buckets=LATENCY_BUCKETS, registry=r)
        self.operation_seconds = Histogram("coderev_operation_duration_seconds",
                                           "Time of one step: analysis, ai_fix (model and checks), ai_review.",
                                           ("operation",), buckets=LATENCY_BUCKETS, registry=r)
        self.errors = Counter("coderev_errors", "Errors answered, by error catalogue code.", ("code",), registry=r)
        self.findings = Counter("coderev_findings", "Findings shown, accepted or dismissed, by rule family.",
                                ("family", "event"), registry=r)
        self.ai_fixes = Counter("coderev_ai_fixes", "Model fixes by outcome: verified or rejected by the checks.",
                                ("outcome",), registry=r)
        self.learning = LearningMeter()

    def observe_request(self, interface: str, endpoint: str, status: int, seconds: float) -> None:
        self.count_request(interface, endpoint, outcome_of(status), seconds)

    def count_request(self, interface: str, endpoint: str, outcome: str, seconds: float) -> None:
        self.requests.labels(interface, endpoint, outcome).inc()
        self.request_seconds.labels(interface, endpoint).observe(seconds)

    def time_operation(self, operation: str) -> _Timer:
        return _Timer(self.operation_seconds.labels(operation))

    def add_collector(self, collector: Collector) -> None:
        self.registry.register(collector)

    def render(self) -> bytes:
        """The text exposition format (``text/plain; version=0.0.4``)."""
        return generate_latest(self.registry)


class _Timer:
    def __init__(self, child: Any) -> None:
        self._child = child
        self._started = 0.0

    def __enter__(self) -> _Timer:
        self._started = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self._child.observe(time.perf_counter() - self._started)


class LearningCost(Protocol):
    """What the learning scheduler (coderev/engine/learning/scheduler.py) reports."""

    def cost_usage_ratio(self) -> float: ...
    def checkpoint_age_s(self) -> float | None: ...


@dataclass
class LearningMeter:
    """What online learning costs: CPU seconds spent learning within the last ``window_s``, against
    a budget of ``cpu_share`` of one core over that window; and when the learner's state (its
    checkpoint, written with each event: docs/learning.md) was last saved."""

    cpu_share: float = 0.05
    window_s: float = 60.0
    enabled: bool = False
    checkpoint_at: float | None = None  # time.time() of the last saved state
    clock: Callable[[], float] = time.monotonic
    scheduler: LearningCost | None = None  # the learning scheduler, where one runs (it then owns both figures)

    def __post_init__(self) -> None:
        self._spent: list[tuple[float, float]] = []

    def spend(self, cpu_seconds: float) -> None:
        now = self.clock()
        self._spent = [(t, s) for t, s in self._spent if now - t <= self.window_s]
        self._spent.append((now, cpu_seconds))

    def usage_ratio(self) -> float:
        if self.scheduler is not None:  # the learning runs' share of today's CPU budget
            return self.scheduler.cost_usage_ratio()
        now = self.clock()
        spent = sum(s for t, s in self._spent if now - t <= self.window_s)
        return spent / (self.cpu_share * self.window_s)

    def checkpointed(self) -> None:
        self.checkpoint_at = time.time()

    def checkpoint_age_s(self) -> float | None:
        """The scheduler's training checkpoint when it has one, else the learner's saved state."""
        age = self.scheduler.checkpoint_age_s() if self.scheduler is not None else None
        return age if age is not None or self.checkpoint_at is None else max(0.0, time.time() - self.checkpoint_at)


class EngineCollector(Collector):
    """Reads the engine's status, breaker and slot history at scrape time.

    ``status`` is the engine's (or the host's) status; ``breaker`` the breaker's snapshot fields
    (None without an engine); ``history`` the slot store's transitions (action, reason) pairs;
    ``health`` extra components' health (feedback store, learner); ``tokens`` the tokens generated
    by (role, task), the process's tally by default.
    """

    def __init__(self, status: Callable[[], EngineStatus], *,
                 recovery_attempts: Callable[[], int] = lambda: 0,
                 history: Callable[[], Iterable[tuple[str, str]]] = tuple,
                 health: Callable[[], dict[str, bool]] = dict,
                 learning: LearningMeter | None = None, slo: SloConfig | None = None,
                 tokens: Callable[[], dict[tuple[str, str], int]] = TOKENS.snapshot) -> None:
        self._status, self._attempts, self._history, self._tokens = status, recovery_attempts, history, tokens
        self._health, self._learning, self._slo_config = health, learning, slo or SloConfig()

    def describe(self) -> list[Metric]:
        return []  # collected fresh each scrape; nothing to check at registration

    def collect(self) -> Iterator[Metric]:
        status = self._status()
        health = GaugeMetricFamily("coderev_health_status", "1 when the component is healthy, else 0.",
                                   labels=("service",))
        roles = {"V2": status.production_id, "V1": status.experimental_id}
        for name, ok in health_of(status, self._health()).items():
            health.add_metric((name,), float(ok))
        yield health
        breaker = GaugeMetricFamily("coderev_breaker_state", "1 for the circuit breaker's current state.",
                                    labels=("state",))
        for state in BREAKER_STATES:
            breaker.add_metric((state,), float(status.breaker == state))
        yield breaker
        yield GaugeMetricFamily("coderev_queue_depth", "Model requests waiting in the workers' queues.",
                                value=status.queue_depth)
        yield CounterMetricFamily("coderev_recovery_attempts", "Half-open recovery attempts of the model worker.",
                                  value=self._attempts())
        yield GaugeMetricFamily("coderev_slo_p95_latency_objective_seconds", "The p95 latency objective of a "
                                "model slot (docs/slo.md).", value=self._slo_config.p95_latency_s)
        yield GaugeMetricFamily("coderev_slo_error_ratio_objective", "The error rate objective of a model slot.",
                                value=self._slo_config.max_error_rate)
        yield from self._slo(status, roles)
        moves = CounterMetricFamily("coderev_slot_transitions", "Slot transitions in the store's history, by "
                                    "action and reason class.", labels=("action", "reason"))
        counts: dict[tuple[str, str], int] = {}
        for action, reason in self._history():
            key = (action if action in ("install", "promote", "demote", "quarantine") else "other",
                   transition_reason(reason))
            counts[key] = counts.get(key, 0) + 1
        for key, count in sorted(counts.items()):
            moves.add_metric(key, count)
        yield moves
        generated = CounterMetricFamily("coderev_tokens_generated", "Tokens the model generated, by slot role "
                                        "and task.", labels=("role", "task"))
        for key, count in sorted(self._tokens().items()):
            generated.add_metric(key, count)
        yield generated
        if self._learning is not None:
            yield from self.learning_metrics(self._learning)

    def _slo(self, status: EngineStatus, roles: dict[str, str | None]) -> Iterator[Metric]:
        p95 = GaugeMetricFamily("coderev_slot_p95_latency_seconds", "p95 latency over the slot's SLO window.",
                                labels=("role",))
        errors = GaugeMetricFamily("coderev_slot_error_ratio", "Error rate over the slot's SLO window.",
                                   labels=("role",))
        verified = GaugeMetricFamily("coderev_slot_verified_fix_ratio", "Share of the slot's checked fixes "
                                     "that passed verification.", labels=("role",))
        samples = GaugeMetricFamily("coderev_slot_window_requests", "Requests in the slot's SLO window.",
                                    labels=("role",))
        for role, slot_id in roles.items():
            stats = status.slo.get(slot_id) if slot_id else None
            if stats is None:
                continue
            samples.add_metric((role,), stats.requests)
            errors.add_metric((role,), stats.error_rate)
            if stats.p95_latency_s is not None:
                p95.add_metric((role,), stats.p95_latency_s)
            if stats.verified_rate is not None:
                verified.add_metric((role,), stats.verified_rate)
        yield from (p95, errors, verified, samples)

    @staticmethod
    def learning_metrics(meter: LearningMeter) -> Iterator[Metric]:
        yield GaugeMetricFamily("coderev_learning_enabled", "1 while online learning runs.",
                                value=float(meter.enabled))
        yield GaugeMetricFamily("coderev_cost_usage_ratio", "Share of the learning CPU budget used in its window.",
                                value=meter.usage_ratio())
        age = meter.checkpoint_age_s()
        if age is not None:
            yield GaugeMetricFamily("coderev_checkpoint_age_seconds", "Seconds since the learner last saved "
                                    "its state (the learning run's checkpoint, where a scheduler runs).", value=age)
