"""The learning scheduler: runs ``coderev model learn`` in the background when it is worth it and
costs the user nothing they notice (docs/learning.md, "Scheduler").

A run starts only when every gate is open: learning is enabled, there are at least ``min_pairs``
new training pairs and negatives since the last successful run (or a team rule directory of a
family the slot has not seen), nobody typed for ``idle_minutes`` (the language server reports
activity), the machine is on AC power (where the OS does not say, it is treated as AC and the
status says so), and today's CPU budget is not spent. The run is a child process at the lowest
priority (nice 19, its own process group); no torch is ever imported here.

The cost controller reads the child's CPU time (``/proc/<pid>/stat`` while it runs, the exact
``wait4`` rusage when it ends), adds it to today's spending, logs ``DAT007`` at 80% of the budget
and at 100% stops the child (SIGTERM to its group, SIGKILL after ``stop_grace_s``), logging
``DAT008``; the child checkpoints every ``checkpoint_minutes``, and the next window passes
``--resume``. Everything the scheduler knows is written atomically to ``scheduler.json`` in its
directory after each step; it is also where spending and the resume flag survive a restart.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from coderev.analyzers.errors import CoderevError
from coderev.engine.learning.system import on_ac_power, process_cpu_seconds, read_status, write_status
from coderev.engine.learning.tasks import LearningTasks

log = logging.getLogger("coderev.learning")
WARN_RATIO = 0.8
DEFAULT_COMMAND: tuple[str, ...] = (sys.executable, "-m", "coderev.server.cli", "model", "learn")


@dataclass(frozen=True, slots=True)
class ScheduleSettings:
    enabled: bool = True
    min_pairs: int = 20
    idle_minutes: float = 10.0
    cpu_budget_s: float = 1800.0  # CPU seconds per (local) day
    checkpoint_minutes: float = 5.0
    method: str = "replay"
    stop_grace_s: float = 10.0
    store: Path | None = None  # the slot store the engine serves from (None: the user's default one)


class TaskSource(Protocol):
    def count(self) -> int: ...  # training pairs + negatives available now
    def rule_dirs(self) -> tuple[Path, ...]: ...  # team rule dirs of families the slot has not seen
    def export(self, directory: Path) -> LearningTasks: ...


@dataclass
class _Child:
    process: subprocess.Popen[bytes]
    task: list[str]  # ["pairs", FILE] or ["rules", DIR]
    started: float
    pairs: int  # pairs + negatives when it started
    cpu: float = 0.0  # CPU seconds so far
    charged: float = 0.0  # of which already added to the day's spending
    term_at: float | None = None  # when SIGTERM was sent (stopping for the budget)


def _day(now: float) -> str:
    return time.strftime("%Y-%m-%d", time.localtime(now))


def _next_day(now: float) -> float:
    lt = time.localtime(now)
    return time.mktime((lt.tm_year, lt.tm_mon, lt.tm_mday + 1, 0, 0, 0, 0, 0, -1))


class LearningScheduler:
    """Decides, starts, meters and stops learning runs; call :meth:`tick` periodically (or
    :meth:`start` a thread that does) and :meth:`activity` on each keystroke."""

    def __init__(self, directory: Path, settings: ScheduleSettings, source: TaskSource, *,
                 command: Sequence[str] = DEFAULT_COMMAND, clock: Callable[[], float] = time.time,
                 power: Callable[[], bool | None] = on_ac_power,
                 cpu: Callable[[int], float | None] = process_cpu_seconds) -> None:
        self.directory, self.settings, self.source, self.command = directory, settings, source, tuple(command)
        self._clock, self._power, self._cpu = clock, power, cpu
        self._lock = threading.RLock()
        self._child: _Child | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._last_activity = clock()
        self._retry_at = 0.0
        old = read_status(directory) or {}
        budget: dict[str, Any] = old["budget"] if isinstance(old.get("budget"), dict) else {}
        self._day = str(budget.get("day", _day(clock())))
        self._used = float(budget.get("used_s", 0.0))
        self._warned = bool(budget.get("warned", False))
        self._resume = bool(old.get("resume", False)) or old.get("state") in ("running", "stopping")
        self._pairs_learned = int(old.get("pairs_learned", 0))
        self._rules_learned: list[str] = [str(d) for d in old.get("rules_learned", [])]
        self._last_run: dict[str, Any] | None = old.get("last_run")
        self.status: dict[str, Any] = {}

    @property
    def work(self) -> Path:
        return self.directory / "work"  # the child's working directory: its checkpoints live here

    def snapshot(self) -> dict[str, Any]:
        """The latest status (a copy: the scheduler's thread keeps changing its own)."""
        with self._lock:
            return dict(self.status)

    # -- inputs ------------------------------------------------------------------------------
    def activity(self) -> None:
        """The user did something (a keystroke): not idle for ``idle_minutes`` from now."""
        with self._lock:
            self._last_activity = self._clock()

    # -- the budget --------------------------------------------------------------------------
    def _roll_day(self, now: float) -> None:
        if _day(now) != self._day:
            self._day, self._used, self._warned = _day(now), 0.0, False

    def cost_usage_ratio(self) -> float:
        """Share of today's CPU budget spent (``coderev_cost_usage_ratio``)."""
        with self._lock:
            return self._used / self.settings.cpu_budget_s if self.settings.cpu_budget_s > 0 else 1.0

    def checkpoint_age_s(self) -> float | None:
        """Seconds since the newest file under the child's working directory (its checkpoint)."""
        newest = None
        for root, _, files in os.walk(self.work):
            for name in files:
                try:
                    mtime = (Path(root) / name).stat().st_mtime
                except OSError:
                    continue
                newest = mtime if newest is None else max(newest, mtime)
        return None if newest is None else max(0.0, time.time() - newest)

    def _charge(self, child: _Child, cpu: float, now: float) -> None:
        self._roll_day(now)
        child.cpu = max(child.cpu, cpu)
        self._used += child.cpu - child.charged
        child.charged = child.cpu
        ratio = self.cost_usage_ratio()
        if ratio >= WARN_RATIO and not self._warned:
            self._warned = True
            self._report("DAT007", f"{self._used:.1f} of {self.settings.cpu_budget_s:.0f} CPU seconds used today",
                         logging.WARNING)
        if ratio >= 1.0 and child.term_at is None:
            self._report("DAT008", f"stopping learning run (pid {child.process.pid}) after {child.cpu:.1f} CPU "
                         f"seconds; {self._used:.1f} of {self.settings.cpu_budget_s:.0f} used today", logging.WARNING)
            self._signal(child, signal.SIGTERM)
            child.term_at = now

    def _report(self, code: str, detail: str, level: int) -> None:
        error = CoderevError(code, detail)
        log.log(level, error.render(), extra={"code": code})
        self.status["warning"] = error.render()

    @staticmethod
    def _signal(child: _Child, sig: signal.Signals) -> None:
        with contextlib.suppress(OSError):
            os.killpg(child.process.pid, sig)  # its own group: the trainer's workers too

    # -- gates -------------------------------------------------------------------------------
    def _blocked(self, now: float) -> tuple[str | None, float | None, list[str]]:
        """(why no run may start now or None, when it may next start, the task to run)."""
        s = self.settings
        if not s.enabled:
            return "learning is disabled (setting learning.enabled)", None, []
        if now < self._retry_at:
            return "the last run failed; waiting before retrying", self._retry_at, []
        if self._used >= s.cpu_budget_s:
            return "today's CPU budget is spent", _next_day(now), []
        if self._power() is False:
            return "on battery power", None, []
        idle_at = self._last_activity + s.idle_minutes * 60
        if now < idle_at:
            return f"the user is active (idle for {s.idle_minutes:g} minutes is needed)", idle_at, []
        new = self.source.count() - self._pairs_learned
        self.status["new_pairs"] = max(0, new)
        if new >= s.min_pairs:
            return None, now, ["pairs"]
        rules = [str(d) for d in self.source.rule_dirs() if str(d) not in self._rules_learned]
        if rules:
            return None, now, ["rules", rules[0]]
        return f"{max(0, new)} new training pairs of {s.min_pairs} needed (setting learning.minPairs)", None, []

    # -- one step ----------------------------------------------------------------------------
    def tick(self) -> dict[str, Any]:
        """Meter or reap the running child, or start one if every gate is open; write the status."""
        with self._lock:
            now = self._clock()
            self._roll_day(now)
            self.status = {k: v for k, v in self.status.items() if k in ("warning", "new_pairs")}
            if self._child is not None:
                self._poll(self._child, now)
            if self._child is None:
                reason, next_at, task = self._blocked(now)
                if not reason:
                    self._launch(task, now)
                self.status.update(state="waiting" if reason else "running", reason=reason,
                                   next_eligible=next_at if reason else None)
            else:
                self.status.update(state="stopping" if self._child.term_at else "running", reason=None,
                                   next_eligible=None)
            return self._write(now)

    def _launch(self, task: list[str], now: float) -> None:
        exported = self.source.export(self.directory / "tasks")
        if task[0] == "pairs":
            task = ["pairs", str(exported.pairs)]
        args = [*self.command, "--method", self.settings.method, f"--{task[0]}", task[1],
                "--checkpoint-minutes", f"{self.settings.checkpoint_minutes:g}"]
        if task[0] == "pairs" and exported.n_negatives:  # rejected AI fixes: unlikelihood beside the pairs
            args += ["--negatives", str(exported.negatives)]
        if self.settings.store is not None:
            args += ["--store", str(self.settings.store)]
        if self._resume:
            args.append("--resume")
        self.work.mkdir(parents=True, exist_ok=True)
        try:
            with (self.directory / "learn.log").open("ab") as out:
                process = subprocess.Popen(args, cwd=self.work, stdin=subprocess.DEVNULL, stdout=out,
                                           stderr=subprocess.STDOUT, start_new_session=True)
            with contextlib.suppress(OSError):  # before it starts its own workers, which inherit it
                os.setpriority(os.PRIO_PROCESS, process.pid, 19)
        except OSError as exc:
            self._finished(task, now, 0.0, f"could not start: {exc}", failed=True)
            return
        log.info("learning run started: %s", " ".join(args[len(self.command):]))
        self._child = _Child(process, task, now, exported.n_pairs + exported.n_negatives)
        self._last_run = {"task": task, "started": now, "ended": None, "cpu_s": 0.0, "resumed": self._resume,
                          "args": args[len(self.command):], "pid": process.pid}

    def _poll(self, child: _Child, now: float) -> None:
        pid, wait_status, usage = os.wait4(child.process.pid, os.WNOHANG)
        if pid == 0:  # still running
            cpu = self._cpu(child.process.pid)
            if cpu is not None:
                self._charge(child, cpu, now)
            if child.term_at is not None and now - child.term_at >= self.settings.stop_grace_s:
                self._signal(child, signal.SIGKILL)
            return
        child.process.returncode = os.waitstatus_to_exitcode(wait_status)
        self._charge(child, usage.ru_utime + usage.ru_stime, now)
        self._child = None
        code = child.process.returncode
        if child.term_at is not None:
            self._finished(child.task, now, child.cpu, "stopped: CPU budget spent", stopped=True)
        elif code != 0:
            self._finished(child.task, now, child.cpu, f"exited with {code}", failed=True)
        else:
            if child.task[0] == "pairs":
                self._pairs_learned = child.pairs
            else:
                self._rules_learned.append(child.task[1])
            self._finished(child.task, now, child.cpu, "done")

    def _finished(self, task: list[str], now: float, cpu: float, outcome: str, *,
                  stopped: bool = False, failed: bool = False) -> None:
        self._resume = stopped or (failed and self.checkpoint_age_s() is not None)
        if failed:
            self._retry_at = now + self.settings.checkpoint_minutes * 60
            self._report("DAT009", f"learning run ({task[0]}) {outcome}", logging.ERROR)
        last = self._last_run if self._last_run and self._last_run.get("ended") is None else {"task": task}
        self._last_run = {**last, "ended": now, "cpu_s": round(cpu, 3), "outcome": outcome}

    def _write(self, now: float) -> dict[str, Any]:
        power = self._power()
        budget = self.settings.cpu_budget_s
        self.status.update(
            power={True: "ac", False: "battery", None: "unknown (treated as AC)"}[power],
            budget={"day": self._day, "allowed_s": budget, "used_s": round(self._used, 3),
                    "left_s": round(max(0.0, budget - self._used), 3), "ratio": round(self.cost_usage_ratio(), 4),
                    "warned": self._warned},
            last_run=self._last_run, resume=self._resume, pairs_learned=self._pairs_learned,
            rules_learned=self._rules_learned, min_pairs=self.settings.min_pairs,
            checkpoint_age_s=self.checkpoint_age_s(), updated=now,
            pid=self._child.process.pid if self._child else None)
        try:
            write_status(self.directory, self.status)
        except OSError as exc:
            log.warning("cannot write the learning status in %s: %s", self.directory, exc)
        return dict(self.status)

    # -- a thread ----------------------------------------------------------------------------
    def start(self, interval_s: float = 5.0, running_interval_s: float = 1.0) -> None:
        """Tick in a daemon thread until :meth:`close`, at once and then every ``running_interval_s``
        while a child runs (the budget's overshoot is at most that much of its CPU time), else every
        ``interval_s``."""
        def loop() -> None:
            while True:
                try:
                    self.tick()
                except Exception:  # a failed step must not end the scheduler; the next one retries
                    log.exception("learning scheduler step failed")
                if self._stop.wait(running_interval_s if self._child is not None else interval_s):
                    return

        self._thread = threading.Thread(target=loop, name="coderev-learning", daemon=True)
        self._thread.start()

    def close(self, timeout_s: float = 10.0) -> None:
        """Stop the thread and any running child (SIGTERM, then SIGKILL after ``timeout_s``)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
        with self._lock:
            child = self._child
            if child is None:
                return
            self._signal(child, signal.SIGTERM)
            try:
                child.process.wait(timeout_s)
            except subprocess.TimeoutExpired:
                self._signal(child, signal.SIGKILL)
                child.process.wait()
            self._child = None
            self._finished(child.task, self._clock(), child.cpu, "stopped: the editor closed", stopped=True)
            self.status["state"] = "waiting"
            self._write(self._clock())

