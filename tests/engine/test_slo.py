"""The SLO monitor: rolling windows, percentiles, rates, the quality blend, validation, threads."""

from __future__ import annotations

import json
import random
import statistics
import threading
from dataclasses import asdict

import numpy as np
import pytest

from coderev.analyzers.errors import CoderevError
from coderev.engine.runtime.slo import SloConfig, SloMonitor, percentile


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.mark.parametrize(("window", "extra"), [(1, 3), (5, 1), (200, 50), (200, 0)])
def test_window_keeps_only_the_last_requests_by_count(clock: FakeClock, window: int, extra: int) -> None:
    config = SloConfig(window=window, min_samples=1, min_shadow_samples=1, min_feedback=1)
    monitor = SloMonitor(config, clock=clock)
    # The first `extra` requests fail and are slow; the last `window` are fine and fast.
    for _ in range(extra):
        monitor.record_request("V2", 9.0, ok=False)
    for i in range(window):
        monitor.record_request("V2", 0.1 + i * 0.001, ok=True)
    stats = monitor.stats("V2")
    assert stats.requests == window
    assert stats.errors == 0
    assert stats.p95_latency_s is not None and stats.p95_latency_s < 1.0


def test_window_drops_requests_and_feedback_older_than_window_seconds(clock: FakeClock) -> None:
    config = SloConfig(window_seconds=60.0, min_feedback=1)
    monitor = SloMonitor(config, clock=clock)
    for _ in range(5):
        monitor.record_request("V2", 5.0, ok=False)
        monitor.record_feedback("V2", accepted=False)
    clock.now += 30.0
    for _ in range(3):
        monitor.record_request("V2", 0.5, ok=True, verified=True)
        monitor.record_feedback("V2", accepted=True)

    clock.now += 30.0  # the first batch is exactly 60 s old: still inside the window
    stats = monitor.stats("V2")
    assert (stats.requests, stats.errors, stats.feedback) == (8, 5, 8)

    clock.now += 0.001  # now it is older than the window, and stats() alone prunes it
    stats = monitor.stats("V2")
    assert (stats.requests, stats.errors, stats.feedback, stats.accepted) == (3, 0, 3, 3)
    assert stats.p95_latency_s == pytest.approx(0.5)

    clock.now += 31.0
    stats = monitor.stats("V2")
    assert (stats.requests, stats.feedback, stats.p95_latency_s, stats.quality) == (0, 0, None, None)


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("size", [2, 3, 19, 20, 21, 100, 200])
def test_percentiles_match_linear_interpolation_of_numpy_and_statistics(seed: int, size: int) -> None:
    rng = random.Random(seed * 1000 + size)
    latencies = [rng.lognormvariate(0, 1) for _ in range(size)]
    monitor = SloMonitor(SloConfig(window=200), clock=FakeClock())
    for latency in latencies:
        monitor.record_request("V2", latency, ok=True)
    stats = monitor.stats("V2")
    cuts = statistics.quantiles(latencies, n=100, method="inclusive")
    assert stats.p95_latency_s == pytest.approx(cuts[94])
    assert stats.p50_latency_s == pytest.approx(cuts[49])
    assert stats.p95_latency_s == pytest.approx(float(np.percentile(latencies, 95)))


@pytest.mark.parametrize(
    ("values", "q", "expected"),
    [
        ([4.0], 0.95, 4.0),
        ([1.0, 2.0], 0.5, 1.5),
        ([1.0, 2.0, 3.0, 4.0, 5.0], 0.95, 4.8),
        ([0.0] * 9 + [10.0], 0.95, 5.5),
    ],
)
def test_percentile_on_known_data(values: list[float], q: float, expected: float) -> None:
    assert percentile(values, q) == pytest.approx(expected)


def test_percentile_of_nothing_is_an_error() -> None:
    with pytest.raises(ValueError, match="no values"):
        percentile([], 0.95)


