"""Background learning on a shared engine (``coderev engine serve --learn``; docs/engine-api.md).

The engine server runs the same :class:`~coderev.engine.learning.scheduler.LearningScheduler` as
the language server, over its own feedback store and the team's rule directories
(``--learn-rules``): a team rule with a fix template in a family the production slot was never
measured on becomes a ``coderev model learn --rules DIR`` run, and the candidate is installed as
V1 of the engine's slot store, where its shadow traffic and SLO policy promote it or not. The
idle gate is the API's: no fix or review request for ``--learn-idle-minutes``. The feedback the
API receives carries no code (ADR 0021: secrets stay on the developer's machine), so the engine
learns no (before, after) pairs; those are learned by each developer's language server, from
their own store.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from coderev.engine.feedback import FeedbackStore
from coderev.engine.learning.scheduler import DEFAULT_COMMAND, LearningScheduler, ScheduleSettings
from coderev.engine.learning.tasks import StoreTaskSource


@dataclass(frozen=True)
class EngineLearning:
    """What ``--learn`` and its options ask for."""

    settings: ScheduleSettings
    rule_dirs: tuple[Path, ...] = ()
    directory: Path | None = None  # default: ``learning/engine-api`` in the user cache
    command: Sequence[str] = DEFAULT_COMMAND


def start_scheduler(learning: EngineLearning, feedback: FeedbackStore, manifest: dict[str, Any],
                    store_path: Path | None) -> LearningScheduler:
    """Start the scheduler thread; the learn runs start from and install into ``store_path``."""
    from dataclasses import replace

    from coderev.analyzers.user_cache import cache_root

    directory = learning.directory or cache_root() / "learning" / "engine-api"
    settings = replace(learning.settings, store=store_path)
    source = StoreTaskSource(feedback, learning.rule_dirs, manifest)
    scheduler = LearningScheduler(directory, settings, source, command=learning.command)
    scheduler.start()
    return scheduler
