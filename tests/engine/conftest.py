"""Fixtures shared by the engine tests."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from coderev.engine.runtime.engine import ModelEngine
from coderev.engine.slots import SlotStore


def wait_for(condition: Callable[[], bool], timeout: float = 60.0) -> None:
    """Poll ``condition`` until it holds; fail the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.02)


@pytest.fixture
def engines() -> Iterator[list[ModelEngine]]:
    """Engines a test starts, stopped after it."""
    created: list[ModelEngine] = []
    yield created
    for engine in created:
        engine.stop()


@pytest.fixture
def store(tmp_path: Path) -> SlotStore:
    """A slot store on disk holding the packaged default slot as production."""
    created = SlotStore(tmp_path / "slots")
    created.ensure_default()
    return created
