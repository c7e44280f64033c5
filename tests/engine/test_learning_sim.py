"""The issue-7 measurement on the real fixture workspace: a user who always dismisses one family
sees >= 80% fewer of its (held-out) findings after 20 dismissals; other families keep full recall."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from coderev.engine.learning.simulate import REDUCTION_TARGET, run_simulation

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"


@pytest.mark.parametrize("family", [None, "xss"])
def test_twenty_dismissals_demote_one_family_only(family: str | None) -> None:
    result = run_simulation(FIXTURES, target=family, dismissals=20)
    target = result.target_row
    assert target.measured >= 5 and target.before == target.measured  # nothing demoted up front
    assert result.reduction >= REDUCTION_TARGET, result.table()
    before, after = result.other_recall
    assert before > 50 and after == before, result.table()
    assert result.passed


def test_two_dismissals_are_not_enough_to_hide_anything() -> None:
    result = run_simulation(FIXTURES, dismissals=2)
    assert result.reduction == 0.0 and not result.passed


def test_bench_script_prints_the_table_and_sets_the_exit_code() -> None:
    ok = subprocess.run(
        [sys.executable, "bench/learning_sim.py"], check=False, cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert ok.returncode == 0, ok.stderr
    assert "reduction" in ok.stdout and ok.stdout.rstrip().endswith("PASS")
    failing = subprocess.run(
        [sys.executable, "bench/learning_sim.py", "--dismissals", "4"],
        check=False, cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert failing.returncode == 1 and failing.stdout.rstrip().endswith("FAIL")
