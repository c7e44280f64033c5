"""The learning scheduler: its gates (with a fake clock where time is the subject), real child
processes (tests/learn_standin.py behaves like ``coderev model learn``), real CPU accounting and
the status file."""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from coderev.engine.learning.scheduler import LearningScheduler, ScheduleSettings
from coderev.engine.learning.system import STATUS_FILE, on_ac_power, process_cpu_seconds, read_status
from coderev.engine.learning.tasks import LearningTasks

STANDIN = (sys.executable, str(Path(__file__).parent.parent / "learn_standin.py"))
DAY = 86_400.0


class Source:
    def __init__(self, pairs: int = 25, rules: tuple[Path, ...] = (), negatives: int = 0) -> None:
        self.pairs, self.rules, self.negatives = pairs, rules, negatives

    def count(self) -> int:
        return self.pairs

    def rule_dirs(self) -> tuple[Path, ...]:
        return self.rules

    def export(self, directory: Path) -> LearningTasks:
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "pairs.jsonl").write_text("{}\n" * self.pairs)
        (directory / "negatives.jsonl").write_text("{}\n" * self.negatives)
        return LearningTasks(directory / "pairs.jsonl", directory / "negatives.jsonl", self.pairs, self.negatives,
                             self.rules)


class Clock:
    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset


@pytest.fixture
def made() -> Iterator[list[LearningScheduler]]:
    schedulers: list[LearningScheduler] = []
    yield schedulers
    for scheduler in schedulers:
        scheduler.close(timeout_s=5)


def _scheduler(made: list[LearningScheduler], tmp_path: Path, source: Source, clock: Clock, *,
               power: bool | None = True, **settings: Any) -> LearningScheduler:
    options: dict[str, Any] = {"min_pairs": 20, "idle_minutes": 1.0, "cpu_budget_s": 60.0,
                               "checkpoint_minutes": 0.002, "stop_grace_s": 5.0} | settings
    scheduler = LearningScheduler(tmp_path / "learning", ScheduleSettings(**options), source, command=STANDIN,
                                  clock=clock, power=lambda: power)
    made.append(scheduler)
    return scheduler


def _until_done(scheduler: LearningScheduler, timeout: float = 20.0) -> dict[str, Any]:
    """Tick until no child runs (bounded); the ticks are the polling."""
    deadline = time.monotonic() + timeout
    status = scheduler.tick()
    while status["pid"] is not None:
        assert time.monotonic() < deadline, "the learning run did not end in time"
        time.sleep(0.02)
        status = scheduler.tick()
    return status


def _runs(scheduler: LearningScheduler) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (scheduler.work / "runs.jsonl").read_text().splitlines()]


def test_gates_idle_power_and_pairs(made: list[LearningScheduler], tmp_path: Path) -> None:
    clock, source = Clock(), Source(pairs=5)
    scheduler = _scheduler(made, tmp_path, source, clock, idle_minutes=10.0)
    status = scheduler.tick()
    assert status["state"] == "waiting" and status["reason"].startswith("the user is active")
    assert status["next_eligible"] == pytest.approx(clock() + 600, abs=2)
    clock.offset += 601
    status = scheduler.tick()
    assert status["reason"] == "5 new training pairs of 20 needed (setting learning.minPairs)"
    assert status["next_eligible"] is None and status["power"] == "ac"
    scheduler.activity()
    assert scheduler.tick()["reason"].startswith("the user is active"), "a keystroke restarts the idle wait"
    battery = _scheduler(made, tmp_path / "b", Source(), clock, power=False, idle_minutes=0.0)
    assert battery.tick()["reason"] == "on battery power"
    off = _scheduler(made, tmp_path / "c", Source(), clock, enabled=False)
    assert off.tick()["reason"] == "learning is disabled (setting learning.enabled)"
    assert not (tmp_path / "learning" / "work" / "runs.jsonl").exists(), "no run while a gate is closed"


def test_a_run_when_every_gate_opens(made: list[LearningScheduler], tmp_path: Path) -> None:
    clock, source = Clock(), Source(pairs=25)
    scheduler = _scheduler(made, tmp_path, source, clock, power=None, idle_minutes=0.0)
    started = scheduler.tick()
    assert started["state"] == "running" and started["power"] == "unknown (treated as AC)"
    status = _until_done(scheduler)
    assert status["last_run"]["outcome"] == "done" and status["last_run"]["cpu_s"] > 0
    assert status["pairs_learned"] == 25 and status["resume"] is False
    assert status["reason"] == "0 new training pairs of 20 needed (setting learning.minPairs)"
    assert status["checkpoint_age_s"] is not None and status["checkpoint_age_s"] < 60
    [run] = _runs(scheduler)
    pairs = str(tmp_path / "learning" / "tasks" / "pairs.jsonl")
    assert run["argv"] == ["--method", "replay", "--pairs", pairs, "--checkpoint-minutes", "0.002"]
    on_disk = read_status(tmp_path / "learning")
    assert on_disk is not None and on_disk["format"] == 1
    assert {k: on_disk[k] for k in ("state", "budget", "last_run")} == {k: status[k] for k in ("state", "budget",
                                                                                                "last_run")}
    assert on_disk["budget"]["used_s"] == pytest.approx(run_cpu := status["last_run"]["cpu_s"], abs=0.01)
    assert on_disk["budget"]["left_s"] == pytest.approx(60.0 - run_cpu, abs=0.01)
    assert not list((tmp_path / "learning").glob(f".{STATUS_FILE}.*")), "written atomically, no leftovers"
    # a team's rule dir of an unseen family is a task of its own, even without new pairs
    source.rules = (tmp_path / "team-rules",)
    _until_done(scheduler)
    assert _runs(scheduler)[-1]["argv"][2:4] == ["--rules", str(tmp_path / "team-rules")]
    assert scheduler.tick()["rules_learned"] == [str(tmp_path / "team-rules")]