def test_failed_requests_count_for_latency(clock: FakeClock) -> None:
    monitor = SloMonitor(SloConfig(), clock=clock)
    for _ in range(90):
        monitor.record_request("V2", 0.2, ok=True)
    for _ in range(10):
        monitor.record_request("V2", 30.0, ok=False)  # timeouts
    stats = monitor.stats("V2")
    assert stats.p95_latency_s == pytest.approx(30.0)
    assert stats.breaches == ("p95 latency 30.00 s > 3.00 s", "error rate 10.0% (10/100) > 2.0%")


@pytest.mark.parametrize(
    ("requests", "errors", "breached"),
    [(100, 0, False), (100, 2, False), (100, 3, True), (50, 1, False), (50, 2, True), (1, 1, True)],
)
def test_error_rate_and_its_breach(clock: FakeClock, requests: int, errors: int, breached: bool) -> None:
    monitor = SloMonitor(SloConfig(), clock=clock)
    for i in range(requests):
        monitor.record_request("V2", 0.1, ok=i >= errors)
    stats = monitor.stats("V2")
    assert stats.errors == errors
    assert stats.error_rate == pytest.approx(errors / requests)
    assert any(b.startswith("error rate") for b in stats.breaches) is breached


@pytest.mark.parametrize(("latency", "breached"), [(2.99, False), (3.0, False), (3.01, True)])
def test_latency_breach_is_strictly_above_the_objective(clock: FakeClock, latency: float, breached: bool) -> None:
    monitor = SloMonitor(SloConfig(), clock=clock)
    for _ in range(40):
        monitor.record_request("V2", latency, ok=True)
    assert any(b.startswith("p95 latency") for b in monitor.stats("V2").breaches) is breached


@pytest.mark.parametrize(
    ("verdicts", "feedback", "verified_rate", "acceptance_rate", "quality"),
    [
        ([True] * 8 + [False] * 2, [], 0.8, None, 0.8),
        ([True] * 8 + [False] * 2 + [None] * 5, [True] * 9, 0.8, None, 0.8),  # 9 < min_feedback: ignored
        ([True] * 8 + [False] * 2, [True] * 6 + [False] * 4, 0.8, 0.6, 0.7),  # the 50/50 blend
        ([True] * 10, [False] * 30, 1.0, 0.0, 0.5),
        ([None] * 10, [True] * 3 + [False] * 7, None, 0.3, 0.3),
        ([None] * 10, [], None, None, None),
    ],
)
def test_quality_blends_verified_and_acceptance_rates(
    clock: FakeClock,
    verdicts: list[bool | None],
    feedback: list[bool],
    verified_rate: float | None,
    acceptance_rate: float | None,
    quality: float | None,
) -> None:
    monitor = SloMonitor(SloConfig(min_feedback=10), clock=clock)
    for verdict in verdicts:
        monitor.record_request("V2", 0.3, ok=True, verified=verdict)
    for accepted in feedback:
        monitor.record_feedback("V2", accepted)
    stats = monitor.stats("V2")
    assert stats.checked == sum(v is not None for v in verdicts)
    assert stats.feedback == len(feedback)
    assert stats.verified_rate == (None if verified_rate is None else pytest.approx(verified_rate))
    assert stats.acceptance_rate == (None if acceptance_rate is None else pytest.approx(acceptance_rate))
    assert stats.quality == (None if quality is None else pytest.approx(quality))


def test_a_failed_request_never_counts_as_unverified(clock: FakeClock) -> None:
    monitor = SloMonitor(SloConfig(), clock=clock)
    monitor.record_request("V1", 0.1, ok=True, verified=True)
    monitor.record_request("V1", 5.0, ok=False)
    stats = monitor.stats("V1")
    assert (stats.checked, stats.verified_rate, stats.error_rate) == (1, 1.0, 0.5)


