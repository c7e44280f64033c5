"""Where new learning tasks come from (docs/learning.md, "Sources"): what the scheduler hands to
``coderev model learn``.

* **Pairs** (``pairs.jsonl``): the accepted fixes, with the user's final text where they edited a
  fix before keeping it (:mod:`coderev.engine.learning.pairs`).
* **Negatives** (``negatives.jsonl``, next to the pairs): AI fixes the user rejected ("Reject
  this AI fix", ``coderev.rejectFix``) or dismissed with their finding, one JSON object a line,
  ``{"format": 1, "before", "rejected", "rule_id", "language", "slot", "fingerprint",
  "timestamp"}``: ``rejected`` is the fix the model offered for ``before``. Only an event that
  carries the AI fix's code (origin ``ai``, before and after) is one.
* **Rules**: a team's rule directories (setting ``ruleDirs``) holding rules with fix templates
  the slot was never measured on (its manifest's measured fix rule ids): each such directory
  becomes a ``--rules DIR`` task.

Nothing here imports torch or runs a model; secrets were masked when the events were recorded.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from coderev.engine.feedback import EventKind, FeedbackStore
from coderev.engine.learning.features import FIX_AI
from coderev.engine.learning.pairs import export_jsonl, write_jsonl

NEGATIVE_FORMAT = 1
PAIRS_FILE = "pairs.jsonl"
NEGATIVES_FILE = "negatives.jsonl"


@dataclass(frozen=True, slots=True)
class LearningTasks:
    """What one learning run is given: files written by :func:`export_tasks` and rule dirs."""

    pairs: Path
    negatives: Path
    n_pairs: int
    n_negatives: int
    rule_dirs: tuple[Path, ...] = field(default=())


def negatives(store: FeedbackStore) -> Iterator[dict[str, Any]]:
    """Rejected (and dismissed) AI fixes that carry their code, oldest first, without duplicates."""
    seen: set[tuple[str, str, str]] = set()
    for event in store.events():
        if event.kind is EventKind.ACCEPT or event.origin != FIX_AI:
            continue
        if not event.before or not event.after or event.before == event.after:
            continue
        identity = (event.rule_id, event.before, event.after)
        if identity in seen:
            continue
        seen.add(identity)
        yield {"format": NEGATIVE_FORMAT, "before": event.before, "rejected": event.after,
               "unit": event.unit if event.before in event.unit else "", "style": event.style,
               "rule_id": event.rule_id, "language": event.language, "slot": event.slot,
               "fingerprint": event.fingerprint, "timestamp": event.timestamp}


def seen_rules(manifest: Mapping[str, Any]) -> frozenset[str]:
    """The rule ids a slot was measured fixing (``metrics.<precision>.fix``)."""
    seen: set[str] = set()
    metrics = manifest.get("metrics")
    for measured in (metrics.values() if isinstance(metrics, Mapping) else ()):
        fixes = measured.get("fix") if isinstance(measured, Mapping) else None
        if isinstance(fixes, Mapping):
            seen.update(str(rule_id) for rule_id in fixes)
    return frozenset(seen)


def unseen_rule_dirs(rule_dirs: Iterable[Path], manifest: Mapping[str, Any]) -> tuple[Path, ...]:
    """The directories among ``rule_dirs`` with a rule whose fix template the slot of ``manifest``
    was never measured on. By rule id, not family: a team's ``db.raw(...)`` rule in the
    ``sql-injection`` category asks for a fix the model never saw, whatever else of that family it
    knows. A directory that does not load is left out (the language server reports its errors)."""
    from coderev.analyzers.ruleset import load_rules

    known = seen_rules(manifest)
    out: list[Path] = []
    for directory in rule_dirs:
        if not directory.is_dir():
            continue
        rules = load_rules([directory], builtin=False, check_queries=False)
        if any(rule.fix is not None and rule.id not in known for rule in rules):
            out.append(directory)
    return tuple(out)


def count_new_pairs(store: FeedbackStore) -> int:
    """How many training pairs and negatives the store holds (the scheduler's ``minPairs`` gate)."""
    from coderev.engine.learning.pairs import training_pairs

    return sum(1 for _ in training_pairs(store)) + sum(1 for _ in negatives(store))


def export_tasks(store: FeedbackStore, directory: Path, *, rule_dirs: Iterable[Path] = (),
                 manifest: Mapping[str, Any] | None = None) -> LearningTasks:
    """Write ``pairs.jsonl`` and ``negatives.jsonl`` into ``directory`` (atomically) and pick the
    rule directories to learn. Raises ``CoderevError(DAT001)`` if a file cannot be written."""
    pairs = directory / PAIRS_FILE
    n_pairs = export_jsonl(store, pairs)
    lines = [json.dumps(n, ensure_ascii=False, sort_keys=True) for n in negatives(store)]
    n_negatives = write_jsonl(directory / NEGATIVES_FILE, lines, "negatives")
    dirs = unseen_rule_dirs(rule_dirs, manifest) if manifest is not None else tuple(rule_dirs)
    return LearningTasks(pairs, directory / NEGATIVES_FILE, n_pairs, n_negatives, dirs)


class StoreTaskSource:
    """The scheduler's tasks from one feedback store, the team's rule dirs and the slot manifest."""

    def __init__(self, store: FeedbackStore, rule_dirs: Iterable[Path] = (),
                 manifest: Mapping[str, Any] | None = None) -> None:
        self.store, self._dirs, self.manifest = store, tuple(rule_dirs), manifest or {}
        self._unseen: tuple[Path, ...] | None = None

    def count(self) -> int:
        return count_new_pairs(self.store)

    def rule_dirs(self) -> tuple[Path, ...]:
        if self._unseen is None:  # rule files load once per source; a settings change makes a new one
            self._unseen = unseen_rule_dirs(self._dirs, self.manifest)
        return self._unseen

    def export(self, directory: Path) -> LearningTasks:
        exported = export_tasks(self.store, directory)
        return LearningTasks(exported.pairs, exported.negatives, exported.n_pairs, exported.n_negatives,
                             self.rule_dirs())