def test_a_run_learns_into_the_engines_store(made: list[LearningScheduler], tmp_path: Path) -> None:
    """With ``model.storePath`` set, the run starts from and installs into that store, not the default."""
    scheduler = _scheduler(made, tmp_path, Source(pairs=25, negatives=3), Clock(), idle_minutes=0.0,
                           store=tmp_path / "slots")
    scheduler.tick()
    _until_done(scheduler)
    [run] = _runs(scheduler)
    assert run["argv"][-2:] == ["--store", str(tmp_path / "slots")]
    assert run["argv"][6:8] == ["--negatives", str(tmp_path / "learning" / "tasks" / "negatives.jsonl")]


def test_budget_warns_at_80_stops_at_100_and_the_next_window_resumes(
        made: list[LearningScheduler], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setenv("STANDIN_BURN_S", "30")  # far over the budget
    clock = Clock()
    scheduler = _scheduler(made, tmp_path, Source(), clock, idle_minutes=0.0, cpu_budget_s=1.0)
    with caplog.at_level(logging.WARNING, logger="coderev.learning"):
        status = _until_done(scheduler)
    codes = [r.__dict__.get("code") for r in caplog.records]
    assert codes == ["DAT007", "DAT008"], codes
    assert status["last_run"]["outcome"] == "stopped: CPU budget spent" and status["resume"] is True
    used = status["budget"]["used_s"]
    assert 1.0 <= used < 1.5, f"{used} CPU seconds measured against a budget of 1"
    assert status["reason"] == "today's CPU budget is spent" and status["next_eligible"] > clock()
    assert status["warning"].startswith("DAT008") and status["budget"]["ratio"] >= 1.0
    assert len(list((scheduler.work / "checkpoints").iterdir())) >= 1, "the child checkpointed on SIGTERM"
    # the next day's window: a fresh budget, and the run resumes from the checkpoint
    monkeypatch.setenv("STANDIN_BURN_S", "0.1")
    clock.offset += DAY
    again = _scheduler(made, tmp_path, Source(), clock, idle_minutes=0.0, cpu_budget_s=1.0)  # after a restart
    assert again.tick()["budget"]["used_s"] == 0.0
    status = _until_done(again)
    assert [run["resume"] for run in _runs(again)] == [False, True]
    assert status["last_run"]["outcome"] == "done" and status["resume"] is False


def test_a_failed_run_is_reported_and_retried_later(made: list[LearningScheduler], tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch,
                                                   caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setenv("STANDIN_EXIT", "3")
    clock = Clock()
    scheduler = _scheduler(made, tmp_path, Source(), clock, idle_minutes=0.0, checkpoint_minutes=5.0)
    with caplog.at_level(logging.ERROR, logger="coderev.learning"):
        status = _until_done(scheduler)
    assert [r.__dict__.get("code") for r in caplog.records] == ["DAT009"]
    assert status["last_run"]["outcome"] == "exited with 3" and status["resume"] is True
    assert status["reason"] == "the last run failed; waiting before retrying"
    assert status["next_eligible"] == pytest.approx(clock() + 300, abs=5)


def test_power_supply_and_proc_readings(tmp_path: Path) -> None:
    assert on_ac_power(tmp_path / "absent") is None
    for name, kind, online in (("BAT0", "Battery", "1"), ("AC", "Mains", "0")):
        (tmp_path / name).mkdir()
        (tmp_path / name / "type").write_text(kind + "\n")
        (tmp_path / name / "online").write_text(online + "\n")
    assert on_ac_power(tmp_path) is False
    (tmp_path / "AC" / "online").write_text("1\n")
    assert on_ac_power(tmp_path) is True
    (tmp_path / "AC" / "type").write_text("Battery\n")
    assert on_ac_power(tmp_path) is None, "no mains supply listed: the OS does not say"
    cpu = process_cpu_seconds(__import__("os").getpid())
    assert cpu is None or cpu >= 0


def test_the_metrics_read_the_scheduler(made: list[LearningScheduler], tmp_path: Path) -> None:
    from coderev.engine.metrics import EngineCollector, LearningMeter

    scheduler = _scheduler(made, tmp_path, Source(), Clock(), idle_minutes=0.0, cpu_budget_s=2.0)
    meter = LearningMeter(scheduler=scheduler)
    assert meter.checkpoint_age_s() is None and meter.usage_ratio() == 0.0
    status = _until_done(scheduler)
    values = {m.name: m.samples[0].value for m in EngineCollector.learning_metrics(meter)}
    assert values["coderev_cost_usage_ratio"] == pytest.approx(status["budget"]["used_s"] / 2.0, abs=1e-3)
    assert 0 <= values["coderev_checkpoint_age_seconds"] < 60
