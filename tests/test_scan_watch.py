"""`coderev scan --watch` as a real subprocess: files change on disk, the new report follows, and
Ctrl-C ends it with exit code 0. Every wait is on an output line (with a bounded timeout)."""

from __future__ import annotations

import json
import queue
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

import pytest

CODEREV = str(Path(sys.executable).with_name("coderev"))
TIMEOUT = 60.0
SAFE = "import yaml\n\n\ndef load(data):\n    return yaml.safe_load(data)\n"
UNSAFE = SAFE.replace("safe_load", "load")


class Watched:
    """A running ``coderev scan --watch``: its stdout lines (the reports) and stderr lines (what it
    is doing), each stream read in order as it comes."""

    def __init__(self, args: list[str], cwd: Path) -> None:
        self.process = subprocess.Popen([CODEREV, "scan", "--no-progress", "--jobs", "1", "--watch", *args], cwd=cwd,
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.queues: dict[str, queue.Queue[str | None]] = {"out": queue.Queue(), "err": queue.Queue()}
        self.seen: dict[str, list[str]] = {"out": [], "err": []}
        assert self.process.stdout is not None and self.process.stderr is not None
        for name, stream in (("out", self.process.stdout), ("err", self.process.stderr)):
            threading.Thread(target=self._read, args=(name, stream), daemon=True).start()

    def _read(self, name: str, stream: IO[str]) -> None:
        for line in stream:
            self.queues[name].put(line.rstrip("\n"))
        self.queues[name].put(None)

    def expect(self, check: Callable[[str], bool], stream: str = "out", timeout: float = TIMEOUT) -> str:
        """The next line of ``stream`` for which ``check`` holds (those before it are kept in :attr:`seen`)."""
        while True:
            try:
                line = self.queues[stream].get(timeout=timeout)
            except queue.Empty:
                raise AssertionError(f"no such line within {timeout}s; {self.seen}") from None
            if line is None:
                raise AssertionError(f"the {stream} stream ended first; {self.seen}")
            self.seen[stream].append(line)
            if check(line):
                return line

    def stop(self) -> int:
        """Ctrl-C; the exit code, once everything it wrote is read."""
        self.process.send_signal(signal.SIGINT)
        code = self.process.wait(timeout=TIMEOUT)
        for name, lines in self.queues.items():
            while (line := lines.get(timeout=TIMEOUT)) is not None:
                self.seen[name].append(line)
        return code


@pytest.fixture
def watched(tmp_path: Path) -> Iterator[Callable[..., Watched]]:
    started: list[Watched] = []

    def start(*args: str) -> Watched:
        started.append(Watched(list(args), tmp_path))
        return started[-1]

    yield start
    for run in started:
        if run.process.poll() is None:
            run.process.kill()
            run.process.wait(timeout=TIMEOUT)


def test_a_changed_file_is_scanned_again_and_ctrl_c_exits_0(tmp_path: Path, watched: Callable[..., Watched]) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "store.py").write_text(SAFE)
    run = watched("src")
    run.expect(lambda line: line.startswith("Scanned 1 file(s): 0 finding(s)"))
    run.expect(lambda line: line.startswith("Watching src for changes"), "err")

    (src / "store.py").write_text(UNSAFE)
    run.expect(lambda line: "1 file(s) scanned again, 0 gone" in line, "err")
    finding = run.expect(lambda line: "python.insecure-deserialization.yaml-load" in line)
    assert finding.startswith("src/store.py:5:12: error")
    run.expect(lambda line: line.startswith("Scanned 1 file(s): 1 finding(s)"))

    (src / "more.py").write_text(UNSAFE)  # a new file joins the scan
    run.expect(lambda line: line.startswith("Scanned 2 file(s): 2 finding(s)"))
    (src / "store.py").unlink()  # a deleted one leaves it
    run.expect(lambda line: "0 file(s) scanned again, 1 gone" in line, "err")
    run.expect(lambda line: line.startswith("Scanned 1 file(s): 1 finding(s)"))

    (src / "notes.bin").write_bytes(b"\0\0")  # not a file the scan covers: no new report
    (src / "more.py").write_text(SAFE)
    run.expect(lambda line: line.startswith("Scanned 1 file(s): 0 finding(s)"))
    assert run.stop() == 0
    assert not any("notes.bin" in line for line in run.seen["out"])
    assert run.seen["err"][-1] == "Stopped watching."
    assert not any("Traceback" in line for line in run.seen["err"])


def test_json_reports_and_the_baseline_apply_on_every_rescan(tmp_path: Path, watched: Callable[..., Watched]) -> None:
    (tmp_path / "old.py").write_text(UNSAFE)
    baseline = subprocess.run([CODEREV, "scan", "--no-progress", "old.py", "--write-baseline", "base.json"],
                              cwd=tmp_path, capture_output=True, text=True, timeout=TIMEOUT, check=False)
    assert baseline.returncode == 0, baseline.stderr
    run = watched("--format", "json", "--baseline", "base.json", ".")
    first = run.expect(lambda line: line.startswith('  "findings": '))
    assert first == '  "findings": [],'
    run.expect(lambda line: line.startswith("Watching . for changes"), "err")
    (tmp_path / "new.py").write_text(UNSAFE.replace("def load", "def parse"))
    run.expect(lambda line: line.startswith('      "path": "new.py"'))
    summary = run.expect(lambda line: line.startswith('    "findings": '))
    assert summary == '    "findings": 1,'  # old.py stays known, new.py is new
    assert run.stop() == 0


def test_watch_with_fix_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text(SAFE)
    result = subprocess.run([CODEREV, "scan", "--watch", "--fix", "a.py"], cwd=tmp_path, capture_output=True,
                            text=True, timeout=TIMEOUT, check=False)
    assert result.returncode == 2 and "SYS002" in result.stderr


def test_a_json_report_is_one_document_per_scan(tmp_path: Path, watched: Callable[..., Watched]) -> None:
    """Each report is complete JSON: a consumer can split the stream at top-level braces."""
    (tmp_path / "a.py").write_text(SAFE)
    run = watched("--format", "json", "a.py")
    run.expect(lambda line: line == "}")
    run.expect(lambda line: line.startswith("Watching a.py for changes"), "err")
    (tmp_path / "a.py").write_text(UNSAFE)
    run.expect(lambda line: line == "}")
    assert run.stop() == 0
    documents = "\n".join(run.seen["out"]).replace("}\n{", "}\0{").split("\0")
    parsed = [json.loads(d) for d in documents]
    assert [d["summary"]["findings"] for d in parsed] == [0, 1]
