"""The feedback store: what the user accepted and dismissed, kept on disk per workspace.

Every accepted fix and every dismissed finding becomes a :class:`FeedbackEvent` in a diskcache
(SQLite) store under ``platformdirs.user_cache_dir("coderev")`` (or ``$CODEREV_CACHE_DIR``), one
store per workspace root. Each write is one SQLite transaction, so a crash never leaves a half
event. The events are the raw material for learning; dismissed fingerprints are also read back
so a dismissed finding stays gone across edits and restarts. No LSP types here.
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
from typing import Any

import diskcache
import platformdirs

from analyzers.errors import CoderevError

CACHE_DIR_ENV = "CODEREV_CACHE_DIR"
OUTSIDE_WORKSPACE = "_outside-workspace"


class EventKind(StrEnum):
    ACCEPT = "accept"
    DISMISS = "dismiss"


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
        )


def cache_root(override: str | Path | None = None) -> Path:
    """The base cache directory: ``override``, else ``$CODEREV_CACHE_DIR``, else the user's."""
    if override:
        return Path(override)
    env = os.environ.get(CACHE_DIR_ENV)
    if env:
        return Path(env)
    return Path(platformdirs.user_cache_dir("coderev"))


def workspace_key(root: Path | None) -> str:
    """A stable directory name for a workspace root (its name plus a hash of its full path)."""
    if root is None:
        return OUTSIDE_WORKSPACE
    resolved = str(root.resolve())
    digest = hashlib.sha256(resolved.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    name = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in root.name)[:40]
    return f"{name}-{digest}"


class FeedbackStore:
    """Accept/dismiss events of one workspace, on disk. Thread-safe; usable from many processes."""

    _EVENT = "event"
    _DISMISSED = "dismissed"

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        try:
            directory.mkdir(parents=True, exist_ok=True)
            self._cache = diskcache.Cache(str(directory))
        except (OSError, diskcache.Timeout) as exc:
            raise CoderevError("DAT001", f"feedback store {directory}: {exc}") from exc
        self._lock = threading.Lock()
        self._seq = itertools.count()

    @classmethod
    def for_workspace(cls, root: Path | None, cache_dir: str | Path | None = None) -> FeedbackStore:
        return cls(cache_root(cache_dir) / "feedback" / workspace_key(root))

    def record(self, event: FeedbackEvent) -> None:
        """Append an event (and, for a dismissal, remember its fingerprint) atomically."""
        key = (self._EVENT, time.time_ns(), os.getpid(), next(self._seq))
        with self._lock, self._cache.transact():
            self._cache.set(key, event.to_dict())
            if event.kind is EventKind.DISMISS:
                self._cache.set((self._DISMISSED, event.fingerprint), event.rule_id)

    def events(self, kind: EventKind | None = None) -> Iterator[FeedbackEvent]:
        """Recorded events, oldest first."""
        keys = sorted(k for k in self._cache.iterkeys() if isinstance(k, tuple) and k[0] == self._EVENT)
        for key in keys:
            data = self._cache.get(key)
            if not isinstance(data, dict):
                continue
            event = FeedbackEvent.from_dict(data)
            if kind is None or event.kind is kind:
                yield event

    def dismissed_fingerprints(self) -> frozenset[str]:
        return frozenset(
            str(k[1]) for k in self._cache.iterkeys() if isinstance(k, tuple) and k[0] == self._DISMISSED
        )

    def close(self) -> None:
        self._cache.close()
