"""A circuit breaker for the model worker: fail fast while it is broken, retry with backoff.

Without it, every keystroke would queue a request behind a crashed or overloaded model and wait
for its timeout. The breaker is **closed** while the worker answers; after ``failure_threshold``
consecutive failures, or at once on a worker crash (:meth:`CircuitBreaker.trip`), it **opens** and
requests fail immediately (the engine answers with ``PRV005``, rules keep working). After the
current backoff it may go **half-open**: exactly one recovery attempt (a fresh worker and a ping)
is allowed; success closes it, failure opens it again with twice the backoff, capped at
``max_backoff_s``. With the 30 s cap and a health thread that wakes at :meth:`retry_at`, the model
is back within 60 s of the cause going away (at most one capped backoff plus one attempt).

It is pure: no threads, no I/O, time from an injected ``clock``, so it is tested with a fake one.
A lock makes each transition atomic because requests, the worker's reader thread and the health
thread all report to it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

State = Literal["closed", "open", "half_open"]


@dataclass(frozen=True, slots=True)
class BreakerSnapshot:
    """What the status shows: the state, why it last opened, and when it may retry."""

    state: State
    consecutive_failures: int
    opened_count: int
    backoff_s: float
    retry_at: float | None
    last_reason: str
    recovery_attempts: int = 0  # half-open moves since the breaker was made (never reset: a metric)


class CircuitBreaker:
    """Closed -> open after ``failure_threshold`` consecutive failures (or a crash) -> half-open
    after the backoff -> closed on success, open with doubled backoff on failure."""

    def __init__(
        self,
        failure_threshold: int = 3,
        base_backoff_s: float = 1.0,
        max_backoff_s: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if failure_threshold < 1:
            raise ValueError("failure_threshold must be at least 1")
        if base_backoff_s <= 0 or max_backoff_s < base_backoff_s:
            raise ValueError("backoffs must satisfy 0 < base_backoff_s <= max_backoff_s")
        self.failure_threshold = failure_threshold
        self.base_backoff_s = base_backoff_s
        self.max_backoff_s = max_backoff_s
        self._clock = clock
        self._lock = threading.Lock()
        self._state: State = "closed"
        self._failures = 0
        self._opened_count = 0  # consecutive openings without a success in between
        self._backoff_s = base_backoff_s
        self._opened_at = 0.0
        self._reason = ""
        self._attempts = 0

    @property
    def state(self) -> State:
        with self._lock:
            return self._state

    def allows_requests(self) -> bool:
        """Whether ordinary requests may go to the worker (only when closed)."""
        with self._lock:
            return self._state == "closed"

    def record_success(self) -> None:
        """A request or a recovery attempt succeeded: close and forget the history."""
        with self._lock:
            self._state = "closed"
            self._failures = 0
            self._opened_count = 0
            self._backoff_s = self.base_backoff_s
            self._reason = ""

    def record_failure(self, reason: str = "request failed") -> bool:
        """A request failed (error or timeout). Returns True when this opened the breaker."""
        with self._lock:
            if self._state == "open":
                return False
            if self._state == "half_open":
                self._open(reason)
                return True
            self._failures += 1
            if self._failures >= self.failure_threshold:
                self._open(reason)
                return True
            return False

    def trip(self, reason: str = "worker crashed") -> bool:
        """Open at once (the worker process died). Returns True when it was not open already."""
        with self._lock:
            if self._state == "open":
                return False
            self._open(reason)
            return True

    def try_half_open(self) -> bool:
        """Move to half-open if the backoff has passed; True means: make one recovery attempt now.
        Only one caller gets True per opening, so two threads never recover at once."""
        with self._lock:
            if self._state != "open" or self._clock() < self._opened_at + self._backoff_s:
                return False
            self._state = "half_open"
            self._attempts += 1
            return True

    def retry_at(self) -> float | None:
        """The clock time at which :meth:`try_half_open` will succeed; None unless open."""
        with self._lock:
            return self._opened_at + self._backoff_s if self._state == "open" else None

    def snapshot(self) -> BreakerSnapshot:
        with self._lock:
            retry = self._opened_at + self._backoff_s if self._state == "open" else None
            return BreakerSnapshot(self._state, self._failures, self._opened_count, self._backoff_s, retry,
                                   self._reason, self._attempts)

    def _open(self, reason: str) -> None:
        # The first opening waits base_backoff_s; each further one without a success doubles it.
        self._backoff_s = min(self.max_backoff_s, self.base_backoff_s * (2 ** min(self._opened_count, 40)))
        self._opened_count += 1
        self._state = "open"
        self._opened_at = self._clock()
        self._failures = 0
        self._reason = reason
