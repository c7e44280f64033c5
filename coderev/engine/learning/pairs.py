"""Training pairs: accepted fixes kept as (before, after) examples for a later fine-tune.

An accepted fix is the best label we get: the user saw the code, saw the fix and applied it. The
periodic fine-tune of the fix model (DESIGN.md, "Learning from the user") trains on these pairs,
so they are exported as JSONL, one pair per line, in the order they were accepted. Both kinds of
fix count: the rule's template fix (``origin="template"``) and a model's (``origin="ai"``, with
the slot that wrote it, so a fine-tune can tell its own earlier outputs apart).

When the user edited the fixed lines before keeping them (the language server records their final
text beside the accept: ``FeedbackStore.record_edit``), the pair's ``after`` is that final text
and ``edited`` is true: it teaches the user's own fix style.

Only events that carry the fixed code (``before`` and ``after``, filled in by the server when the
fix is applied, secrets masked) become pairs; older events without them are skipped. Identical
pairs (same rule, before and after) are exported once. A reset of the learned preference does not
touch pairs: they are the user's history, not an inference.
"""

from __future__ import annotations

import dataclasses
import json
import os
import tempfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from coderev.analyzers.errors import CoderevError
from coderev.engine.feedback import EventKind, FeedbackStore
from coderev.engine.learning.features import FIX_AI, FIX_TEMPLATE

PAIR_FORMAT = 1


@dataclass(frozen=True, slots=True)
class TrainingPair:
    before: str
    after: str
    rule_id: str
    language: str
    origin: str  # "template" or "ai"
    slot: str  # the slot (name@version) that wrote an "ai" fix; "" for templates
    fingerprint: str
    timestamp: float
    edited: bool = False  # ``after`` is the user's edit of the fix, not the fix as offered
    unit: str = ""  # the top-level unit holding ``before``, as it was (its context; "" when unknown)
    style: str = ""  # the file's SQL placeholder style where known (the unit alone does not show its imports)

    def to_json(self) -> str:
        return json.dumps({"format": PAIR_FORMAT, **asdict(self)}, ensure_ascii=False, sort_keys=True)


def training_pairs(store: FeedbackStore) -> Iterator[TrainingPair]:
    """The accepted fixes in ``store`` that carry their code, oldest first, without duplicates."""
    seen: set[tuple[str, str, str]] = set()
    edits = store.edits()
    for key, stored in store.keyed_events():
        if stored.kind is not EventKind.ACCEPT:
            continue
        edited = edits.get(key)
        if edited is not None and edited != stored.after:
            event = dataclasses.replace(stored, after=edited)
        else:
            event, edited = stored, None
        if not event.before or not event.after or event.before == event.after:
            continue
        identity = (event.rule_id, event.before, event.after)
        if identity in seen:
            continue
        seen.add(identity)
        ai = event.origin == FIX_AI
        yield TrainingPair(
            before=event.before,
            after=event.after,
            rule_id=event.rule_id,
            language=event.language,
            origin=FIX_AI if ai else FIX_TEMPLATE,
            slot=event.slot if ai else "",
            fingerprint=event.fingerprint,
            timestamp=event.timestamp,
            edited=edited is not None,
            unit=event.unit if event.before in event.unit else "",
            style=event.style,
        )


def export_jsonl(store: FeedbackStore, path: Path) -> int:
    """Write the training pairs to ``path`` (atomically: a reader never sees half a file);
    returns how many. Raises ``CoderevError(DAT001)`` if the file cannot be written."""
    return write_jsonl(path, [pair.to_json() for pair in training_pairs(store)], "training pairs")


def write_jsonl(path: Path, lines: list[str], what: str) -> int:
    """Write ``lines`` to ``path`` atomically, one per line; returns how many (DAT001 on failure)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
                for line in lines:
                    handle.write(line + "\n")
                handle.flush()
                os.fsync(handle.fileno())
            Path(tmp).replace(path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise CoderevError("DAT001", f"cannot write {what} to {path}: {exc}") from exc
    return len(lines)
