"""`coderev scan` never hangs or crashes on skipped files, hostile file layouts or a failing worker.

The scans go through the installed console script, with the parallel path forced (more files
than ``PARALLEL_THRESHOLD``, ``--jobs 2``): that is where a skipped file once hung the scan for
ever (an exception that could not be unpickled in the parent).
"""

from __future__ import annotations

import json
import os
import pickle
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from coderev.analyzers import batch
from coderev.analyzers.batch import FileResult, analyze_files
from coderev.analyzers.config import AnalysisOptions
from coderev.analyzers.errors import CoderevError
from coderev.analyzers.workspace import Skip, read_source

CODEREV = str(Path(sys.executable).with_name("coderev"))
MANY = batch.PARALLEL_THRESHOLD + 12
HANG_GUARD = 90  # seconds; each scan here takes a few


def scan(*args: str | Path, cwd: Path, timeout: float = HANG_GUARD) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CODEREV, "scan", "--no-progress", *map(str, args)],
        capture_output=True, text=True, cwd=cwd, timeout=timeout, check=False,
    )


def skips(output: str) -> dict[str, str]:
    return {s["path"]: s["code"] for s in json.loads(output)["skipped"]}


def small_files(root: Path, count: int, suffix: str) -> None:
    body = "import os\n\ndef f{i}(x):\n    return os.path.join(x, 'a')\n" if suffix == ".py" else (
        "function f{i}(x) {{ return x + 1; }}\nmodule.exports = f{i};\n"
    )
    for i in range(count):
        (root / f"m{i:03}{suffix}").write_text(body.format(i=i))


def test_a_skipped_file_in_a_parallel_scan_does_not_hang_it(tmp_path: Path) -> None:
    small_files(tmp_path, MANY, ".py")
    (tmp_path / "latin.py").write_bytes("name = 'caf\xe9'\n".encode("latin-1"))
    yaml_load = tmp_path / "vuln.py"
    yaml_load.write_text("import yaml\n\ndef load(data):\n    return yaml.load(data)\n")
    result = scan(".", "--jobs", "2", "--format", "json", cwd=tmp_path)
    assert result.returncode == 1, result.stderr  # the finding of vuln.py, with the skip reported
    assert skips(result.stdout) == {"latin.py": "ANA004"}
    assert {f["path"] for f in json.loads(result.stdout)["findings"]} == {"vuln.py"}
    assert "Traceback" not in result.stderr


