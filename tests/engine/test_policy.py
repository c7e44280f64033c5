"""The promotion/demotion policy, driven by stats a real SloMonitor computes from injected figures."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from coderev.engine.runtime.policy import Decision, decide
from coderev.engine.runtime.slo import SloConfig, SloMonitor, SlotStats

CONFIG = SloConfig()  # p95 3 s, errors 2%, min_samples 30, min_shadow_samples 50, margin 0.02


@dataclass(frozen=True)
class Traffic:
    """What a slot did: how many requests, how slow, how many failed, how many fixes verified.

    With `verified` set, every successful request gets a verification verdict, so
    quality = verified / (count - errors); with None no request gets one and quality is unknown.
    """

    count: int
    latency_s: float = 0.5
    errors: int = 0
    verified: int | None = None


def simulate(monitor: SloMonitor, slot_id: str, traffic: Traffic) -> SlotStats:
    """Feed the monitor the requests `traffic` describes and return the slot's stats."""
    for i in range(traffic.count):
        failed = i < traffic.errors
        verdict = None if failed or traffic.verified is None else (i - traffic.errors) < traffic.verified
        monitor.record_request(slot_id, traffic.latency_s, ok=not failed, verified=verdict)
    return monitor.stats(slot_id)


def run(production: Traffic | None, experimental: Traffic | None, config: SloConfig = CONFIG) -> Decision | None:
    monitor = SloMonitor(config, clock=lambda: 0.0)
    v2 = simulate(monitor, "V2", production) if production is not None else None
    v1 = simulate(monitor, "V1", experimental) if experimental is not None else None
    return decide(v2, v1, config)


GOOD_V2 = Traffic(count=200, latency_s=1.0, verified=160)  # quality 0.80, healthy


@pytest.mark.parametrize(
    ("v1", "reason_parts"),
    [
        (Traffic(count=60, latency_s=1.2, verified=51), ["V1 beats V2", "0.850 vs 0.800", "p95 1.20 s", "60 shadow"]),
        (Traffic(count=50, latency_s=2.9, errors=1, verified=43), ["V1 beats V2", "0.878 vs 0.800"]),
        (Traffic(count=100, latency_s=0.5, verified=82), ["0.820 vs 0.800", "margin 0.020"]),  # exactly the margin
    ],
)
def test_healthy_and_better_experimental_slot_is_promoted(v1: Traffic, reason_parts: list[str]) -> None:
    decision = run(GOOD_V2, v1)
    assert decision is not None and decision.action == "promote"
    for part in reason_parts:
        assert part in decision.reason


@pytest.mark.parametrize(
    "v1",
    [
        pytest.param(Traffic(count=60, latency_s=3.5, verified=60), id="better-but-slow"),
        pytest.param(Traffic(count=60, latency_s=1.0, errors=2, verified=58), id="better-but-failing"),
        pytest.param(Traffic(count=49, latency_s=1.0, verified=49), id="better-but-too-few-samples"),
        pytest.param(Traffic(count=100, latency_s=1.0, verified=81), id="better-by-less-than-margin"),
        pytest.param(Traffic(count=100, latency_s=1.0, verified=70), id="worse"),
        pytest.param(Traffic(count=100, latency_s=1.0), id="no-verdicts"),
    ],
)
def test_experimental_slot_that_does_not_qualify_is_not_promoted(v1: Traffic) -> None:
    assert run(GOOD_V2, v1) is None


def test_no_production_slot_promotes_any_healthy_experimental_slot() -> None:
    decision = run(None, Traffic(count=50, latency_s=0.4))
    assert decision == Decision(
        "promote",
        "V1 meets its SLOs (p95 0.40 s, error rate 0.0% over 50 shadow requests) and there is no production slot",
    )


@pytest.mark.parametrize(
    "v1",
    [Traffic(count=50, latency_s=4.0), Traffic(count=50, errors=5), Traffic(count=10)],
    ids=["slow", "failing", "few"],
)
def test_no_production_slot_and_unhealthy_experimental_slot_does_nothing(v1: Traffic) -> None:
    assert run(None, v1) is None


def test_quality_is_not_compared_against_a_production_slot_with_too_few_requests() -> None:
    assert run(Traffic(count=29, verified=10), Traffic(count=60, verified=60)) is None
    decision = run(Traffic(count=30, verified=10), Traffic(count=60, verified=60))
    assert decision is not None and decision.action == "promote"


