"""What ``ModelEngine.status()`` says: never a torn mix of two states, and the real cause when
there is no production slot (a quarantined slot's PRV004 with its hash-check detail, not a bare
PRV001). Real store, real worker processes, real default slot."""

from __future__ import annotations

import stat
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import Any

from coderev.analyzers import Analyzer, Document, get_language
from coderev.engine.runtime.api import EngineConfig, EngineStatus
from coderev.engine.runtime.engine import ModelEngine
from coderev.engine.runtime.serving import SlotManager
from coderev.engine.runtime.slo import SloConfig
from coderev.engine.slots.store import SlotStore
from tests.engine.conftest import wait_for

ANALYZER = Analyzer()
SOURCE = "def load(doc):\n    return yaml.load(doc)\n"


def _config(tmp_path: Path, **overrides: Any) -> EngineConfig:
    return EngineConfig(store_path=tmp_path / "store", shadow_sample=0.0, timeout_s=5.0, health_interval_s=0.5,
                        breaker_base_backoff_s=0.2, breaker_max_backoff_s=1.0, **overrides)


def test_status_never_shows_a_vacant_production_slot_without_its_error(
    tmp_path: Path, engines: list[ModelEngine]
) -> None:
    """The lifecycle thread reads ``status()`` the instant the slot manager's reconcile returns,
    which is where the production slot had been cleared but the error not yet set: a demotion to
    rules-only must be published as one change."""
    seen: list[EngineStatus] = []
    slo = SloConfig(p95_latency_s=1e-6, window=20, min_samples=3, min_shadow_samples=3)
    engine = ModelEngine(_config(tmp_path, slo=slo), ANALYZER)
    engines.append(engine)
    reconcile = SlotManager.reconcile.__code__

    def hook(frame: FrameType, event: str, arg: object) -> None:
        if threading.current_thread().name != "coderev-model-lifecycle":
            sys.setprofile(None)  # profile the lifecycle thread only
        elif event == "return" and frame.f_code is reconcile:
            seen.append(engine.status())

    threading.setprofile(hook)  # type: ignore[arg-type]
    try:
        engine.start()
        wait_for(lambda: engine.status().mode == "ready")
        finding = ANALYZER.analyze(Document(SOURCE, get_language("python")))[0]
        for i in range(3):  # every answer breaks a p95 of a microsecond: the policy demotes V2
            engine.fix(SOURCE, finding, key=f"slow{i}", version=1).result(30)
        wait_for(lambda: any(s.production_id is None for s in seen))  # the demotion's reconcile returned
    finally:
        threading.setprofile(None)  # type: ignore[arg-type]
    vacant = [s for s in seen if s.production_id is None]
    assert all(s.error_code == "PRV001" and s.mode == "fallback" for s in vacant), vacant


def test_a_quarantined_slot_is_the_reason_given_for_rules_only(tmp_path: Path, engines: list[ModelEngine]) -> None:
    store = SlotStore(tmp_path / "store")
    store.ensure_default()
    production = store.production()
    assert production is not None
    model = production.path / "model.bin"
    model.chmod(model.stat().st_mode | stat.S_IWUSR)
    data = bytearray(model.read_bytes())
    data[500] ^= 0xFF
    model.write_bytes(bytes(data))
    for _ in range(2):  # the session that quarantines it, and every later one
        engine = ModelEngine(_config(tmp_path), ANALYZER)
        engines.append(engine)
        engine.start()
        wait_for(lambda e=engine: e.status().mode != "loading")  # type: ignore[misc]
        status = engine.status()
        assert (status.mode, status.error_code) == ("fallback", "PRV004"), status
        assert status.error_message is not None
        assert production.id in status.error_message and "PRV002" in status.error_message
        assert "model.bin" in status.error_message
        engine.stop()


def test_status_does_not_wait_for_the_analyzer_being_built(tmp_path: Path, engines: list[ModelEngine]) -> None:
    """The lifecycle thread builds the engine's analyzer (every rule compiled: seconds on a busy
    machine) before it loads a slot. ``status()``, which the language server calls on its event
    loop for every code-action request, must not wait for that: it stalled Ctrl+. for seconds
    right after start. The lifecycle thread is held inside ``Analyzer.__init__`` meanwhile."""
    engine = ModelEngine(_config(tmp_path))  # no analyzer given: the lifecycle thread builds one
    engines.append(engine)
    building, release = threading.Event(), threading.Event()
    init = Analyzer.__init__.__code__

    def hook(frame: FrameType, event: str, arg: object) -> None:
        if threading.current_thread().name != "coderev-model-lifecycle":
            sys.setprofile(None)  # profile the lifecycle thread only
        elif event == "call" and frame.f_code is init and not building.is_set():
            building.set()
            release.wait(30)

    answers: list[EngineStatus] = []
    threading.setprofile(hook)  # type: ignore[arg-type]
    try:
        engine.start()
        assert building.wait(30), "the lifecycle thread did not build an analyzer"
        asking = threading.Thread(target=lambda: answers.append(engine.status()), daemon=True)
        asking.start()
        asking.join(2.0)
        assert answers, "status() waited for the analyzer being built"
        assert answers[0].mode == "loading"
    finally:
        threading.setprofile(None)  # type: ignore[arg-type]
        release.set()
