"""The circuit breaker's state machine, driven by a fake clock."""

from __future__ import annotations

import pytest

from coderev.engine.runtime.breaker import CircuitBreaker


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def _state(breaker: CircuitBreaker) -> str:
    return breaker.state  # read through a function so each check sees the current value


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def test_opens_after_consecutive_failures_only(clock: FakeClock) -> None:
    breaker = CircuitBreaker(failure_threshold=3, clock=clock)
    assert not breaker.record_failure()
    assert not breaker.record_failure()
    breaker.record_success()  # the streak is broken: counting starts again
    assert not breaker.record_failure()
    assert not breaker.record_failure()
    assert _state(breaker) == "closed" and breaker.allows_requests()
    assert breaker.record_failure("third timeout")
    assert _state(breaker) == "open" and not breaker.allows_requests()
    assert breaker.snapshot().last_reason == "third timeout"
    assert not breaker.record_failure(), "failures while open change nothing"


def test_trip_opens_at_once_and_reports_only_the_first_time(clock: FakeClock) -> None:
    breaker = CircuitBreaker(clock=clock)
    assert breaker.trip("worker crashed")
    assert _state(breaker) == "open"
    assert not breaker.trip("again")


def test_half_open_after_backoff_allows_exactly_one_attempt(clock: FakeClock) -> None:
    breaker = CircuitBreaker(base_backoff_s=1.0, clock=clock)
    breaker.trip()
    assert breaker.retry_at() == pytest.approx(1001.0)
    clock.advance(0.99)
    assert not breaker.try_half_open()
    clock.advance(0.02)
    assert breaker.try_half_open()
    assert _state(breaker) == "half_open"
    assert not breaker.try_half_open(), "a second recovery attempt must wait for the first"
    assert not breaker.allows_requests(), "requests still fail fast while the attempt runs"
    breaker.record_success()
    assert _state(breaker) == "closed" and breaker.allows_requests()
    assert breaker.retry_at() is None


def test_failed_recovery_doubles_the_backoff_up_to_the_cap(clock: FakeClock) -> None:
    breaker = CircuitBreaker(base_backoff_s=1.0, max_backoff_s=30.0, clock=clock)
    breaker.trip()
    waits = []
    for _ in range(8):
        retry_at = breaker.retry_at()
        assert retry_at is not None
        waits.append(retry_at - clock.now)
        clock.advance(waits[-1])
        assert breaker.try_half_open()
        assert breaker.record_failure("recovery failed"), "a failed attempt reopens at once"
    assert waits == [1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0, 30.0]
    # Once the cause is gone, recovery comes within one capped backoff: well inside 60 s.
    clock.advance(30.0)
    assert breaker.try_half_open()
    breaker.record_success()
    assert _state(breaker) == "closed"
    breaker.trip()
    assert breaker.retry_at() == pytest.approx(clock.now + 1.0), "success resets the backoff"


def test_many_openings_do_not_overflow(clock: FakeClock) -> None:
    breaker = CircuitBreaker(base_backoff_s=0.5, max_backoff_s=10.0, clock=clock)
    for _ in range(2000):
        breaker.trip()
        clock.advance(10.0)
        assert breaker.try_half_open()
        breaker.record_failure()
    assert breaker.snapshot().backoff_s == 10.0


def test_rejects_nonsense_settings() -> None:
    with pytest.raises(ValueError):
        CircuitBreaker(failure_threshold=0)
    with pytest.raises(ValueError):
        CircuitBreaker(base_backoff_s=5, max_backoff_s=1)
