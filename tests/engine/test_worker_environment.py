"""A broken worker environment is not evidence against a slot: when the model worker cannot import
its runtime or use the configured device, the engine serves rules only for the session (PRV001,
saying why) and leaves the healthy slot where it is; a slot whose own files are bad is still
quarantined (tests/engine/test_engine.py)."""

from __future__ import annotations

import time
from pathlib import Path

import ctranslate2
import pytest

from coderev.analyzers import Analyzer
from coderev.engine.runtime.api import EngineConfig
from coderev.engine.runtime.engine import ModelEngine
from coderev.engine.slots.store import SlotStore
from tests.engine.conftest import wait_for


def _rules_only_and_slot_untouched(tmp_path: Path, engines: list[ModelEngine], expected: str,
                                   **config: object) -> None:
    store = SlotStore(tmp_path / "store")
    store.ensure_default()
    default = store.production()
    assert default is not None
    engine = ModelEngine(EngineConfig(store_path=tmp_path / "store", health_interval_s=0.2,  # type: ignore[arg-type]
                                      breaker_base_backoff_s=0.1, breaker_max_backoff_s=0.2, **config), Analyzer())
    engines.append(engine)
    engine.start()
    wait_for(lambda: engine.status().mode != "loading")
    status = engine.status()
    assert (status.mode, status.error_code, status.production_id) == ("fallback", "PRV001", None)
    assert status.error_message is not None and expected in status.error_message
    assert "rules-only" in status.error_message
    time.sleep(1.0)  # several health ticks and breaker backoffs: nothing retries a deterministic failure
    again = engine.status()
    assert (again.mode, again.error_code, again.breaker) == ("fallback", "PRV001", "closed")
    reopened = SlotStore(tmp_path / "store")
    production = reopened.production()
    assert production is not None and production.id == default.id, "the healthy slot stays in V2"
    assert reopened.quarantined() == []
    assert [t.action for t in reopened.history()] == ["install"]


def test_a_runtime_the_worker_cannot_import_leaves_the_slot_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, engines: list[ModelEngine]
) -> None:
    """ctranslate2 broken on disk after the server imported it (a half-finished upgrade of the
    environment): every worker fails to import it, which says nothing about the slot."""
    broken = tmp_path / "env" / "ctranslate2"
    broken.mkdir(parents=True)
    (broken / "__init__.py").write_text("raise ImportError('ctranslate2 is half-upgraded')\n")
    monkeypatch.syspath_prepend(str(broken.parent))  # where this (the server's) process imports from
    monkeypatch.setenv("PYTHONPATH", str(broken.parent))
    _rules_only_and_slot_untouched(tmp_path, engines, "ctranslate2 is half-upgraded")


@pytest.mark.skipif(ctranslate2.get_cuda_device_count() > 0, reason="needs a machine where CUDA cannot be used")
def test_a_device_the_worker_cannot_use_leaves_the_slot_alone(tmp_path: Path, engines: list[ModelEngine]) -> None:
    _rules_only_and_slot_untouched(tmp_path, engines, "cuda", device="cuda")
