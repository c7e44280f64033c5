"""Service-level objectives for model slots: what each slot did lately, and whether that is good enough.

The runtime engine records every model request it serves (production, V2) and every shadow request
it sends to the experimental slot (V1) here, plus the user's accept/dismiss feedback on fixes. The
monitor keeps a rolling window per slot and summarizes it as a :class:`SlotStats`, which the
promotion policy (:mod:`coderev.engine.runtime.policy`) and the status command read.

Choices, and why:

* **Window by count and by age.** A slot keeps at most ``window`` requests and none older than
  ``window_seconds``. The count bounds memory and makes a busy slot react quickly; the age makes an
  idle slot forget a burst of slowness from an hour ago (a laptop that was swapping, a cold start).
  A sample exactly ``window_seconds`` old is still kept; older ones are dropped.
* **Latency percentiles use linear interpolation** between closest ranks (the default of
  ``numpy.percentile`` and ``statistics.quantiles(..., method="inclusive")``): with a window of a
  few hundred samples it moves smoothly instead of jumping from one sample to the next.
* **Failed requests count for latency too.** A timeout is the slowest answer there is; leaving it
  out would let a slot that times out look fast. A failed request counts as an error as well.
* **Quality** is a number in [0, 1] that says how useful a slot's output is::

      quality = verified_rate                                    if acceptance_rate is None
              = acceptance_rate                                  if verified_rate is None
              = (1 - ACCEPTANCE_WEIGHT) * verified_rate
                + ACCEPTANCE_WEIGHT * acceptance_rate            otherwise
              = None                                             if neither is known

  ``verified_rate`` is the share of requests with a verification verdict whose fix passed the
  analyzers' check; ``acceptance_rate`` is the share of feedback events that were accepts, used
  only once a slot has ``min_feedback`` events (fewer is noise). Shadow (V1) results are never
  shown, so a V1 slot usually has no feedback and its quality is its verified rate.

Nothing here does I/O or starts threads; the clock is injectable so tests control time. One lock
guards all state because the engine records from its worker threads and reads from the server's.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from coderev.analyzers.errors import CoderevError

ACCEPTANCE_WEIGHT = 0.5
"""Weight of the users' acceptance rate in the quality blend (the rest goes to the verified rate)."""


@dataclass(frozen=True)
class SloConfig:
    """The objectives and the amounts of evidence the policy needs before it acts.

    A bad value raises ``CoderevError("SYS001")``: these come from user settings
    (``coderev.model.p95LatencyMs`` and friends), and the server shows the error and keeps the
    defaults.
    """

    p95_latency_s: float = 3.0
    max_error_rate: float = 0.02
    window: int = 200
    window_seconds: float = 86400.0  # a day: a lightly used V1 can still gather its shadow samples
    min_samples: int = 30
    min_shadow_samples: int = 50
    quality_margin: float = 0.02
    min_feedback: int = 10

    def __post_init__(self) -> None:
        fractions = {"max_error_rate": self.max_error_rate, "quality_margin": self.quality_margin}
        for name, fraction in fractions.items():
            _require(_finite(fraction) and 0 <= fraction < 1, name, fraction, "a fraction in [0, 1)")
        for name, seconds in {"p95_latency_s": self.p95_latency_s, "window_seconds": self.window_seconds}.items():
            _require(_finite(seconds) and seconds > 0, name, seconds, "a positive number of seconds")
        _require(_count(self.window) and self.window >= 1, "window", self.window, "a whole number >= 1")
        # A threshold above the window size could never be reached: no verdict would ever come.
        thresholds = {
            "min_samples": self.min_samples,
            "min_shadow_samples": self.min_shadow_samples,
            "min_feedback": self.min_feedback,
        }
        for name, value in thresholds.items():
            limit = f"a whole number between 1 and window ({self.window})"
            _require(_count(value) and 1 <= value <= self.window, name, value, limit)