@pytest.mark.parametrize(
    ("v2", "present", "absent"),
    [
        pytest.param(
            Traffic(count=30, latency_s=4.1, verified=30), "p95 latency 4.10 s > 3.00 s", "error", id="latency"
        ),
        pytest.param(Traffic(count=100, errors=5, verified=95), "error rate 5.0% (5/100) > 2.0%", "p95", id="errors"),
        # 2% errors is exactly the objective, not a breach: only the latency is named.
        pytest.param(Traffic(count=200, latency_s=3.2, errors=4), "p95 latency 3.20 s", "error", id="latency-at-2pct"),
    ],
)
@pytest.mark.parametrize("v1", [None, Traffic(count=20, verified=20), Traffic(count=60, latency_s=5.0, verified=60)])
def test_production_slot_breaking_an_slo_is_demoted(v2: Traffic, present: str, absent: str, v1: Traffic | None) -> None:
    decision = run(v2, v1)
    assert decision is not None and decision.action == "demote"
    assert decision.reason.startswith(f"V2 breaks its SLOs over {v2.count} requests: ")
    assert present in decision.reason
    assert absent not in decision.reason


@pytest.mark.parametrize(
    "v2",
    [Traffic(count=29, latency_s=10.0), Traffic(count=29, errors=29), Traffic(count=0)],
    ids=["slow", "failing", "none"],
)
def test_nothing_happens_below_min_samples(v2: Traffic) -> None:
    assert run(v2, None) is None


def test_a_healthy_experimental_slot_as_good_as_a_failing_production_slot_is_promoted_instead() -> None:
    failing_v2 = Traffic(count=100, latency_s=4.0, verified=80)  # quality 0.80, too slow
    decision = run(failing_v2, Traffic(count=50, latency_s=1.0, verified=40))  # quality 0.80
    assert decision is not None and decision.action == "promote"
    assert "at least as good as V2" in decision.reason and "p95 latency 4.00 s > 3.00 s" in decision.reason


@pytest.mark.parametrize(
    "v1",
    [Traffic(count=50, latency_s=1.0, verified=39), Traffic(count=50, latency_s=3.5, verified=50)],
    ids=["worse", "also-slow"],
)
def test_a_failing_production_slot_is_demoted_when_the_experimental_slot_cannot_replace_it(v1: Traffic) -> None:
    decision = run(Traffic(count=100, latency_s=4.0, verified=80), v1)
    assert decision is not None and decision.action == "demote"


def test_nothing_to_decide_without_slots() -> None:
    assert decide(None, None, CONFIG) is None


def test_reset_after_a_transition_stops_the_decision_from_repeating() -> None:
    monitor = SloMonitor(CONFIG, clock=lambda: 0.0)
    v2 = simulate(monitor, "V2", GOOD_V2)
    v1 = simulate(monitor, "V1", Traffic(count=60, verified=57))
    assert decide(v2, v1, CONFIG) is not None
    # The engine promoted V1; it resets both slots, and the new V2 must earn a verdict afresh.
    monitor.reset("V1")
    monitor.reset("V2")
    assert decide(monitor.stats("V2"), monitor.stats("V1"), CONFIG) is None
    slow_new_v2 = simulate(monitor, "V2", Traffic(count=29, latency_s=5.0))
    assert decide(slow_new_v2, monitor.stats("V1"), CONFIG) is None
    monitor.record_request("V2", 5.0, ok=True)
    decision = decide(monitor.stats("V2"), monitor.stats("V1"), CONFIG)
    assert decision is not None and decision.action == "demote"


@pytest.mark.parametrize(("margin", "promoted"), [(0.0, True), (0.05, True), (0.051, False)])
def test_quality_margin_is_configurable(margin: float, promoted: bool) -> None:
    config = SloConfig(quality_margin=margin)
    decision = run(GOOD_V2, Traffic(count=100, verified=85), config)  # 0.85 vs 0.80
    assert (decision is not None and decision.action == "promote") is promoted


def test_reasons_name_the_role_and_the_slot_id_when_slots_are_keyed_by_id() -> None:
    monitor = SloMonitor(CONFIG, clock=lambda: 0.0)
    v2 = simulate(monitor, "default-1", GOOD_V2)
    v1 = simulate(monitor, "ft-0007", Traffic(count=60, verified=60))
    promotion = decide(v2, v1, CONFIG)
    assert promotion is not None and promotion.reason.startswith("V1 ft-0007 beats V2 default-1 on quality 1.000")
    slow_v2 = simulate(monitor, "default-1", Traffic(count=200, latency_s=9.0))
    demotion = decide(slow_v2, None, CONFIG)
    assert demotion is not None and demotion.reason.startswith("V2 default-1 breaks its SLOs over 200 requests")
