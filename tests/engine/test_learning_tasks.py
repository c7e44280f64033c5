"""Where learning tasks come from: edited accepts, dismissed AI fixes and unseen rule families,
exported from a real feedback store on disk."""

from __future__ import annotations

import json
from pathlib import Path

from coderev.analyzers.ruleset import default_rules
from coderev.engine.feedback import EventKind, FeedbackEvent, FeedbackStore
from coderev.engine.learning.learner import Learner
from coderev.engine.learning.pairs import training_pairs
from coderev.engine.learning.tasks import StoreTaskSource, export_tasks, seen_rules, unseen_rule_dirs

FP = "0" * 16


def _event(kind: EventKind, before: str, after: str, origin: str = "template", rule: str = "python.weak-crypto.md5"
           ) -> FeedbackEvent:
    return FeedbackEvent(kind=kind, rule_id=rule, fingerprint=FP, language="python", context="", origin=origin,
                         slot="default@1" if origin == "ai" else "", before=before, after=after)


def test_edited_accepts_dismissed_ai_fixes_and_plain_pairs(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "store")
    learner = Learner(store)
    kept = learner.observe(_event(EventKind.ACCEPT, "h = md5(x)\n", "h = sha256(x)\n"))
    edited = learner.observe(_event(EventKind.ACCEPT, "m = md5(y)\n", "m = sha256(y)\n", origin="ai"))
    store.record_edit(edited, "m = hashlib.sha256(y)\n")  # the user rewrote the offered fix
    store.record_edit(kept, "h = sha256(x)\n")  # saved unchanged: not an edit
    learner.observe(_event(EventKind.DISMISS, "k = md5(z)\n", "k = crc32(z)\n", origin="ai"))
    learner.observe(_event(EventKind.DISMISS, "k = md5(z)\n", "k = crc32(z)\n", origin="ai"))  # duplicate
    learner.observe(_event(EventKind.DISMISS, "", "", origin="rule"))  # a finding dismissed: no fix to learn from
    learner.sync()
    assert learner.model.updates == 5, "edits are not events: the acceptance model is unchanged by them"

    tasks = export_tasks(store, tmp_path / "out")
    pairs = [json.loads(line) for line in tasks.pairs.read_text().splitlines()]
    assert [(p["after"], p["edited"], p["origin"]) for p in pairs] == [
        ("h = sha256(x)\n", False, "template"), ("m = hashlib.sha256(y)\n", True, "ai")]
    negatives = [json.loads(line) for line in tasks.negatives.read_text().splitlines()]
    assert negatives == [{"format": 1, "before": "k = md5(z)\n", "rejected": "k = crc32(z)\n",
                          "rule_id": "python.weak-crypto.md5", "language": "python", "slot": "default@1",
                          "fingerprint": FP, "timestamp": negatives[0]["timestamp"], "unit": "", "style": ""}]
    assert (tasks.n_pairs, tasks.n_negatives) == (2, 1)
    assert StoreTaskSource(store).count() == 3
    store.close()


def _team_rules(directory: Path, category: str) -> Path:
    source = next(r for r in default_rules() if r.id == "python.csrf.protection-disabled").path
    text = source.read_text().replace("category: csrf", f"category: {category}")
    text = text.replace("id: python.csrf.protection-disabled", f"id: python.{category}.protection-disabled")
    directory.mkdir(parents=True)
    (directory / "rule.yaml").write_text(text)
    return directory


def test_rule_dirs_with_rules_the_slot_has_not_seen(tmp_path: Path) -> None:
    manifest = {"metrics": {"int8": {"fix": {"python.csrf.protection-disabled": {"n": 3}}}, "held_out": "text"}}
    assert seen_rules(manifest) == {"python.csrf.protection-disabled"}
    seen = _team_rules(tmp_path / "seen", "csrf")
    new = _team_rules(tmp_path / "team", "team-csrf")
    assert unseen_rule_dirs([seen, new, tmp_path / "absent"], manifest) == (new,)
    store = FeedbackStore(tmp_path / "store")
    source = StoreTaskSource(store, [seen, new], manifest)
    assert source.rule_dirs() == (new,)
    assert source.export(tmp_path / "out").rule_dirs == (new,)
    store.close()


def test_old_stores_without_edits_export_as_before(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "store")
    store.record(_event(EventKind.ACCEPT, "a\n", "b\n"))
    assert [p.edited for p in training_pairs(store)] == [False]
    assert store.edits() == {}
    store.close()
