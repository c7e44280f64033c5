"""The plain values the model engine takes and gives: its configuration, its status, a model fix,
and the shape it expects of the slot store.

Kept apart from :mod:`coderev.engine.runtime.engine` so the server can build settings and render status
without reading the engine's threading code. No LSP types here (the server converts).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

from coderev.engine.runtime.slo import SloConfig, SlotStats

if TYPE_CHECKING:
    from coderev.engine.slots.state import Transition

Mode = Literal["disabled", "loading", "ready", "fallback"]


@dataclass(frozen=True)
class EngineConfig:
    """Settings of the model engine (the server fills it from ``coderev.model.*``).

    ``timeout_s`` bounds each request from submission to answer; ``queue_size`` bounds what may
    wait per worker (more is refused at once: a stale suggestion is worth nothing);
    ``shadow_sample`` is the share of requests also sent to the experimental slot (V1). The
    breaker fields set how fast the engine gives up on a failing worker and how it backs off.
    """

    enabled: bool = True
    store_path: Path | None = None
    device: str = "auto"
    compute_type: str = "auto"
    intra_threads: int = 1
    inter_threads: int = 1
    timeout_s: float = 3.0
    queue_size: int = 64
    max_batch: int = 8
    health_interval_s: float = 30.0
    shadow_sample: float = 0.1
    slo: SloConfig = field(default_factory=SloConfig)
    breaker_threshold: int = 3
    breaker_base_backoff_s: float = 1.0
    breaker_max_backoff_s: float = 30.0
    load_timeout_s: float = 120.0


@dataclass(frozen=True)
class AiFix:
    """A model fix that passed the fix checks (structure and its family's semantic check).

    ``fixed_source`` is the whole unit after the fix, ``replacement`` the new text of ``rows``
    (inclusive, 0-based rows of the original unit); the slot fields say which model made it, for
    feedback and for the status line.
    """

    fixed_source: str
    replacement: str
    rows: tuple[int, int]
    slot_id: str
    slot_version: str
    latency_s: float
    checked: tuple[str, ...] = ()  # what the fix checks proved (coderev.analyzers.fixcheck)


@dataclass(frozen=True)
class EngineStatus:
    """A snapshot for the status bar, ``coderev doctor`` and the log.

    ``mode``: ``disabled`` (setting off or stopped), ``loading``, ``ready`` (the production slot
    answers), ``fallback`` (rules only: no usable slot, or the circuit breaker is open; the
    ``error_code`` says which).
    """

    mode: Mode
    production_id: str | None = None
    production_version: str | None = None
    production_name: str | None = None
    experimental_id: str | None = None
    device: str | None = None
    compute_type: str | None = None
    breaker: str = "closed"
    error_code: str | None = None
    error_message: str | None = None
    queue_depth: int = 0
    slo: dict[str, SlotStats] = field(default_factory=dict)
    languages: tuple[str, ...] = ()  # what the production slot was trained on (its manifest)
    worker_pid: int | None = None  # the production worker process, for diagnostics

    def identity(self) -> tuple[object, ...]:
        """The fields whose change is worth telling listeners about (not the queue depth or the
        SLO figures, which change with every request)."""
        return (self.mode, self.production_id, self.production_version, self.experimental_id, self.device,
                self.compute_type, self.breaker, self.error_code, self.error_message)


class SlotLike(Protocol):
    """What the engine reads of an installed slot (``coderev.engine.slots.store.InstalledSlot``)."""

    @property
    def id(self) -> str: ...

    @property
    def path(self) -> Path: ...

    @property
    def manifest(self) -> dict[str, Any]: ...


class StoreLike(Protocol):
    """The slot store operations the engine uses (``coderev.engine.slots.store.SlotStore``)."""

    def ensure_default(self) -> Any: ...

    def load_production(self) -> SlotLike | None: ...

    def experimental(self) -> SlotLike | None: ...

    def promote(self, reason: str) -> Any: ...

    def demote(self, reason: str) -> Any: ...

    def quarantine(self, slot_id: str, reason: str) -> Any: ...

    def history(self) -> list[Transition]: ...
