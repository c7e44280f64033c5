"""The language server's own metrics, opt-in with ``--metrics-port PORT`` (docs/observability.md).

The metric objects are the engine's (:class:`coderev.engine.metrics.Metrics`: one definition of each
concept); here they get the language server's values, in a registry of this process served by
prometheus-client's own HTTP server on 127.0.0.1 only. Without the option nothing of this exists
and no port is opened (``CoderevServer.metrics`` is None and every hook is one ``is None`` test).

* ``coderev_requests_total{interface="lsp", endpoint, outcome}`` and its duration histogram: every
  registered LSP method and command (``app.guarded``), outcome ``ok``, ``error`` or ``cancelled``;
  ``endpoint`` is the method or command name, from the fixed set the server registers;
* ``coderev_operation_duration_seconds{operation}``: ``analysis`` (the keystroke path, timed in the
  analysis thread), ``ai_fix`` and ``ai_review`` (from the request to the engine's answer);
* ``coderev_errors_total{code}``: every catalogued warning or error the server logs;
* ``coderev_findings_total{family, event}``: a finding shown (the first time its fingerprint is in
  an analysis result), accepted or dismissed (the feedback commands); ``other`` for a rule id this
  server does not have;
* the engine's own metrics (health, breaker, queue depth, slot SLO windows, tokens) while it runs
  in-process; a remote engine exports its own.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any, Final

from prometheus_client import start_http_server
from prometheus_client.core import Metric
from prometheus_client.registry import Collector

from coderev.analyzers.errors import CATALOGUE
from coderev.engine.learning.features import family_of
from coderev.engine.metrics import EngineCollector, LearningMeter, Metrics

if TYPE_CHECKING:
    from coderev.analyzers.finding import Finding
    from coderev.engine.runtime.engine import ModelEngine
    from coderev.server.lsp.learning_schedule import LearningSchedules

INTERFACE: Final = "lsp"
OUTCOMES: Final = ("ok", "error", "cancelled")
_SHOWN_MAX: Final = 100_000  # fingerprints remembered as shown; beyond, the set starts again


class LspMetrics:
    """What the language server records, and the HTTP server that exports it."""

    def __init__(self, engine: Callable[[], ModelEngine | None], learning: LearningSchedules | None = None) -> None:
        self.metrics = Metrics()
        self._shown: set[str] = set()
        self.metrics.add_collector(_InProcessEngine(engine))
        if learning is not None:
            self.metrics.add_collector(_Learning(learning))

    def serve(self, port: int) -> int:
        """Export on 127.0.0.1:``port`` (0: any free port) from a daemon thread; returns the port.
        Raises OSError when the port cannot be bound."""
        server, _ = start_http_server(port, addr="127.0.0.1", registry=self.metrics.registry)
        return int(server.server_port)

    def request(self, method: str, outcome: str, seconds: float) -> None:
        self.metrics.count_request(INTERFACE, method, outcome, seconds)

    def analysis(self, seconds: float, findings: tuple[Finding, ...]) -> None:
        """One analysis took ``seconds`` and found ``findings`` (counted as shown once each)."""
        self.metrics.operation_seconds.labels("analysis").observe(seconds)
        new = [f for f in findings if f.fingerprint not in self._shown]
        if len(self._shown) + len(new) > _SHOWN_MAX:
            self._shown.clear()
        for finding in new:
            self._shown.add(finding.fingerprint)
            self.metrics.findings.labels(family_of(finding.rule_id), "shown").inc()

    def time(self, operation: str, future: Future[Any]) -> None:
        """Observe ``operation`` when ``future`` (an engine request made now) completes, unless cancelled."""
        started = time.perf_counter()
        child = self.metrics.operation_seconds.labels(operation)
        future.add_done_callback(lambda f: None if f.cancelled() else child.observe(time.perf_counter() - started))

    def error(self, code: str) -> None:
        self.metrics.errors.labels(code if code in CATALOGUE else "other").inc()

    def feedback(self, rule_id: str, event: str, known: bool) -> None:
        """An ``accept`` or ``dismiss`` of a finding of ``rule_id`` (``known``: a rule this server has)."""
        self.metrics.findings.labels(family_of(rule_id) if known else "other", event).inc()


class _InProcessEngine(Collector):
    """The engine's metrics while it runs in this process; nothing otherwise."""

    def __init__(self, engine: Callable[[], ModelEngine | None]) -> None:
        self._engine = engine

    def describe(self) -> list[Metric]:
        return []

    def collect(self) -> Iterator[Metric]:
        engine = self._engine()
        if engine is not None:
            attempts = lambda: int(engine.breaker.snapshot().recovery_attempts)  # noqa: E731
            yield from EngineCollector(engine.status, recovery_attempts=attempts).collect()


class _Learning(Collector):
    """The background learning scheduler's cost and checkpoint age while ``learning.schedule`` is on."""

    def __init__(self, schedules: LearningSchedules) -> None:
        self._schedules = schedules

    def describe(self) -> list[Metric]:
        return []

    def collect(self) -> Iterator[Metric]:
        if self._schedules.active():
            yield from EngineCollector.learning_metrics(LearningMeter(enabled=True, scheduler=self._schedules))
