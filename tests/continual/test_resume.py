"""A learn run killed with SIGKILL right after a checkpoint resumes to the very weights of an
uninterrupted run with the same seed (every method's state checkpointed: Fisher, SI's omegas,
PackNet's masks, LwF's teacher is the base; plus optimizer, RNG and data position)."""

from __future__ import annotations

import importlib.util
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.continual.resume_child import run

ROOT = Path(__file__).resolve().parents[2]


def _child(work: Path, kill_after: int) -> int:
    return subprocess.run([sys.executable, "-m", "tests.continual.resume_child", str(work), str(kill_after)],
                          cwd=ROOT, timeout=240, check=False).returncode


@pytest.mark.slow
@pytest.mark.skipif(
    importlib.util.find_spec("torch") is None or importlib.util.find_spec("transformers") is None,
    reason="continual learning needs the train extra (torch, transformers)",
)
def test_killed_runs_resume_to_the_uninterrupted_result(tmp_path: Path) -> None:
    import torch

    reference = run(tmp_path / "reference", 0).state_dict()
    work = tmp_path / "killed"
    assert _child(work, 1) == -signal.SIGKILL  # after the first checkpoint (step 2)
    first = torch.load(work / "checkpoint.pt", weights_only=False)
    assert first["position"]["step"] == 2 and not (work / "final.pt").exists()
    assert _child(work, 2) == -signal.SIGKILL  # resumed, killed again after step 6's checkpoint
    assert torch.load(work / "checkpoint.pt", weights_only=False)["position"]["step"] == 6
    assert _child(work, 0) == 0
    resumed = torch.load(work / "final.pt", weights_only=False)
    assert resumed.keys() == reference.keys()
    for name, value in reference.items():
        assert torch.allclose(resumed[name], value, rtol=0, atol=1e-6), name
