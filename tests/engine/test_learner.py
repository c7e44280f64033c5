"""The learner over a real diskcache feedback store: persistence across restarts, reset, the off
switch, damaged state (DAT005) and recovery, pull-back by accepts, fix ranking, training pairs."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from coderev.analyzers import Analyzer, Document, get_language
from coderev.analyzers.finding import Finding
from coderev.engine.feedback import EventKind, FeedbackEvent, FeedbackStore
from coderev.engine.learning.features import finding_context
from coderev.engine.learning.learner import CORRUPT_PREFIX, STATE_KEY, FixCandidate, Learner
from coderev.engine.learning.pairs import export_jsonl, training_pairs
from coderev.engine.learning.policy import Action

SOURCE = """import hashlib
import yaml

def digest(data):
    return hashlib.md5(data).hexdigest()

def load(s):
    return yaml.load(s)
"""
PATH = "/ws/app/util.py"


@pytest.fixture(scope="module")
def found() -> dict[str, Finding]:
    return {f.category: f for f in Analyzer().analyze(Document(SOURCE, get_language("python")))}


@pytest.fixture
def store(tmp_path: Path) -> FeedbackStore:
    return FeedbackStore(tmp_path / "store")


def _ctx(finding: Finding) -> str:
    return finding_context(SOURCE.encode(), finding.span.start_row)


def _event(finding: Finding, kind: EventKind, n: int = 0, **extra: str) -> FeedbackEvent:
    return FeedbackEvent(
        kind=kind, rule_id=finding.rule_id, fingerprint=f"{finding.fingerprint}~{n}", language=finding.language,
        context=_ctx(finding), fix={"description": "d", "safe": True, "edits": []}, path=PATH,
        severity=str(finding.severity), category=finding.category, **extra,  # type: ignore[arg-type]
    )


def _action(learner: Learner, finding: Finding) -> Action:
    [adjustment] = learner.adjust([finding], path=PATH, context=_ctx)
    assert adjustment.fingerprint == finding.fingerprint
    return adjustment.action


def _dismiss(learner: Learner, finding: Finding, count: int, start: int = 0) -> None:
    for n in range(start, start + count):
        learner.observe(_event(finding, EventKind.DISMISS, n))


def test_one_dismissal_does_not_silence_a_family_but_many_do(store: FeedbackStore, found: dict[str, Finding]) -> None:
    learner = Learner(store)
    weak, other = found["weak-crypto"], found["insecure-deserialization"]
    _dismiss(learner, weak, 2)
    assert _action(learner, weak) is Action.KEEP
    _dismiss(learner, weak, 1, start=2)
    assert _action(learner, weak) is Action.HINT
    _dismiss(learner, weak, 7, start=3)
    [adjustment] = learner.adjust([weak], path=PATH, context=_ctx)
    assert adjustment.action is Action.HIDE and adjustment.probability < 0.2 and "10 dismissed" in adjustment.reason
    assert _action(learner, other) is Action.KEEP  # another family, never dismissed
    assert store.dismissed_fingerprints() == {f"{weak.fingerprint}~{n}" for n in range(10)}


def test_accepts_pull_a_family_back(store: FeedbackStore, found: dict[str, Finding]) -> None:
    learner = Learner(store)
    weak = found["weak-crypto"]
    _dismiss(learner, weak, 10)
    assert _action(learner, weak) is Action.HIDE
    learner.observe(_event(weak, EventKind.ACCEPT, 100))
    assert _action(learner, weak) is not Action.HIDE
    for n in range(101, 104):
        learner.observe(_event(weak, EventKind.ACCEPT, n))
    assert _action(learner, weak) is Action.KEEP


def test_state_persists_across_restarts(tmp_path: Path, found: dict[str, Finding]) -> None:
    store = FeedbackStore(tmp_path / "store")
    learner = Learner(store)
    _dismiss(learner, found["weak-crypto"], 9)
    learner.observe(_event(found["insecure-deserialization"], EventKind.ACCEPT))
    before = learner.adjust(list(found.values()), path=PATH, context=_ctx)
    store.close()
    reopened = FeedbackStore(tmp_path / "store")  # a server restart: new store, new learner
    state = json.loads(reopened.read_meta(STATE_KEY))
    assert state["seen"] == 10 and state["model"]["evidence"]["weak-crypto"] == [0, 9]
    again = Learner(reopened)
    assert again.model.updates == 10  # loaded, not replayed on top of the saved state
    assert again.adjust(list(found.values()), path=PATH, context=_ctx) == before
    assert again.last_error is None
    reopened.close()


def test_events_written_behind_the_learners_back_are_caught_up(store: FeedbackStore, found: dict[str, Finding]) -> None:
    learner = Learner(store)
    weak = found["weak-crypto"]
    _dismiss(learner, weak, 3)
    for n in range(3, 10):  # e.g. an older server, or a crash between event and state write
        store.record(_event(weak, EventKind.DISMISS, n))
    assert _action(learner, weak) is Action.HINT  # this instance has not looked yet
    assert _action(Learner(store), weak) is Action.HIDE
    learner.sync()
    assert learner.model.evidence("weak-crypto").dismissals == 10
    assert _action(learner, weak) is Action.HIDE


def test_reset_forgets_the_preference_but_keeps_the_events(tmp_path: Path, found: dict[str, Finding]) -> None:
    store = FeedbackStore(tmp_path / "store")
    learner = Learner(store)
    weak = found["weak-crypto"]
    _dismiss(learner, weak, 10)
    learner.reset()
    assert _action(learner, weak) is Action.KEEP and learner.model.updates == 0
    assert len(list(store.events())) == 10 and len(store.dismissed_fingerprints()) == 10
    store.close()
    store = FeedbackStore(tmp_path / "store")
    assert _action(Learner(store), weak) is Action.KEEP  # a restart does not relearn the old events
    store.write_meta({STATE_KEY: "{broken"})  # nor does a rebuild after damage
    assert Learner(store).model.updates == 0
    relearning = Learner(store)
    _dismiss(relearning, weak, 3, start=10)
    assert relearning.model.evidence("weak-crypto").dismissals == 3
    store.close()


def test_disabled_keeps_everything(store: FeedbackStore, found: dict[str, Finding]) -> None:
    learner = Learner(store)
    _dismiss(learner, found["weak-crypto"], 10)
    off = Learner(store, enabled=False)
    adjustments = off.adjust(list(found.values()), path=PATH, context=_ctx)
    assert [a.action for a in adjustments] == [Action.KEEP, Action.KEEP]
    assert all(a.reason == "learning is off" for a in adjustments)
    off.enabled = True
    assert _action(off, found["weak-crypto"]) is Action.HIDE


def test_corrupt_state_is_reported_set_aside_and_rebuilt(
    store: FeedbackStore, found: dict[str, Finding], caplog: pytest.LogCaptureFixture
) -> None:
    learner = Learner(store)
    _dismiss(learner, found["weak-crypto"], 9)
    expected = learner.adjust(list(found.values()), path=PATH, context=_ctx)
    store.write_meta({STATE_KEY: '{"version": 1, "seen": 9, "model": {"format": "x"}}'})
    with caplog.at_level(logging.WARNING, logger="coderev.learning"):
        rebuilt = Learner(store)
    assert rebuilt.last_error is not None and rebuilt.last_error.code == "DAT005"
    assert any(getattr(r, "code", None) == "DAT005" for r in caplog.records)
    assert rebuilt.adjust(list(found.values()), path=PATH, context=_ctx) == expected
    aside = [k for k in store._cache.iterkeys() if isinstance(k, tuple) and str(k[1]).startswith(CORRUPT_PREFIX)]
    assert len(aside) == 1 and "format" in store._cache.get(aside[0])
    assert Learner(store).last_error is None  # the rebuilt state was saved: no second report


def test_ranks_fixes_by_what_the_user_accepts(store: FeedbackStore, found: dict[str, Finding]) -> None:
    learner = Learner(store)
    weak = found["weak-crypto"]
    assert weak.fix is not None
    template, ai = FixCandidate(weak.fix, "template"), FixCandidate(weak.fix, "ai", "default@1")
    assert [r.candidate for r in learner.rank_fixes(weak, [template, ai])] == [template, ai]  # no evidence yet
    for n in range(4):
        learner.observe(_event(weak, EventKind.ACCEPT, n, origin="ai", slot="default@1"))
        learner.observe(_event(weak, EventKind.DISMISS, 10 + n, origin="template"))
    ranked = learner.rank_fixes(weak, [template, ai], path=PATH, context=_ctx(weak))
    assert [r.candidate for r in ranked] == [ai, template] and ranked[0].probability > ranked[1].probability
    learner.enabled = False
    assert [r.candidate for r in learner.rank_fixes(weak, [template, ai])] == [template, ai]


def test_training_pairs_and_old_events(tmp_path: Path, store: FeedbackStore, found: dict[str, Finding]) -> None:
    weak = found["weak-crypto"]
    before, after = "hashlib.md5(data)", "hashlib.sha256(data)"
    store.record(_event(weak, EventKind.ACCEPT, 1, before=before, after=after))
    store.record(_event(weak, EventKind.ACCEPT, 2, before=before, after=after))  # the same pair again
    store.record(_event(weak, EventKind.ACCEPT, 3, origin="ai", slot="default@2", before="md5(x)", after="sha256(x)"))
    store.record(_event(weak, EventKind.DISMISS, 4, before="a", after="b"))  # not accepted
    old = _event(weak, EventKind.ACCEPT, 5).to_dict()
    for name in ("origin", "slot", "before", "after", "unit", "style", "severity", "category"):
        del old[name]
    store._cache.set(("event", 1, 1, 1), old)  # as an older version stored it
    assert FeedbackEvent.from_dict(old).origin == "rule"
    pairs = list(training_pairs(store))
    assert [(p.origin, p.slot, p.before) for p in pairs] == [("template", "", before), ("ai", "default@2", "md5(x)")]
    count = export_jsonl(store, tmp_path / "out" / "pairs.jsonl")
    lines = (tmp_path / "out" / "pairs.jsonl").read_text(encoding="utf-8").splitlines()
    assert count == len(lines) == 2
    assert json.loads(lines[1]) | {"timestamp": 0} == {
        "format": 1, "before": "md5(x)", "after": "sha256(x)", "rule_id": weak.rule_id, "language": "python",
        "origin": "ai", "slot": "default@2", "fingerprint": f"{weak.fingerprint}~3", "timestamp": 0, "edited": False,
        "unit": "", "style": "",  # events recorded without their unit or SQL style (older ones, this test's)
    }