def test_an_oversized_bundle_in_a_parallel_scan_is_a_skip(tmp_path: Path) -> None:
    small_files(tmp_path, MANY, ".js")
    line = "var a=function(b){return b+1};" * 100 + "\n"
    (tmp_path / "bundle.min.js").write_text(line * (4_700_000 // len(line)))
    result = scan(".", "--jobs", "2", "--format", "json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert skips(result.stdout) == {"bundle.min.js": "ANA005"}


def test_a_killed_worker_ends_the_scan_with_sys005(tmp_path: Path) -> None:
    # enough work that the scan is still running when one of its workers is killed
    body = "".join(f"def f{i}(request, cursor):\n    cursor.execute('SELECT %s' % request.args['q'])\n\n"
                   for i in range(300))
    for i in range(400):
        (tmp_path / f"m{i:03}.py").write_text(body)
    proc = subprocess.Popen([CODEREV, "scan", "--no-progress", "--jobs", "2", "."], cwd=tmp_path,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        workers: list[int] = []
        while not workers and time.monotonic() < deadline and proc.poll() is None:
            workers = _children(proc.pid)
            time.sleep(0.02)
        assert workers, "the scan started no worker process"
        os.kill(workers[0], signal.SIGKILL)
        _, stderr = proc.communicate(timeout=HANG_GUARD)
    finally:
        proc.kill()
    assert proc.returncode == 2, stderr
    assert "SYS005" in stderr and "--jobs 1" in stderr


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text()
        found += [int(p) for p in text.split()]
    return found


def _unpicklable(paths: list[Path]) -> list[FileResult]:
    return [FileResult(paths[0], (), 0, lambda: None)]  # type: ignore[arg-type]


def _stuck(paths: list[Path]) -> list[FileResult]:
    time.sleep(3600)
    return []


def _raises(paths: list[Path]) -> list[FileResult]:
    raise RuntimeError("boom in the worker")


@pytest.mark.parametrize("work", [_unpicklable, _stuck, _raises])
def test_a_worker_failure_is_a_catalogued_error_never_a_hang(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, work: object
) -> None:
    """The shapes of failure a pool can meet: a result that cannot cross back, a stuck worker,
    an exception inside the worker. Each ends in SYS005 within seconds (the workers are forked,
    so they run the patched function)."""
    small_files(tmp_path, MANY, ".py")
    monkeypatch.setattr(batch, "_work", work)
    monkeypatch.setattr(batch, "MIN_STALL_SECONDS", 2.0)
    started = time.monotonic()
    with pytest.raises(CoderevError) as caught:
        # a small file budget keeps the stall limit (4 x budget x chunk, at least 2 s here) short
        analyze_files(sorted(tmp_path.iterdir()), AnalysisOptions(file_budget_seconds=0.1), jobs=2)
    assert caught.value.code == "SYS005"
    assert re.search(r"while analyzing \S+/m\d{3}\.py", caught.value.detail)  # names the files in flight
    assert time.monotonic() - started < HANG_GUARD


def test_errors_and_skips_cross_process_boundaries_intact() -> None:
    error = CoderevError("ANA004", "x.py: invalid UTF-8 at byte 3")
    again = pickle.loads(pickle.dumps(error))
    assert (type(again), again.code, again.detail, str(again)) == (CoderevError, error.code, error.detail, str(error))
    skip = Skip.of(Path("x.py"), "ANA004", "x.py: invalid UTF-8 at byte 3")
    assert pickle.loads(pickle.dumps(skip)) == skip
    with pytest.raises(ValueError, match="unknown error code"):
        Skip.of(Path("x.py"), "NOPE001", "")


@pytest.mark.skipif(not Path("/dev/zero").exists() or not hasattr(os, "mkfifo"), reason="needs /dev/zero and FIFOs")
def test_special_files_named_like_sources_are_skipped_not_read(tmp_path: Path) -> None:
    (tmp_path / "zero.py").symlink_to("/dev/zero")
    os.mkfifo(tmp_path / "fifo.py")
    (tmp_path / "ok.py").write_text("x = 1\n")
    result = scan(".", "--format", "json", cwd=tmp_path, timeout=30)
    assert result.returncode == 0, result.stderr
    assert skips(result.stdout) == {"zero.py": "ANA011", "fifo.py": "ANA011"}
    assert "FIFO" in read_source(tmp_path / "fifo.py").detail  # type: ignore[union-attr]
    assert "character device" in read_source(tmp_path / "zero.py").detail  # type: ignore[union-attr]


def test_a_file_is_read_no_further_than_the_limit(tmp_path: Path) -> None:
    big = tmp_path / "big.py"
    big.write_text("x = 1\n" * 1000)
    skip = read_source(big, max_size=100)
    assert isinstance(skip, Skip) and skip.code == "ANA005"
    assert read_source(big, max_size=6000) == "x = 1\n" * 1000
    assert isinstance(read_source(tmp_path / "missing.py"), Skip)


def test_a_projects_rule_dirs_stay_inside_it(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "r.yaml").write_text("not: [a rule")
    project = tmp_path / "project"
    project.mkdir()
    (project / "a.py").write_text("x = 1\n")
    for entry in ("../outside", str(outside), "/etc"):
        (project / ".coderev.toml").write_text(f"rule-dirs = [{json.dumps(entry)}]\n")
        result = scan("a.py", cwd=project)
        assert result.returncode == 2, (entry, result.stdout, result.stderr)
        assert "SYS001" in result.stderr and "outside the project" in result.stderr
    (project / ".coderev.toml").write_text('rule-dirs = ["rules"]\n')
    (project / "rules").mkdir()
    assert scan("a.py", cwd=project).returncode == 0
    # the user's own command line may name any directory
    (project / ".coderev.toml").unlink()
    named = scan("a.py", "--rules", outside, cwd=project)
    assert named.returncode == 2 and "ANA001" in named.stderr


def test_yaml_tags_in_rule_files_never_construct_python_objects(tmp_path: Path) -> None:
    marker = tmp_path / "marker"
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "evil.yaml").write_text(
        f"!!python/object/apply:os.system [\"touch {marker}\"]\n"
    )
    (rules / "evil2.yaml").write_text(
        f"id: x\nmessage: !!python/object/apply:subprocess.call [[\"touch\", \"{marker}\"]]\n"
    )
    (tmp_path / "a.py").write_text("x = 1\n")
    result = scan("a.py", "--rules", rules, cwd=tmp_path)
    assert result.returncode == 2 and "ANA001" in result.stderr
    assert not marker.exists()
