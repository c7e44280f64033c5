"""Crash safety of the feedback store: a writer killed with SIGKILL at a random moment loses no
acknowledged event, and the store (with the learning state written in the same transaction)
opens cleanly afterwards."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from coderev.engine.feedback import EventKind, FeedbackEvent, FeedbackStore
from coderev.engine.learning.learner import Learner

ROOT = Path(__file__).resolve().parents[2]
# Records events as fast as it can, through the learner (event + model state in one transaction),
# and prints each index only after observe() has returned: that line is the acknowledgement.
WRITER = """
import sys
from pathlib import Path
from coderev.engine.feedback import EventKind, FeedbackEvent, FeedbackStore
from coderev.engine.learning.learner import Learner

learner = Learner(FeedbackStore(Path(sys.argv[1])))
i = 0
while True:
    kind = EventKind.DISMISS if i % 3 else EventKind.ACCEPT
    learner.observe(FeedbackEvent(kind=kind, rule_id="python.weak-crypto.weak-hash", fingerprint=f"{i:020d}",
                                  language="python", context="h = hashlib.md5(data)", path="app/x.py"))
    print(i, flush=True)
    i += 1
"""


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_acknowledged_events_survive_sigkill(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    directory = tmp_path / "store"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(directory)], stdout=subprocess.PIPE, text=True, env=env, cwd=ROOT
    )
    assert proc.stdout is not None
    acknowledged: list[int] = []
    wanted = rng.randint(5, 60)
    deadline = time.monotonic() + 60
    while len(acknowledged) < wanted and time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        acknowledged.append(int(line))
    time.sleep(rng.uniform(0, 0.02))  # kill somewhere inside a later record(), not just between them
    proc.send_signal(signal.SIGKILL)
    # printed before the kill landed: read through the text buffer, which readline() may have
    # filled ahead (communicate(timeout=...) reads the raw pipe and would miss those lines)
    rest = proc.stdout.read()
    proc.wait(timeout=30)
    acknowledged += [int(x) for x in rest.split()]
    assert proc.returncode == -signal.SIGKILL
    assert len(acknowledged) >= wanted, "the writer did not get going"

    store = FeedbackStore(directory)
    stored = [int(e.fingerprint) for e in store.events()]
    assert set(acknowledged) <= set(stored)
    assert sorted(stored) == list(range(len(stored)))  # no gaps, no duplicates, no half events
    assert len(stored) - len(acknowledged) <= 1  # at most the one in flight, committed but unprinted
    learner = Learner(store)  # the state written with the events is consistent with them
    assert learner.last_error is None and learner.model.updates == len(stored)
    learner.observe(FeedbackEvent(kind=EventKind.DISMISS, rule_id="r.f.n", fingerprint="x" * 20,
                                  language="python", context=""))
    assert len(list(store.events())) == len(stored) + 1
    store.close()
