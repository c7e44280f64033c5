"""The model engine inside the language server: its lifecycle and the ``coderev/status`` report.

The engine (:mod:`coderev.engine.runtime.engine`) runs the production slot in a worker process; here it is
started, restarted when a ``model.*`` setting changes, stopped on shutdown, and its state is sent
to the editor as a ``coderev/status`` notification (also answered as a request of the same name)
for the status items of the VS Code and Neovim clients. The engine starts a moment after the
server is initialized, so loading a model never delays the first rule diagnostics; until it is
ready, and whenever it falls back to rules-only, every model feature simply offers nothing.

With ``engine.url`` other than ``inprocess`` the engine is elsewhere (a shared local engine, a
team engine): :class:`~coderev.server.engine_api.remote.RemoteEngine` stands in for it, and the
status says where it runs (``engine.where``) and what its API version warnings are.
"""

from __future__ import annotations

import asyncio
import importlib
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from coderev.analyzers.errors import CoderevError
from coderev.engine.runtime.api import EngineConfig, EngineStatus
from coderev.engine.runtime.slo import SloConfig

if TYPE_CHECKING:
    from concurrent.futures import Future

    from coderev.analyzers import Finding, Snapshot
    from coderev.analyzers.fix_units import FixUnit
    from coderev.engine.runtime.api import AiFix
    from coderev.engine.runtime.engine import ModelEngine
    from coderev.server.engine_api.remote import RemoteEngine
    from coderev.server.engine_api.shared import Where
    from coderev.server.lsp.log import ClientLog
    from coderev.server.lsp.settings import Settings

STATUS: Final = "coderev/status"
START_DELAY_S: Final = 1.0  # after initialized: the first diagnostics come first


def engine_config(settings: Settings) -> EngineConfig:
    """The engine's configuration from the ``model.*`` settings."""
    return EngineConfig(
        enabled=settings.model_enabled,
        store_path=Path(settings.model_store_path).expanduser() if settings.model_store_path else None,
        device=settings.model_device,
        compute_type=settings.model_compute_type,
        timeout_s=settings.model_timeout_ms / 1000,
        health_interval_s=float(settings.engine_health_interval_s),
        shadow_sample=settings.model_shadow_sample,
        slo=SloConfig(p95_latency_s=settings.model_p95_latency_ms / 1000),
    )


def status_payload(status: EngineStatus | None) -> dict[str, Any]:
    """What the editors' status items show (``modelSlot`` is the one-line summary)."""
    if status is None:
        return {"mode": "disabled", "modelSlot": None}
    slot = None
    if status.mode == "ready" and status.production_name:
        slot = f"{status.production_name} {status.production_version} {status.compute_type} {status.device}"
    return {
        "mode": status.mode,
        "modelSlot": slot,
        "production": status.production_id,
        "productionName": status.production_name,
        "productionVersion": status.production_version,
        "experimental": status.experimental_id,
        "device": status.device,
        "computeType": status.compute_type,
        "breaker": status.breaker,
        "error": {"code": status.error_code, "message": status.error_message} if status.error_code else None,
        "queueDepth": status.queue_depth,
        "languages": list(status.languages),
        "workerPid": status.worker_pid,
        "slo": {slot_id: stats.as_dict() for slot_id, stats in status.slo.items()},
        "engine": {"where": "in-process"},
    }


def serve_args(config: EngineConfig) -> list[str]:
    """The options a language server gives the shared local engine it starts (its own settings)."""
    store = ["--store", str(config.store_path)] if config.store_path else []
    return [*store, "--device", config.device, "--model-timeout-ms", str(int(config.timeout_s * 1000)),
            "--shadow-sample", str(config.shadow_sample)]


