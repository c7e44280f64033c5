"""When to promote the experimental slot (V1) and when to demote the production slot (V2).

:func:`decide` is a pure function of two :class:`SlotStats` summaries and the :class:`SloConfig`;
the engine calls it after recording requests and carries out the answer with the slot store's
``promote(reason)`` (V1 -> V2, the old V2 -> V3) or ``demote(reason)`` (V2 -> V3).

Order of the checks, and why:

1. **Promotion first.** V1 is promoted when it has at least ``min_shadow_samples`` requests, breaks
   no SLO, and its quality beats V2's by at least ``quality_margin`` (or there is no V2 at all).
   When V2 itself is in breach (with at least ``min_samples`` requests), the margin is waived: a
   healthy V1 that is at least as good as a failing V2 replaces it. Promoting already sends V2 to
   V3, so when both a promotion and a demotion apply, promotion does strictly more good: users
   keep a model that meets its SLOs instead of being left with none.
2. **Then demotion.** V2 is demoted when it has at least ``min_samples`` requests and its window
   breaks an SLO (p95 latency or error rate); the reason names each breach with its numbers.
3. Otherwise nothing happens (``None``).

Quality is compared only when both slots have a quality figure and V2 has at least
``min_samples`` requests: a comparison against a handful of V2 results is noise.

Hysteresis: right after a transition the engine resets the monitor's stats of every slot
involved (``SloMonitor.reset``), so the new V2 must again gather ``min_samples`` requests before
it can be demoted, and the next V1 must gather ``min_shadow_samples`` before it can be promoted.
Without that reset, the old window would trigger the same decision again on the next call.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, TypeAlias

from coderev.engine.runtime.slo import SloConfig, SlotStats

# Rates are ratios of small integers; without a tolerance 0.82 - 0.80 falls just short of 0.02.
_EPSILON = 1e-9
Action: TypeAlias = Literal["promote", "demote"]


@dataclass(frozen=True)
class Decision:
    """A slot transition for the engine to carry out, with the reason the store records."""

    action: Action
    reason: str


def decide(production: SlotStats | None, experimental: SlotStats | None, config: SloConfig) -> Decision | None:
    """The transition the stats call for, if any (see the module docstring for the order)."""
    production_failing = (
        production is not None and production.requests >= config.min_samples and bool(production.breaches)
    )
    if experimental is not None:
        promotion = _promotion(production, experimental, config, production_failing)
        if promotion is not None:
            return promotion
    if production is not None and production_failing:
        return Decision(
            "demote",
            f"{_label('V2', production)} breaks its SLOs over {production.requests} requests: "
            + "; ".join(production.breaches),
        )
    return None


def _promotion(
    production: SlotStats | None, experimental: SlotStats, config: SloConfig, production_failing: bool
) -> Decision | None:
    if experimental.requests < config.min_shadow_samples or experimental.breaches:
        return None
    health = f"{_health(experimental)} over {experimental.requests} shadow requests"
    if production is None:
        return Decision(
            "promote", f"{_label('V1', experimental)} meets its SLOs ({health}) and there is no production slot"
        )
    if experimental.quality is None or production.quality is None or production.requests < config.min_samples:
        return None
    gain = experimental.quality - production.quality
    needed = 0.0 if production_failing else config.quality_margin
    if gain < needed - _EPSILON:
        return None
    comparison = f"quality {experimental.quality:.3f} vs {production.quality:.3f}"
    if production_failing:
        return Decision(
            "promote",
            f"{_label('V1', experimental)} is healthy ({health}) and at least as good as {_label('V2', production)} "
            f"({comparison}), which breaks its SLOs: " + "; ".join(production.breaches),
        )
    return Decision(
        "promote",
        f"{_label('V1', experimental)} beats {_label('V2', production)} on {comparison} "
        f"(margin {config.quality_margin:.3f}) and meets its SLOs ({health})",
    )


def _label(role: str, stats: SlotStats) -> str:
    """The role and, when the monitor keys slots by their own id, that id too (``V1 ft-0007``)."""
    return role if stats.slot_id == role else f"{role} {stats.slot_id}"


def _health(stats: SlotStats) -> str:
    p95 = "n/a" if stats.p95_latency_s is None else f"{stats.p95_latency_s:.2f} s"
    return f"p95 {p95}, error rate {stats.error_rate:.1%}"