@pytest.mark.parametrize(
    ("latency", "ok", "verified"), [(-0.1, True, None), (float("nan"), True, None), (0.1, False, True)]
)
def test_impossible_records_are_rejected(clock: FakeClock, latency: float, ok: bool, verified: bool | None) -> None:
    monitor = SloMonitor(SloConfig(), clock=clock)
    with pytest.raises(ValueError):
        monitor.record_request("V2", latency, ok=ok, verified=verified)
    assert monitor.stats("V2").requests == 0


@pytest.mark.parametrize(
    "settings",
    [
        {"p95_latency_s": 0},
        {"p95_latency_s": float("inf")},
        {"max_error_rate": -0.01},
        {"max_error_rate": 1.0},
        {"window": 0},
        {"window": 10.5},
        {"window_seconds": 0},
        {"min_samples": 0},
        {"min_samples": 201},
        {"window": 40, "min_shadow_samples": 50},
        {"min_feedback": True},
        {"quality_margin": 1.5},
    ],
)
def test_bad_settings_raise_a_catalogued_configuration_error(settings: dict[str, object]) -> None:
    with pytest.raises(CoderevError) as caught:
        SloConfig(**settings)  # type: ignore[arg-type]
    assert caught.value.code == "SYS001"
    assert next(iter(settings.keys() - {"window"}), "window") in caught.value.detail


def test_defaults_are_the_documented_ones() -> None:
    assert asdict(SloConfig()) == {
        "p95_latency_s": 3.0,
        "max_error_rate": 0.02,
        "window": 200,
        "window_seconds": 86400.0,
        "min_samples": 30,
        "min_shadow_samples": 50,
        "quality_margin": 0.02,
        "min_feedback": 10,
    }


def test_reset_forgets_one_slot_only_and_slot_ids_lists_the_rest(clock: FakeClock) -> None:
    monitor = SloMonitor(SloConfig(), clock=clock)
    monitor.record_request("V2", 0.1, ok=True)
    monitor.record_request("V1", 0.1, ok=False)
    monitor.record_feedback("V3", accepted=True)
    assert monitor.slot_ids() == ("V1", "V2", "V3")
    monitor.reset("V1")
    monitor.reset("never-seen")
    assert monitor.slot_ids() == ("V2", "V3")
    assert monitor.stats("V1").requests == 0
    assert monitor.stats("V2").requests == 1


def test_stats_as_dict_is_json_ready(clock: FakeClock) -> None:
    monitor = SloMonitor(SloConfig(), clock=clock)
    monitor.record_request("V2", 4.0, ok=False)
    data = monitor.stats("V2").as_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["slot_id"] == "V2"
    assert data["breaches"] == ["p95 latency 4.00 s > 3.00 s", "error rate 100.0% (1/1) > 2.0%"]


def test_concurrent_recording_keeps_every_count() -> None:
    threads_count, per_thread = 8, 500
    config = SloConfig(window=threads_count * per_thread)
    monitor = SloMonitor(config)  # the real monotonic clock
    start = threading.Barrier(threads_count + 1)
    seen: list[int] = []

    def worker(index: int) -> None:
        start.wait()
        for i in range(per_thread):
            monitor.record_request("V2", 0.01 * index, ok=i % 10 != 0, verified=(i % 2 == 0) if i % 10 else None)
            if i % 5 == 0:
                monitor.record_feedback("V2", accepted=i % 2 == 0)

    def reader() -> None:
        start.wait()
        for _ in range(200):
            seen.append(monitor.stats("V2").requests)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(threads_count)]
    threads.append(threading.Thread(target=reader))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    stats = monitor.stats("V2")
    assert stats.requests == threads_count * per_thread
    assert stats.errors == threads_count * per_thread // 10
    assert stats.checked == threads_count * per_thread * 9 // 10
    assert stats.feedback == threads_count * per_thread // 5
    assert seen == sorted(seen)  # a reader never sees the count go backwards