class ModelBridge:
    """Owns the server's :class:`ModelEngine` (or none, when the model is off). It reports through
    the server's log, sends status notifications with ``notify`` and calls ``on_ready`` when the
    engine can take requests (callbacks, so this module does not import the server's)."""

    def __init__(
        self, log: ClientLog, notify: Callable[[str, Any], None], on_ready: Callable[[], None]
    ) -> None:
        self.log = log
        self._send = notify
        self._on_ready = on_ready
        self._local: ModelEngine | None = None
        self._remote: RemoteEngine | None = None  # with engine.url: the engine elsewhere
        self._config: EngineConfig | None = None
        self._where: Where | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._start: asyncio.TimerHandle | None = None
        self._creating: asyncio.Future[None] | None = None
        self._failed: EngineStatus | None = None  # the runtime did not import: rules only
        self._lock = threading.Lock()

    @property
    def engine(self) -> ModelEngine | RemoteEngine | None:
        return self._remote or self._local

    @property
    def in_process(self) -> ModelEngine | None:
        """The engine when it runs in this process (its metrics are exported with the server's)."""
        return self._local

    @property
    def ready(self) -> bool:
        engine = self.engine
        return engine is not None and engine.status().mode == "ready"

    @property
    def loading(self) -> bool:
        """Whether the model is on and still loading: its start is pending (a moment after
        ``initialized``), the runtime is being imported, or the engine is loading its slot."""
        if self._start is not None or self._creating is not None:
            return True
        engine = self.engine
        return engine is not None and engine.status().mode == "loading"

    def configure(self, settings: Settings, *, delay: float = START_DELAY_S) -> None:
        """Start, restart or stop the engine for ``settings`` (on the event loop)."""
        self._loop = asyncio.get_running_loop()
        config = engine_config(settings)
        try:
            from coderev.server.engine_api.shared import parse_engine_url

            where = parse_engine_url(settings.engine_url)
        except CoderevError as error:
            self.log.show(error)
            where = None
        pending = self.engine is not None or self._start is not None or self._creating is not None
        if config == self._config and where == self._where and (pending or not config.enabled):
            return
        self.stop()
        self._config, self._where = config, where
        if not config.enabled:
            self._notify(None)
            return
        self._start = self._loop.call_later(delay, self._begin, config)

    def _begin(self, config: EngineConfig) -> None:
        self._start = None
        if config is self._config:
            self._creating = asyncio.ensure_future(self._create(config))

    async def _create(self, config: EngineConfig) -> None:
        """Import the runtime in a thread (ctranslate2 takes a few hundred milliseconds to import,
        which must not stall the event loop), then start the engine (or the client of one elsewhere)."""
        if self._where is not None:
            await self._connect(config, self._where)
            return
        try:
            module = await asyncio.get_running_loop().run_in_executor(None, importlib.import_module,
                                                                      "coderev.engine.runtime.engine")
        except ImportError as exc:  # a build without ctranslate2 serves rules only
            error = CoderevError("PRV001", f"the model runtime is not installed ({exc}); serving rules only")
            self.log.show(error)
            self._failed = EngineStatus(mode="fallback", error_code=error.code, error_message=error.detail)
            self._notify(self._failed)
            return
        finally:
            self._creating = None
        if config is not self._config or self.engine is not None:
            return  # reconfigured or stopped meanwhile
        engine: ModelEngine = module.ModelEngine(config)
        engine.add_listener(self._changed)
        self._local = engine
        engine.start()

    async def _connect(self, config: EngineConfig, where: Where) -> None:
        try:
            module = await asyncio.get_running_loop().run_in_executor(None, importlib.import_module,
                                                                      "coderev.server.engine_api.remote")
        finally:
            self._creating = None
        if config is not self._config or self.engine is not None:
            return
        remote: RemoteEngine = module.RemoteEngine(
            where, timeout_s=config.timeout_s, health_interval_s=config.health_interval_s,
            on_warning=lambda text: self.log.warning(f"model engine at {where.label}: {text}"),
            spawn_args=serve_args(config))
        remote.add_listener(self._changed)
        self._remote = remote
        self.log.info(f"model engine: using the engine at {where.label}")
        remote.start()

    def fix(self, snapshot: Snapshot, finding: Finding, unit: FixUnit, *, key: str, version: int
            ) -> Future[AiFix | None] | None:
        """A model fix of ``finding`` (in ``snapshot``) for its fix ``unit``; None without an engine."""
        if self._remote is not None:
            return self._remote.fix_unit(snapshot, finding, unit, key=key, version=version)
        if self._local is not None:
            return self._local.fix(unit.text, unit.finding, key=key, version=version, style=unit.style)
        return None

    def accepted(self, slot_id: str, event: dict[str, Any]) -> None:
        """The user applied an AI fix of ``slot_id``: it counts for the slot's acceptance rate."""
        if self._remote is not None:
            self._remote.record_feedback(slot_id, True, event)
        elif self._local is not None:
            self._local.record_feedback(slot_id, True)

    def stop(self) -> None:
        """Stop the engine (its worker processes end), or its pending start; idempotent."""
        self._config = None
        self._where = None
        self._failed = None
        if self._start is not None:
            self._start.cancel()
            self._start = None
        engine, self._local, self._remote = self.engine, None, None
        if engine is not None:
            threading.Thread(target=engine.stop, name="coderev-engine-stop", daemon=True).start()

    def status(self) -> dict[str, Any]:
        if self._remote is not None:
            return self._remote.payload()
        if self._where is not None and self._config is not None and self._config.enabled:
            return {**status_payload(EngineStatus(mode="loading")), "engine": {"where": self._where.label}}
        engine = self.engine
        if engine is None and self._failed is not None:
            return status_payload(self._failed)
        if engine is None and self._config is not None and self._config.enabled:
            return status_payload(EngineStatus(mode="loading"))  # starting a moment after initialize
        return status_payload(engine.status() if engine is not None else None)

    def _changed(self, status: EngineStatus) -> None:
        """An engine listener: any thread; the notification goes out from the event loop."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        loop.call_soon_threadsafe(self._notify, status)

    def _notify(self, status: EngineStatus | None) -> None:
        payload = self._remote.payload() if self._remote is not None else status_payload(status)
        if payload.get("error"):
            self.log.warning(f"model engine: {payload['error']['code']} {payload['error']['message']}")
        try:
            self._send(STATUS, payload)
        except Exception as exc:  # a client that is gone or does not want it
            self.log.debug(f"{STATUS} not sent: {exc}")
        if status is not None and status.mode == "ready":
            self._on_ready()

