"""`coderev scan` on pathological files, through the installed console script (issue 15): deep
nesting and long chains are reported like any file, and a file over its time budget is a
catalogued ANA010 skip in the report, never a traceback or a missing report."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.test_analysis_limits import CASES, GO_CHAIN

CODEREV = str(Path(sys.executable).with_name("coderev"))
HANDLER = (
    "\n\nfunc findUser(w http.ResponseWriter, r *http.Request) {\n"
    '\tname := r.URL.Query().Get("name")\n\tdb.QueryRow("SELECT * FROM users WHERE name = \'" + name + "\'")\n}\n'
)


def scan(cwd: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], dict[str, Any] | None]:
    out = cwd / "report.json"
    out.unlink(missing_ok=True)
    result = subprocess.run(
        [CODEREV, "scan", "--no-progress", "--format", "json", "-o", str(out), *args],
        capture_output=True, text=True, cwd=cwd, timeout=300, check=False,
    )
    assert "Traceback" not in result.stderr, result.stderr
    return result, json.loads(out.read_text()) if out.exists() else None


def test_deep_and_long_files_are_scanned_and_reported(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    for name, text, _ in CASES.values():
        (src / name).write_text(text)
    (src / "chain.go").write_text(GO_CHAIN)
    result, report = scan(tmp_path, "src")
    assert result.returncode == 1, result.stderr
    assert report is not None and report["skipped"] == []
    found = {(Path(f["path"]).name, f["rule_id"]) for f in report["findings"]}
    assert found == {(name, rule) for name, _, rule in CASES.values()}


def test_a_file_over_its_budget_is_an_ana010_skip(tmp_path: Path) -> None:
    (tmp_path / "chain.go").write_text(GO_CHAIN + HANDLER)
    result, report = scan(tmp_path, "--file-budget-seconds", "0.001", "chain.go")
    assert result.returncode in (0, 1), result.stderr  # the handler may or may not fit in 1 ms
    assert report is not None
    [skip] = report["skipped"]
    assert skip["code"] == "ANA010" and "f (lines 3-6)" in skip["reason"], skip
    assert "file-budget-seconds" in skip["reason"]  # the remedy names the setting
    text = subprocess.run([CODEREV, "scan", "--no-progress", "--file-budget-seconds", "0.001", "chain.go"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False)
    assert "Scanned 1 file(s)" in text.stdout  # partly analyzed is analyzed, not "0 files"

    (tmp_path / ".coderev.toml").write_text("file-budget-seconds = 60\n")
    result, report = scan(tmp_path, "chain.go")
    assert result.returncode == 1, result.stderr
    assert report is not None and report["skipped"] == []
    assert [f["rule_id"] for f in report["findings"]] == ["go.sql-injection.formatted-query"]


def test_bad_budgets_are_usage_and_configuration_errors(tmp_path: Path) -> None:
    (tmp_path / "a.go").write_text("package main\n")
    result, report = scan(tmp_path, "--file-budget-seconds", "0", "a.go")
    assert result.returncode == 2 and "SYS002" in result.stderr and report is None
    (tmp_path / ".coderev.toml").write_text('file-budget-seconds = "fast"\n')
    result, report = scan(tmp_path, "a.go")
    assert result.returncode == 2 and "SYS001" in result.stderr and "file-budget-seconds" in result.stderr
