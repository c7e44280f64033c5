"""The feedback store: what the user accepted and dismissed, kept on disk per workspace.

Every accepted fix and every dismissed finding becomes a :class:`FeedbackEvent` in a diskcache
(SQLite) store under ``platformdirs.user_cache_dir("coderev")`` (or ``$CODEREV_CACHE_DIR``), one
store per workspace root. Each write is one SQLite transaction, so a crash never leaves a half
event. The events are the raw material for learning; dismissed fingerprints are also read back
so a dismissed finding stays gone across edits and restarts. Small "meta" values (the learning
state, see ``coderev/engine/learning/learner.py``) live in the same store, optionally written in the
same transaction as an event. No LSP types here.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from coderev.analyzers.errors import CoderevError
from coderev.analyzers.user_cache import cache_root

if TYPE_CHECKING:
    import diskcache

OUTSIDE_WORKSPACE = "_outside-workspace"
# Where an event sits in the store: (time in ns, writer's pid, writer's sequence number). Keys
# order events by time, and two writers can never produce the same key.
EventKey = tuple[int, int, int]


class EventKind(StrEnum):
    ACCEPT = "accept"
    DISMISS = "dismiss"
    REJECT = "reject"  # an AI fix the user turned down (the finding stays): a negative for learning


@dataclass(frozen=True, slots=True)
class FeedbackEvent:
    """One accept or dismiss: which finding, in which code, with which fix."""

    kind: EventKind
    rule_id: str
    fingerprint: str
    language: str
    context: str  # the code around the finding
    fix: Mapping[str, Any] | None = None  # description, safe, edits (plain data)
    path: str = ""
    timestamp: float = field(default_factory=time.time)
    # Added for learning; events stored before these existed load with the defaults.
    origin: str = "rule"  # who wrote the fix: "rule" (its template; older events), "template" or "ai"
    slot: str = ""  # the model slot (name@version) that wrote an "ai" fix
    before: str = ""  # for an accepted fix: the code the fix replaced (secrets masked)
    after: str = ""  # ... and the code it became
    unit: str = ""  # ... and the whole top-level unit holding ``before`` (secrets masked), its context
    style: str = ""  # the file's SQL placeholder style (``ParamStyle`` value) where known: a unit has no imports
    severity: str = ""  # the finding's effective severity when the user acted
    category: str = ""  # the finding's category (the rule family)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["kind"] = str(self.kind)
        data["fix"] = dict(self.fix) if self.fix is not None else None
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FeedbackEvent:
        return cls(
            kind=EventKind(data["kind"]),
            rule_id=str(data["rule_id"]),
            fingerprint=str(data["fingerprint"]),
            language=str(data.get("language", "")),
            context=str(data.get("context", "")),
            fix=data.get("fix"),
            path=str(data.get("path", "")),
            timestamp=float(data.get("timestamp", 0.0)),
            origin=str(data.get("origin") or "rule"),
            slot=str(data.get("slot") or ""),
            before=str(data.get("before") or ""),
            after=str(data.get("after") or ""),
            unit=str(data.get("unit") or ""),
            style=str(data.get("style") or ""),
            severity=str(data.get("severity") or ""),
            category=str(data.get("category") or ""),
        )


def workspace_key(root: Path | None) -> str:
    """A stable directory name for a workspace root (its name plus a hash of its full path)."""
    if root is None:
        return OUTSIDE_WORKSPACE
    resolved = str(root.resolve())
    digest = hashlib.sha256(resolved.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    name = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in root.name)[:40]
    return f"{name}-{digest}"


def workspace_directory(root: Path | None, cache_dir: str | Path | None = None) -> Path:
    """Where the feedback store of a workspace root lives."""
    return cache_root(cache_dir) / "feedback" / workspace_key(root)


class FeedbackStore:
    """Accept/dismiss events of one workspace, on disk. Thread-safe; usable from many processes."""

    _EVENT = "event"
    _DISMISSED = "dismissed"
    _META = "meta"
    _EDITED = "edited"

    def __init__(self, directory: Path) -> None:
        import diskcache  # imported when a store opens: it costs 35 ms of the server's start-up otherwise

        self.directory = directory
        try:
            directory.mkdir(parents=True, exist_ok=True)
            self._cache: diskcache.Cache = diskcache.Cache(str(directory))
        except (OSError, diskcache.Timeout) as exc:
            raise CoderevError("DAT001", f"feedback store {directory}: {exc}") from exc
        self._lock = threading.Lock()
        self._seq = itertools.count()

    @classmethod
    def for_workspace(cls, root: Path | None, cache_dir: str | Path | None = None) -> FeedbackStore:
        return cls(workspace_directory(root, cache_dir))

    @staticmethod
    def exists_for_workspace(root: Path | None, cache_dir: str | Path | None = None) -> bool:
        """Whether the workspace's store was ever written (reading an absent store needs no store)."""
        return (workspace_directory(root, cache_dir) / "cache.db").is_file()

    def new_key(self) -> EventKey:
        """A fresh key for :meth:`record`, for a caller that must know it before writing."""
        return (time.time_ns(), os.getpid(), next(self._seq))

    def record(
        self, event: FeedbackEvent, meta: Mapping[str, Any] | None = None, *, key: EventKey | None = None
    ) -> EventKey:
        """Append an event (and, for a dismissal, remember its fingerprint) atomically; ``meta``
        values (see :meth:`write_meta`) are written in the same transaction, so whatever they
        derive from the events can never be ahead of or behind them. Returns the event's key
        (``key`` if given, from :meth:`new_key`)."""
        key = key or self.new_key()
        with self._lock, self._cache.transact():
            self._cache.set((self._EVENT, *key), event.to_dict())
            if event.kind is EventKind.DISMISS:
                self._cache.set((self._DISMISSED, event.fingerprint), event.rule_id)
            for name, value in (meta or {}).items():
                self._cache.set((self._META, name), value)
        return key

    def keyed_events(self, after: EventKey | None = None) -> Iterator[tuple[EventKey, FeedbackEvent]]:
        """Recorded events with their keys, oldest first; only those after ``after`` if given."""
        keys = sorted(
            k for k in self._cache.iterkeys()
            if isinstance(k, tuple) and len(k) == 4 and k[0] == self._EVENT
        )
        for full in keys:
            key: EventKey = (int(full[1]), int(full[2]), int(full[3]))
            if after is not None and key <= after:
                continue
            data = self._cache.get(full)
            if isinstance(data, dict):
                yield key, FeedbackEvent.from_dict(data)

    def events(self, kind: EventKind | None = None) -> Iterator[FeedbackEvent]:
        """Recorded events, oldest first."""
        for _, event in self.keyed_events():
            if kind is None or event.kind is kind:
                yield event

    def record_edit(self, accept: EventKey, final: str) -> None:
        """The final text (secrets masked) of an accepted fix's lines after the user edited them,
        kept beside the accept event ``accept`` (the newest edit wins). Not an event: the learner's
        keep/hint/hide is about the accept itself; the edited text is what a fine-tune learns."""
        with self._lock, self._cache.transact():
            self._cache.set((self._EDITED, *accept), final)

    def edits(self) -> dict[EventKey, str]:
        """The edited final text of accepted fixes, by the accept event's key."""
        out: dict[EventKey, str] = {}
        for k in self._cache.iterkeys():
            if isinstance(k, tuple) and len(k) == 4 and k[0] == self._EDITED:
                value = self._cache.get(k)
                if isinstance(value, str):
                    out[(int(k[1]), int(k[2]), int(k[3]))] = value
        return out

    def read_meta(self, name: str) -> Any:
        """A value stored beside the events (learning state and the like), or None."""
        return self._cache.get((self._META, name))

    def write_meta(self, values: Mapping[str, Any]) -> None:
        """Store values beside the events, all in one transaction (None deletes a name)."""
        with self._lock, self._cache.transact():
            for name, value in values.items():
                if value is None:
                    self._cache.delete((self._META, name))
                else:
                    self._cache.set((self._META, name), value)

    def empty(self) -> bool:
        """Whether nothing at all was ever recorded (a cheap COUNT, no scan)."""
        return len(self._cache) == 0

    def dismissed_fingerprints(self) -> frozenset[str]:
        return frozenset(
            str(k[1]) for k in self._cache.iterkeys() if isinstance(k, tuple) and k[0] == self._DISMISSED
        )

    def close(self) -> None:
        self._cache.close()
