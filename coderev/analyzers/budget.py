"""Time limits on rule matching: the per-file analysis budget, and the skips it causes.

Rule matching is bounded per file: :class:`Budget` is checked between the pieces of a unit's
matching (:mod:`coderev.analyzers.matching`) and before each structural predicate, so a file
whose matching runs past ``file-budget-seconds`` stops there. The unit being matched and every
later unit that still needed matching become :class:`UnitSkip`\\ s (catalogued ANA010), while the
units done in time keep their findings. A skip is never a result: a unit skipped for time is not
cached as "no findings" (ARCHITECTURE.md, invariant 3), it is reported as a skip.

A budget may also be cancelled by its caller (the language server, when a newer version of the
document arrived); what was skipped then is not remembered as slow.

The budget counts the CPU time of the thread that matches (``time.thread_time``), not the wall
clock: a scan on a loaded machine (other workers, another job on the CI runner) must skip the same
units as on an idle one, or the same commit would get other findings from run to run. Waiting for
the GIL or for a core costs no budget; only matching does.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final

from coderev.analyzers.errors import CoderevError

DEFAULT_FILE_BUDGET_SECONDS: Final = 5.0
clock = time.thread_time  # CPU seconds of this thread: the same under any load


class Budget:
    """The time one analysis may spend matching rules, and whether its caller still wants it.

    The clock starts at :meth:`start` (the analyzer calls it once its queries are compiled:
    compiling is start-up work, not the file's), or at the first check if nothing started it."""

    __slots__ = ("_check", "_deadline", "cancelled", "seconds")

    def __init__(self, seconds: float | None, cancelled: Callable[[], bool] | None = None) -> None:
        self.seconds = seconds
        self._deadline: float | None = None
        self._check = cancelled
        self.cancelled = False  # set once the caller's check said stop

    @staticmethod
    def now() -> float:
        """A reading of the budget's clock, for :meth:`took_most`."""
        return clock()

    def start(self) -> None:
        if self._deadline is None and self.seconds is not None:
            self._deadline = clock() + self.seconds

    def exhausted(self) -> bool:
        """Whether matching must stop now (time is up, or the caller cancelled)."""
        if self._check is not None and not self.cancelled and self._check():
            self.cancelled = True
        if self.cancelled:
            return True
        self.start()
        return self._deadline is not None and clock() >= self._deadline

    def took_most(self, since: float) -> bool:
        """Whether the work begun at ``since`` (a :data:`clock` reading) alone used up most of the
        budget: then that unit is slow in itself, not just the one where time ran out."""
        return not self.cancelled and self.seconds is not None and clock() - since >= self.seconds / 2


@dataclass(frozen=True, slots=True)
class UnitSkip:
    """A top-level unit that was not matched: plain data, so it crosses process boundaries."""

    start_byte: int
    end_byte: int
    start_row: int  # 0-based
    end_row: int
    name: str  # the definition's name, or ""

    def where(self) -> str:
        lines = f"line {self.start_row + 1}" if self.start_row == self.end_row else (
            f"lines {self.start_row + 1}-{self.end_row + 1}"
        )
        return f"{self.name} ({lines})" if self.name else lines


def skip_detail(skips: Sequence[UnitSkip], seconds: float | None, most: int = 3) -> str:
    """What an ANA010 message says: which parts of the file were left out, within which budget."""
    where = ", ".join(s.where() for s in skips[:most])
    more = f" and {len(skips) - most} more" if len(skips) > most else ""
    parts = "1 part of the file" if len(skips) == 1 else f"{len(skips)} parts of the file"
    limit = f"the {seconds:g} s analysis budget" if seconds is not None else "the analysis budget"
    return f"{parts} not analyzed within {limit}: {where}{more}"


def skip_error(skips: Sequence[UnitSkip], seconds: float | None, path: str = "") -> CoderevError:
    prefix = f"{path}: " if path else ""
    return CoderevError("ANA010", prefix + skip_detail(skips, seconds))
