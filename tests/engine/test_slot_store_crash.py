"""The slot store's history is its source of truth: a kill -9 at any point leaves a history and a
``state.json`` that agree, and a destroyed ``state.json`` is rebuilt to the true roles.

Real files, real subprocesses killed with SIGKILL (at named steps through the store's crash hook,
and at seeded random moments through fuzz/slot_store.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from coderev.engine.slots import SlotStore
from coderev.engine.slots.atomic import CRASH_ENV
from coderev.engine.slots.state import read_history, replay
from fuzz.slot_store import make_sources, trial

REPO = Path(__file__).resolve().parents[2]
CRASH_SCRIPT = """
import sys
from pathlib import Path
from coderev.engine.slots import SlotStore
store = SlotStore(Path(sys.argv[1]))
if sys.argv[2] == "install":
    store.install(Path(sys.argv[3]), "V1", "crash test")
else:
    store.promote("crash test")
"""


def roles(store: SlotStore) -> dict[str, str]:
    return {s.id: s.role for s in store.all()}


def history_roles(root: Path) -> dict[str, str]:
    return replay(read_history(root / "history.jsonl")).roles()


def _crash(root: Path, operation: str, step: str, source: Path) -> None:
    env = {**os.environ, CRASH_ENV: step, "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, "-c", CRASH_SCRIPT, str(root), operation, str(source)],
                          env=env, cwd=REPO, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == -9, done.stderr


@pytest.mark.parametrize(("operation", "step"), [
    *(("install", step) for step in ("copied", "version-placed", "state-temp", "history-appended", "state-replaced")),
    *(("promote", step) for step in ("state-temp", "history-appended", "state-replaced")),
])
def test_a_kill_at_any_step_leaves_history_and_state_in_agreement(tmp_path: Path, operation: str, step: str) -> None:
    root = tmp_path / "slots"
    store = SlotStore(root)
    store.ensure_default()
    [source] = make_sources(tmp_path, ("2.0.0",))
    if operation == "promote":
        store.install(source, "V1", "before the crash")
    _crash(root, operation, step, source)
    reopened = SlotStore(root)
    after = roles(reopened)
    assert after == history_roles(root), "the history records every transition state.json holds"
    committed = [t for t in reopened.history() if t.reason == "crash test"]
    assert bool(committed) == (step in ("history-appended", "state-replaced"))
    assert json.loads((root / "state.json").read_text()) == replay(reopened.history()).to_json()
    (root / "state.json").write_text("{damaged")
    assert roles(SlotStore(root)) == after, "recovery from the history reproduces the true roles"


def test_a_torn_transaction_is_discarded_whole(tmp_path: Path) -> None:
    """A promotion is two records (the old V2 superseded, V1 promoted); if only the first reached
    the disk, replaying it alone would leave no production slot: the transaction is dropped."""
    store = SlotStore(tmp_path / "slots")
    store.ensure_default()
    [source] = make_sources(tmp_path, ("2.0.0",))
    store.install(source, "V1", "candidate")
    before = roles(store)
    store.promote("better")
    history = tmp_path / "slots" / "history.jsonl"
    lines = history.read_text().splitlines(keepends=True)
    history.write_text("".join(lines[:-1]))  # the promotion's second record never made it
    assert roles(SlotStore(tmp_path / "slots")) == before
    promoted = store.promote("again")  # the store goes on from there
    assert promoted.slot_id == next(i for i, r in before.items() if r == "V1")
    assert roles(store) == history_roles(tmp_path / "slots")


def test_a_store_from_an_earlier_coderev_keeps_the_transition_its_history_missed(tmp_path: Path) -> None:
    """Earlier versions replaced state.json first and appended the history after: a kill between
    the two left a state.json one transition ahead. Opening such a store adopts that state and
    records the difference, so the history is complete from then on."""
    root = tmp_path / "slots"
    store = SlotStore(root)
    store.ensure_default()
    [source] = make_sources(tmp_path, ("2.0.0",))
    store.install(source, "V1", "candidate")
    expected = roles(store)
    history = root / "history.jsonl"
    history.write_text("".join(history.read_text().splitlines(keepends=True)[:-1]))  # the install, lost
    for marker in root.glob("format*"):
        marker.unlink()  # as an earlier coderev left the store
    reopened = SlotStore(root)
    assert roles(reopened) == expected
    assert reopened.history()[-1].action == "recover"
    (root / "state.json").write_text("{damaged")
    assert roles(SlotStore(root)) == expected


@pytest.mark.slow
def test_kill_9_trial_history_and_state_always_agree(tmp_path: Path) -> None:
    """32 runs of a subprocess doing transitions in a loop, each killed with SIGKILL after a seeded
    delay (``python fuzz/slot_store.py`` runs 200)."""
    result = trial(tmp_path / "slots", make_sources(tmp_path), kills=32, seed=7)
    assert result.kills == 32
    assert result.inconsistencies == []
    assert result.operations >= 32, "the kills landed while the store was working"
