"""The language server's side of background learning (docs/learning.md, "Scheduler").

:class:`LearningSchedules` keeps one :class:`~coderev.engine.learning.scheduler.LearningScheduler`
per workspace root while the ``learning.schedule`` setting is on, tells them of each keystroke
(their idle gate) and gathers their status for ``coderev/status``.

:class:`EditWatch` notices that an applied fix was then edited: an accept remembers the fix's lines
(where they start, the text they became, the document's line count); when the document is saved,
the same lines (grown or shrunk by the lines added or removed since) are read back with secrets
masked, and if they differ from the fix they are kept beside the accept event
(``FeedbackStore.record_edit``): a training pair in the user's own style. No LSP types here
beyond the open documents the server hands in.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from coderev.engine.feedback import EventKey, FeedbackStore
from coderev.engine.learning.scheduler import LearningScheduler, ScheduleSettings
from coderev.engine.learning.system import learning_directory, read_status
from coderev.engine.learning.tasks import StoreTaskSource

if TYPE_CHECKING:
    from coderev.server.lsp.documents import OpenDocument
    from coderev.server.lsp.project import Project
    from coderev.server.lsp.settings import Settings


def _manifest() -> dict[str, Any]:
    from coderev.engine.model.slot import default_slot_path

    try:
        data = json.loads((default_slot_path() / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def schedule_settings(settings: Settings) -> ScheduleSettings:
    return ScheduleSettings(enabled=settings.learning_schedule, min_pairs=settings.learning_min_pairs,
                            idle_minutes=settings.learning_idle_minutes,
                            cpu_budget_s=settings.learning_cpu_budget_seconds,
                            checkpoint_minutes=settings.learning_checkpoint_minutes, method=settings.learning_method,
                            store=Path(settings.model_store_path).expanduser() if settings.model_store_path else None)


class LearningSchedules:
    def __init__(self, project: Project) -> None:
        self.project = project
        self._schedulers: dict[Path | None, LearningScheduler] = {}
        self._configured: object = None
        self._lock = threading.Lock()

    def configure(self, settings: Settings) -> None:
        """A scheduler per root while ``learning.schedule`` is on; restarted (each from its status
        file) only when its settings, the roots or their rule directories changed."""
        roots: list[Path | None] = [*self.project.roots] or [None]
        options = schedule_settings(settings)
        wanted = (options, settings.cache_dir, tuple((r, self.project.config_for(r).options.rule_dirs) for r in roots))
        if wanted == self._configured:
            return
        self.close()
        self._configured = wanted
        if not settings.learning_schedule:
            return
        manifest = _manifest()
        for root in roots:
            rule_dirs = self.project.config_for(root).options.rule_dirs
            source = StoreTaskSource(self.project.store(root), rule_dirs, manifest)
            scheduler = LearningScheduler(learning_directory(root, settings.cache_dir), options, source)
            scheduler.start()
            with self._lock:
                self._schedulers[root] = scheduler

    def activity(self) -> None:
        with self._lock:
            schedulers = list(self._schedulers.values())
        for scheduler in schedulers:
            scheduler.activity()

    def status(self) -> dict[str, Any]:
        """``{"schedule": on/off, "roots": {root: the scheduler's status}}`` for ``coderev/status``."""
        with self._lock:
            running = dict(self._schedulers)
        if not running:
            settings = self.project.settings
            roots: list[Path | None] = [*self.project.roots] or [None]
            last = {str(r): read_status(learning_directory(r, settings.cache_dir)) for r in roots}
            return {"schedule": False, "reason": "learning.schedule is off",
                    "roots": {k: v for k, v in last.items() if v is not None}}
        return {"schedule": True, "roots": {str(root): s.snapshot() for root, s in running.items()}}

    # -- what the metrics read (coderev.engine.metrics.LearningCost) ------------------------
    def active(self) -> bool:
        with self._lock:
            return bool(self._schedulers)

    def cost_usage_ratio(self) -> float:
        """The highest share of a day's CPU budget any workspace's scheduler has used."""
        with self._lock:
            return max((s.cost_usage_ratio() for s in self._schedulers.values()), default=0.0)

    def checkpoint_age_s(self) -> float | None:
        """The age of the newest checkpoint of a run in progress (None between runs: a checkpoint
        that is days old then means nothing is due, not that checkpointing stalled)."""
        with self._lock:
            running = [s for s in self._schedulers.values() if s.snapshot().get("pid") is not None]
        ages = [a for a in (s.checkpoint_age_s() for s in running) if a is not None]
        return min(ages, default=None)

    def close(self) -> None:
        with self._lock:
            schedulers, self._schedulers = list(self._schedulers.values()), {}
        for scheduler in schedulers:
            scheduler.close()


@dataclass(frozen=True, slots=True)
class _Applied:
    key: EventKey
    store: FeedbackStore
    first: int  # the fix's first line (0-based)
    after: str  # the lines as the fix left them
    lines: int  # the document's line count right after the fix


class EditWatch:
    """Accepted fixes awaiting a save that shows whether the user edited them."""

    def __init__(self) -> None:
        self._pending: dict[str, list[_Applied]] = {}
        self._saved: dict[str, int] = {}  # uri -> the version saved, until its analysis is in
        self._lock = threading.Lock()

    def accepted(self, doc: OpenDocument, key: EventKey, store: FeedbackStore, first: int, after: str) -> None:
        applied = _Applied(key, store, first, after, doc.document.snapshot().lines.line_count)
        with self._lock:
            self._pending.setdefault(doc.uri, []).append(applied)

    def saved(self, doc: OpenDocument) -> int:
        """The document was saved: its fixes' lines are final. They are read once the analysis of
        the saved text is in (it finds the secrets to mask); returns how many were edited."""
        with self._lock:
            if doc.uri not in self._pending:
                return 0
            self._saved[doc.uri] = doc.version
        return self.analyzed(doc)

    def analyzed(self, doc: OpenDocument) -> int:
        """Record the edited fixes of a saved ``doc`` whose analysis is current; returns how many."""
        result = doc.result
        with self._lock:
            saved = self._saved.get(doc.uri)
            if saved is None or result is None or result.version != doc.version or doc.version < saved:
                return 0
            pending = self._pending.pop(doc.uri, [])
            del self._saved[doc.uri]
        count = doc.document.snapshot().lines.line_count
        edited = 0
        for applied in pending:
            n = max(1, applied.after.count("\n") + (0 if applied.after.endswith("\n") else 1))
            last = applied.first + n + count - applied.lines
            final = doc.masked_lines(applied.first, max(applied.first, last))
            if final and final != applied.after:
                applied.store.record_edit(applied.key, final)
                edited += 1
        return edited

    def closed(self, uri: str) -> None:
        with self._lock:
            self._pending.pop(uri, None)
            self._saved.pop(uri, None)
