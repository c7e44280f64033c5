"""Fixtures shared by the engine tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from coderev.engine.slots import SlotStore


@pytest.fixture
def store(tmp_path: Path) -> SlotStore:
    """A slot store on disk holding the packaged default slot as production."""
    created = SlotStore(tmp_path / "slots")
    created.ensure_default()
    return created
