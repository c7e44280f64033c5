"""From a predicted acceptance to what the editor does with a finding: keep, hint or hide.

A prediction alone is not enough to silence anything: early on the model generalizes from very
few events, and a user who dismissed one finding of a family has said little about the family.
So every demotion needs evidence about the family itself: enough dismissals, and dismissals that
outweigh accepts. Only then does the probability decide. ``hint`` (shown faintly, as an editor
hint) comes before ``hide``, and accepting findings of a family raises both its probability and
its accept share, which pulls it back.

Families without any dismissal are never touched, whatever the shared features say; this is what
keeps other families' recall unchanged when a user keeps dismissing one of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar

from coderev.engine.learning.acceptance import Evidence

T = TypeVar("T")


class Action(StrEnum):
    KEEP = "keep"
    HINT = "hint"  # the editor shows it with hint severity instead of warning or error
    HIDE = "hide"  # not shown at all


@dataclass(frozen=True, slots=True)
class Thresholds:
    """When to demote. Defaults: ``hint`` after 3 dismissals of a family with P(accept) < 0.35,
    ``hide`` after 8 with P(accept) < 0.2; either needs the family's dismissals to make up at
    least 60% (hint) or 80% (hide) of its events."""

    hint_min_dismissals: int = 3
    hide_min_dismissals: int = 8
    hint_below: float = 0.35
    hide_below: float = 0.2
    hint_min_share: float = 0.6
    hide_min_share: float = 0.8

    def __post_init__(self) -> None:
        if not (0 < self.hint_min_dismissals <= self.hide_min_dismissals):
            raise ValueError("need 0 < hint_min_dismissals <= hide_min_dismissals")
        if not (0.0 <= self.hide_below <= self.hint_below <= 1.0):
            raise ValueError("need 0 <= hide_below <= hint_below <= 1")
        if not (0.0 <= self.hint_min_share <= self.hide_min_share <= 1.0):
            raise ValueError("need 0 <= hint_min_share <= hide_min_share <= 1")


@dataclass(frozen=True, slots=True)
class Decision:
    action: Action
    probability: float
    reason: str


def decide(probability: float, evidence: Evidence, family: str, thresholds: Thresholds | None = None) -> Decision:
    """The action for one finding of ``family`` with predicted P(accept) ``probability``."""
    t = thresholds or Thresholds()
    d, a = evidence.dismissals, evidence.accepts
    share = d / evidence.total if evidence.total else 0.0
    counts = f"{d} dismissed, {a} accepted"
    if d < t.hint_min_dismissals:
        return Decision(Action.KEEP, probability, f"{family}: too little evidence ({counts})")
    if d >= t.hide_min_dismissals and share >= t.hide_min_share and probability < t.hide_below:
        return Decision(Action.HIDE, probability, f"{family}: usually dismissed ({counts}, p={probability:.2f})")
    if share >= t.hint_min_share and probability < t.hint_below:
        return Decision(Action.HINT, probability, f"{family}: often dismissed ({counts}, p={probability:.2f})")
    return Decision(Action.KEEP, probability, f"{family}: likely useful ({counts}, p={probability:.2f})")


def rerank(candidates: Sequence[T], probabilities: Sequence[float]) -> list[tuple[T, float]]:
    """Candidates with their P(accept), most likely first; ties keep the given order (so the
    caller's default preference, e.g. the template before the AI fix, wins until evidence says
    otherwise)."""
    if len(candidates) != len(probabilities):
        raise ValueError(f"{len(candidates)} candidates but {len(probabilities)} probabilities")
    order = sorted(range(len(candidates)), key=lambda i: -probabilities[i])
    return [(candidates[i], probabilities[i]) for i in order]
