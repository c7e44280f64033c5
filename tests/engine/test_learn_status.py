"""``coderev model learn --status``: the scheduler's status file, read back for a workspace."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from coderev.engine.learning.system import learning_directory, write_status
from coderev.server import learn_status, model_command

STATUS = {"state": "waiting", "reason": "today's CPU budget is spent", "next_eligible": 1_800_000_000.0,
          "budget": {"day": "2026-12-03", "allowed_s": 60.0, "used_s": 61.2, "left_s": 0.0, "ratio": 1.02},
          "power": "unknown (treated as AC)", "new_pairs": 4, "min_pairs": 20, "checkpoint_age_s": 95.0,
          "resume": True, "last_run": {"task": ["pairs", "/x/pairs.jsonl"], "started": 1_799_990_000.0,
                                       "outcome": "stopped: CPU budget spent", "cpu_s": 61.2},
          "warning": "DAT008 Learning run stopped: CPU budget spent: ...", "updated": 1_799_999_000.0}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser()
    actions = parser.add_subparsers(dest="model_command")
    learn = actions.add_parser("learn")  # a stand-in for the training side's `learn` command
    learn.add_argument("--json", action="store_true")
    learn_status.add_arguments(actions)
    return parser


def test_status_reads_the_scheduler_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    workspace, cache = tmp_path / "ws", tmp_path / "cache"
    args = _parser().parse_args(["learn", "--status", "--workspace", str(workspace), "--cache-dir", str(cache)])
    assert learn_status.wants_status(args)
    assert learn_status.run(args) == learn_status.EXIT_NONE
    assert "learning.schedule" in capsys.readouterr().out
    write_status(learning_directory(workspace.resolve(), cache), STATUS)
    assert learn_status.run(args) == learn_status.EXIT_OK
    out = capsys.readouterr().out
    assert "waiting (today's CPU budget is spent)" in out and "61.2 of 60 s used, 0.0 s left" in out
    assert "unknown (treated as AC)" in out and "95 s old when the status was written" in out
    assert "resume next run:    yes" in out
    assert "stopped: CPU budget spent, 61.2 CPU s" in out and "DAT008" in out
    args = _parser().parse_args(["learn", "--status", "--json", "--workspace", str(workspace), "--cache-dir",
                                 str(cache)])
    assert learn_status.run(args) == 0
    assert json.loads(capsys.readouterr().out) == {"format": 1, **STATUS}


def test_through_the_cli_when_the_learn_command_is_there(tmp_path: Path) -> None:
    parser = argparse.ArgumentParser()
    model_command.add_arguments(parser)
    if "--status" not in parser.format_help() and not _has_learn(parser):
        pytest.skip("`coderev model learn` has not landed here")
    write_status(learning_directory(tmp_path.resolve(), tmp_path / "cache"), STATUS)
    done = subprocess.run([sys.executable, "-m", "coderev.server.cli", "model", "learn", "--status", "--json",
                           "--cache-dir", str(tmp_path / "cache")], cwd=tmp_path, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])}, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["state"] == "waiting"


def _has_learn(parser: argparse.ArgumentParser) -> bool:
    subparsers = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return any("learn" in a.choices for a in subparsers)
