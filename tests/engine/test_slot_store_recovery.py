"""The slot store after crashes: a failed rename, SIGKILL at each step of a transition, and a
damaged state file rebuilt from the history (split from test_slot_store.py; same real slots)."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from coderev.analyzers.errors import CoderevError
from coderev.engine.slots import SlotStore
from coderev.engine.slots.atomic import CRASH_ENV
from tests.engine.test_slot_store import (
    DEFAULT_ID,
    REPO,
    make_slot,
    production_id,
    roles,
    slot_id,
)


def test_a_failed_rename_leaves_the_old_state_and_the_next_open_cleans_up(
    store: SlotStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_replace = os.replace

    def failing_replace(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
        if Path(src).name.startswith(".tmp-"):
            raise OSError(28, "No space left on device")
        real_replace(src, dst)

    state = (store.root / "state.json").read_bytes()
    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(CoderevError, match=r"^DAT004"):
        store.install(make_slot(tmp_path, "2.0.0"))
    monkeypatch.setattr(os, "replace", real_replace)
    assert any(p.name.startswith(".tmp-") for p in store.versions.iterdir())
    reopened = SlotStore(store.root)
    assert not any(p.name.startswith(".tmp-") for p in store.versions.iterdir())
    assert (store.root / "state.json").read_bytes() == state
    assert roles(reopened) == {DEFAULT_ID: "V2"}


CRASH_SCRIPT = """
import sys
from pathlib import Path
from coderev.analyzers.errors import CoderevError
from coderev.engine.slots import SlotStore
from coderev.engine.slots.atomic import CRASH_ENV
store = SlotStore(Path(sys.argv[1]))
if sys.argv[2] == "install":
    store.install(Path(sys.argv[3]))
else:
    store.promote("crash test")
"""


@pytest.mark.parametrize(("operation", "step", "committed"), [
    ("install", "copied", False), ("install", "version-placed", False), ("install", "state-temp", False),
    ("install", "state-replaced", True), ("install", "history-appended", True),
    ("promote", "state-temp", False), ("promote", "state-replaced", True),
])
def test_sigkill_at_each_step_leaves_the_old_or_the_new_state(
    tmp_path: Path, operation: str, step: str, committed: bool
) -> None:
    root = tmp_path / "slots"
    store = SlotStore(root)
    store.ensure_default()
    source = make_slot(tmp_path, "2.0.0")
    if operation == "promote":
        store.install(source)
    before = roles(store)
    env = {**os.environ, CRASH_ENV: step, "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, "-c", CRASH_SCRIPT, str(root), operation, str(source)],
                          env=env, cwd=REPO, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == -9, done.stderr
    reopened = SlotStore(root)
    after = roles(reopened)
    expected = ({DEFAULT_ID: "V2", slot_id("2.0.0"): "V1"} if operation == "install"
                else {slot_id("2.0.0"): "V2", DEFAULT_ID: "V3"})
    assert after == (expected if committed else before)
    assert sorted(p.name for p in reopened.versions.iterdir()) == sorted(after)
    assert not list(root.glob(".state.json.tmp-*"))
    assert set(reopened.verify().values()) == {"ok"}
    # The store keeps working after the crash.
    if operation == "install" and not committed:
        reopened.install(source)
    assert reopened.experimental() is not None or production_id(reopened) == slot_id("2.0.0")


@pytest.mark.parametrize("damage", ["{not json", "[]", '{"V1": null, "V2": "../../etc", "V3": [], "good": []}', ""])
def test_malformed_state_is_rebuilt_from_history(
    store: SlotStore, tmp_path: Path, damage: str, caplog: pytest.LogCaptureFixture
) -> None:
    store.install(make_slot(tmp_path, "2.0.0"))
    store.promote("better")
    store.install(make_slot(tmp_path, "3.0.0"))
    expected = roles(store)
    (store.root / "state.json").write_text(damage)
    with caplog.at_level(logging.WARNING, logger="coderev.slots"):
        reopened = SlotStore(store.root)
    assert roles(reopened) == expected
    assert "rebuilt from history.jsonl" in caplog.text
    reopened.demote("check that good survived")
    assert production_id(reopened) == DEFAULT_ID


def test_malformed_state_without_history_puts_everything_in_v3_but_the_default(
    store: SlotStore, tmp_path: Path
) -> None:
    store.install(make_slot(tmp_path, "2.0.0"))
    store.promote("better")
    (store.root / "state.json").write_text('{"V1": 7}')
    (store.root / "history.jsonl").write_text("garbage\n")
    reopened = SlotStore(store.root)
    assert roles(reopened) == {DEFAULT_ID: "V2", slot_id("2.0.0"): "V3"}
    assert reopened.load_production().id == DEFAULT_ID  # type: ignore[union-attr]
    assert {t.action for t in reopened.history()} == {"recover", "install"}
