"""The learner: the acceptance model of one workspace, kept in step with its feedback store.

The raw events in the :class:`~coderev.engine.feedback.FeedbackStore` are the truth; the model is derived
from them and saved beside them (key ``learning.state``, a JSON string) only so that a restart
does not have to replay the whole history. Consistency rules:

* :meth:`Learner.observe` records the event *and* the updated state in one SQLite transaction,
  so for events that go through the learner the two can never disagree, even after a crash.
* The state remembers how many events it has learned and the key of the last one. On load, if
  other writers (another process, an older server that wrote events directly) added events after
  that key, they are replayed on top; if the state does not match the events at all, the model
  is rebuilt from them. A damaged state is reported as ``DAT005``, set aside under
  ``learning.state.corrupt.<ns>`` for inspection, and rebuilt from the events.
* :meth:`Learner.reset` forgets the learned preference but keeps the events: the user asked us
  to stop acting on what we inferred, not to erase their dismissals (those still hide the exact
  findings they dismissed). A reset marker (``learning.reset``, the key of the newest event at
  that moment) is stored separately from the state, so even a later rebuild ignores the events
  before it.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from coderev.analyzers.errors import CoderevError
from coderev.analyzers.finding import Finding, Fix
from coderev.engine.feedback import EventKey, EventKind, FeedbackEvent, FeedbackStore
from coderev.engine.learning.acceptance import AcceptanceModel
from coderev.engine.learning.features import FIX_AI, FIX_TEMPLATE, FeatureContext, family_of, features
from coderev.engine.learning.policy import Action, Thresholds, decide, rerank

log = logging.getLogger("coderev.learning")
STATE_KEY = "learning.state"
RESET_KEY = "learning.reset"
CORRUPT_PREFIX = "learning.state.corrupt."
STATE_VERSION = 1


@dataclass(frozen=True, slots=True)
class Adjustment:
    """What to do with one finding (by fingerprint), with the prediction behind it."""

    fingerprint: str
    rule_id: str
    action: Action
    probability: float
    reason: str


@dataclass(frozen=True, slots=True)
class FixCandidate:
    """One fix offered for a finding: the rule's template (``origin="template"``) or a model's
    (``origin="ai"``, from ``slot``)."""

    fix: Fix
    origin: str = FIX_TEMPLATE
    slot: str = ""


@dataclass(frozen=True, slots=True)
class RankedFix:
    candidate: FixCandidate
    probability: float


def _learn(model: AcceptanceModel, event: FeedbackEvent) -> None:
    if event.kind is EventKind.REJECT:  # about the model's fix, not the finding: no evidence to demote it
        return
    model.update(features(FeatureContext.from_event(event)), event.kind is EventKind.ACCEPT)


def _key_or_none(value: Any) -> EventKey | None:
    if value is None:
        return None
    if isinstance(value, list) and len(value) == 3 and all(isinstance(v, int) for v in value):
        return (value[0], value[1], value[2])
    raise ValueError(f"not an event key: {value!r}")


class Learner:
    """Predicts acceptance for live findings and learns from each accept and dismiss."""

    def __init__(self, store: FeedbackStore, *, enabled: bool = True, thresholds: Thresholds | None = None) -> None:
        self.store = store
        self.enabled = enabled
        self.thresholds = thresholds or Thresholds()
        self.last_error: CoderevError | None = None  # the latest DAT005, for the server to show
        self._lock = threading.Lock()
        self._model = AcceptanceModel()
        self._seen = 0
        self._last: EventKey | None = None
        with self._lock:
            self._load()

    # -- state -----------------------------------------------------------------------------
    def _state_json(self, model: AcceptanceModel, seen: int, last: EventKey | None) -> str:
        state = {"version": STATE_VERSION, "seen": seen, "last": list(last) if last else None, "model": model.to_dict()}
        return json.dumps(state, separators=(",", ":"), allow_nan=False)

    def _parse(self, raw: Any) -> tuple[AcceptanceModel, int, EventKey | None]:
        if not isinstance(raw, str):
            raise ValueError(f"expected a JSON string, found {type(raw).__name__}")
        data = json.loads(raw)
        if not isinstance(data, dict) or data.get("version") != STATE_VERSION:
            raise ValueError("unknown learning state version")
        seen = data.get("seen")
        if not isinstance(seen, int) or seen < 0 or not isinstance(data.get("model"), dict):
            raise ValueError("learning state lacks 'seen' or 'model'")
        return AcceptanceModel.from_dict(data["model"]), seen, _key_or_none(data.get("last"))

    def _reset_marker(self) -> EventKey | None:
        raw = self.store.read_meta(RESET_KEY)
        try:
            return _key_or_none(json.loads(raw)) if isinstance(raw, str) else None
        except ValueError:
            self._report(f"reset marker {raw!r} is unreadable; learning from all events")
            return None

    def _report(self, detail: str) -> None:
        error = CoderevError("DAT005", f"{self.store.directory}: {detail}")
        self.last_error = error
        log.warning(error.render(), extra={"code": error.code})

    def _load(self) -> None:
        """Bring the model in step with the store (see the module docstring)."""
        events = list(self.store.keyed_events(after=self._reset_marker()))
        raw = self.store.read_meta(STATE_KEY)
        model: AcceptanceModel | None = None
        seen, last = 0, None
        if raw is not None:
            try:
                model, seen, last = self._parse(raw)
            except ValueError as exc:  # json.JSONDecodeError is a ValueError too
                self._report(f"saved learning state is damaged ({exc}); rebuilding from the events")
                self.store.write_meta({f"{CORRUPT_PREFIX}{time.time_ns()}": raw, STATE_KEY: None})
                model = None
        keys = [k for k, _ in events]
        if model is not None and seen == 0 and last is None:
            start = 0  # a fresh state (after a reset): every event after the marker is new
        elif model is not None and last is not None and seen <= len(keys) and keys[seen - 1 : seen] == [last]:
            start = seen  # events after the state's last one: written by someone else, or a crash
        else:
            if model is not None:
                log.info("learning state does not match the feedback events; rebuilding")
            model, start = AcceptanceModel(), 0
        for _, event in events[start:]:
            _learn(model, event)
        self._model, self._seen = model, len(events)
        self._last = keys[-1] if keys else None
        if raw is None or model.updates != seen or start != len(events) or last != self._last:
            self.store.write_meta({STATE_KEY: self._state_json(model, self._seen, self._last)})

    # -- learning --------------------------------------------------------------------------
    def observe(self, event: FeedbackEvent) -> EventKey:
        """Record ``event`` in the store and learn from it; the new state is written in the
        same transaction as the event. Returns the event's key. Raises ``CoderevError(DAT001)``
        if the store cannot be written (then neither the event nor the state changed)."""
        with self._lock:
            key = self.store.new_key()
            _learn(self._model, event)
            state = self._state_json(self._model, self._seen + 1, key)
            try:
                self.store.record(event, {STATE_KEY: state}, key=key)
            except BaseException:
                self._load()  # undo the in-memory step: reload what the store really holds
                raise
            self._seen, self._last = self._seen + 1, key
            return key

    def sync(self) -> None:
        """Learn the events that other writers added to the store since we last looked."""
        with self._lock:
            self._load()

    def reset(self) -> None:
        """Forget everything learned; keep the raw events (see the module docstring)."""
        with self._lock:
            keys = [key for key, _ in self.store.keyed_events()]
            newest = keys[-1] if keys else None
            self._model, self._seen, self._last = AcceptanceModel(), 0, None
            self.store.write_meta(
                {
                    RESET_KEY: json.dumps(list(newest)) if newest else None,
                    STATE_KEY: self._state_json(self._model, 0, None),
                }
            )

    # -- prediction ------------------------------------------------------------------------
    @property
    def model(self) -> AcceptanceModel:
        return self._model

    def probability(self, ctx: FeatureContext) -> float:
        with self._lock:
            return self._model.predict(features(ctx))

    def adjust(
        self, findings: Sequence[Finding], *, path: str = "", context: Callable[[Finding], str] | None = None
    ) -> list[Adjustment]:
        """keep / hint / hide for each finding of one file. ``context`` gives the code around a
        finding exactly as the server stores it with events (e.g. ``OpenDocument.context`` of
        its first line), so the model sees live findings as it saw the stored ones."""
        out: list[Adjustment] = []
        with self._lock:
            for finding in findings:
                if not self.enabled:
                    out.append(Adjustment(finding.fingerprint, finding.rule_id, Action.KEEP, 0.5, "learning is off"))
                    continue
                family = family_of(finding.rule_id, finding.category)
                evidence = self._model.evidence(family)
                if evidence.dismissals < self.thresholds.hint_min_dismissals:  # the common case: no work
                    decision = decide(0.5, evidence, family, self.thresholds)
                    out.append(Adjustment(finding.fingerprint, finding.rule_id, decision.action, 0.5, decision.reason))
                    continue
                ctx = FeatureContext.from_finding(finding, path=path, context=context(finding) if context else "")
                p = self._model.predict(features(ctx))
                decision = decide(p, evidence, family, self.thresholds)
                out.append(Adjustment(finding.fingerprint, finding.rule_id, decision.action, p, decision.reason))
        return out

    def rank_fixes(
        self, finding: Finding, candidates: Sequence[FixCandidate], *, path: str = "", context: str = ""
    ) -> list[RankedFix]:
        """``candidates`` most likely to be accepted first (the given order when learning is off
        or the model cannot tell them apart)."""
        base = FeatureContext.from_finding(finding, path=path, context=context)
        with self._lock:
            probabilities = [
                self._model.predict(features(base.with_fix_kind(FIX_AI if c.origin == FIX_AI else FIX_TEMPLATE)))
                for c in candidates
            ]
        if not self.enabled:
            return [RankedFix(c, p) for c, p in zip(candidates, probabilities, strict=True)]
        return [RankedFix(c, p) for c, p in rerank(candidates, probabilities)]