def _finite(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _require(ok: bool, name: str, value: object, expected: str) -> None:
    if not ok:
        raise CoderevError("SYS001", f"SLO setting {name}={value!r} must be {expected}")


@dataclass(frozen=True)
class SlotStats:
    """A summary of one slot's rolling window; ``None`` where there is nothing to measure yet.

    ``verified`` counts requests whose fix passed verification and ``checked`` those that got a
    verdict at all, so ``verified_rate = verified / checked``. ``breaches`` describes every SLO the
    window breaks, regardless of how many samples it holds: the policy decides whether that is
    enough evidence to act on.
    """

    slot_id: str
    requests: int = 0
    errors: int = 0
    error_rate: float = 0.0
    p50_latency_s: float | None = None
    p95_latency_s: float | None = None
    verified: int = 0
    checked: int = 0
    verified_rate: float | None = None
    feedback: int = 0
    accepted: int = 0
    acceptance_rate: float | None = None
    quality: float | None = None
    breaches: tuple[str, ...] = field(default=())

    def as_dict(self) -> dict[str, object]:
        """A JSON-ready dict for the status command and the structured log."""
        data = asdict(self)
        data["breaches"] = list(self.breaches)
        return data


def percentile(sorted_values: list[float], q: float) -> float:
    """The ``q`` quantile (0..1) of already sorted values, by linear interpolation between ranks."""
    if not sorted_values:
        raise ValueError("percentile of no values")
    position = q * (len(sorted_values) - 1)
    low = math.floor(position)
    high = min(low + 1, len(sorted_values) - 1)
    fraction = position - low
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * fraction


def quality_of(verified_rate: float | None, acceptance_rate: float | None) -> float | None:
    """The blend described in the module docstring: whichever signals exist, weighted."""
    if verified_rate is None:
        return acceptance_rate
    if acceptance_rate is None:
        return verified_rate
    return (1 - ACCEPTANCE_WEIGHT) * verified_rate + ACCEPTANCE_WEIGHT * acceptance_rate


def breaches_of(requests: int, errors: int, p95: float | None, config: SloConfig) -> tuple[str, ...]:
    """Human-readable descriptions of the SLOs these figures break (empty when none)."""
    found: list[str] = []
    if p95 is not None and p95 > config.p95_latency_s:
        found.append(f"p95 latency {p95:.2f} s > {config.p95_latency_s:.2f} s")
    if requests and errors / requests > config.max_error_rate:
        found.append(f"error rate {errors / requests:.1%} ({errors}/{requests}) > {config.max_error_rate:.1%}")
    return tuple(found)


@dataclass(frozen=True)
class _Request:
    at: float
    latency_s: float
    ok: bool
    verified: bool | None


@dataclass(frozen=True)
class _Feedback:
    at: float
    accepted: bool


class _SlotWindow:
    """The recent requests and feedback of one slot, bounded by count (deque) and by age (prune)."""

    def __init__(self, size: int) -> None:
        self.requests: deque[_Request] = deque(maxlen=size)
        self.feedback: deque[_Feedback] = deque(maxlen=size)

    def prune(self, now: float, max_age: float) -> None:
        # Entries are appended under the monitor's lock with a clock read under the same lock,
        # so each deque is in time order and the old ones sit at the left.
        while self.requests and now - self.requests[0].at > max_age:
            self.requests.popleft()
        while self.feedback and now - self.feedback[0].at > max_age:
            self.feedback.popleft()


class SloMonitor:
    """Rolling per-slot request and feedback windows, summarized on demand as :class:`SlotStats`."""

    def __init__(self, config: SloConfig | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self.config = config if config is not None else SloConfig()
        self._clock = clock
        self._lock = threading.Lock()
        self._slots: dict[str, _SlotWindow] = {}

    def record_request(self, slot_id: str, latency_s: float, ok: bool, verified: bool | None = None) -> None:
        """Record one request a slot served: how long it took, whether it failed, and, when its
        output was checked by the analyzers, whether the fix passed (``None``: no verdict)."""
        if not _finite(latency_s) or latency_s < 0:
            raise ValueError(f"latency must be a finite number of seconds >= 0, got {latency_s!r}")
        if not ok and verified:
            raise ValueError("a failed request cannot have a verified fix")
        with self._lock:
            now = self._clock()
            window = self._window(slot_id)
            window.requests.append(_Request(now, float(latency_s), ok, verified))
            window.prune(now, self.config.window_seconds)

    def record_feedback(self, slot_id: str, accepted: bool) -> None:
        """Record that the user accepted (or dismissed) a fix this slot produced."""
        with self._lock:
            now = self._clock()
            window = self._window(slot_id)
            window.feedback.append(_Feedback(now, accepted))
            window.prune(now, self.config.window_seconds)

    def stats(self, slot_id: str) -> SlotStats:
        """The summary of the slot's current window (all zeros and ``None`` for an unknown slot)."""
        with self._lock:
            window = self._slots.get(slot_id)
            if window is None:
                return SlotStats(slot_id=slot_id)
            window.prune(self._clock(), self.config.window_seconds)
            requests = list(window.requests)
            feedback = list(window.feedback)
        return self._summarize(slot_id, requests, feedback)

    def reset(self, slot_id: str) -> None:
        """Forget everything about a slot; the engine calls this after a promotion or demotion so
        that the new occupant of a slot is judged on its own requests only (hysteresis)."""
        with self._lock:
            self._slots.pop(slot_id, None)

    def slot_ids(self) -> tuple[str, ...]:
        """The slots recorded since their last reset, sorted."""
        with self._lock:
            return tuple(sorted(self._slots))

    def _window(self, slot_id: str) -> _SlotWindow:
        if not slot_id:
            raise ValueError("slot_id must be a non-empty string")
        window = self._slots.get(slot_id)
        if window is None:
            window = self._slots[slot_id] = _SlotWindow(self.config.window)
        return window

    def _summarize(self, slot_id: str, requests: list[_Request], feedback: list[_Feedback]) -> SlotStats:
        config = self.config
        total = len(requests)
        errors = sum(1 for r in requests if not r.ok)
        latencies = sorted(r.latency_s for r in requests)
        p50 = percentile(latencies, 0.50) if latencies else None
        p95 = percentile(latencies, 0.95) if latencies else None
        checked = sum(1 for r in requests if r.verified is not None)
        verified = sum(1 for r in requests if r.verified)
        verified_rate = verified / checked if checked else None
        accepted = sum(1 for f in feedback if f.accepted)
        acceptance_rate = accepted / len(feedback) if len(feedback) >= config.min_feedback else None
        return SlotStats(
            slot_id=slot_id,
            requests=total,
            errors=errors,
            error_rate=errors / total if total else 0.0,
            p50_latency_s=p50,
            p95_latency_s=p95,
            verified=verified,
            checked=checked,
            verified_rate=verified_rate,
            feedback=len(feedback),
            accepted=accepted,
            acceptance_rate=acceptance_rate,
            quality=quality_of(verified_rate, acceptance_rate),
            breaches=breaches_of(total, errors, p95, config),
        )
