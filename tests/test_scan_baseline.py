"""`coderev scan --write-baseline` / `--baseline`, through the installed console script: only new
findings are reported, moved code stays known, a broken baseline is a catalogued error."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from coderev.analyzers.errors import CATALOGUE
from coderev.server.scan_command import _umask

ROOT = Path(__file__).resolve().parent.parent
CODEREV = str(Path(sys.executable).with_name("coderev"))
YAML_LOAD = "import yaml\n\n\ndef load(data):\n    return yaml.load(data)\n"
MOVED = (
    '"""Storage."""\n'
    "import yaml\n"
    "\n"
    "LIMIT = 10\n"
    "\n"
    "\n"
    "def restore(blob):\n"
    "    import pickle\n"
    "    return pickle.loads(blob)\n"
    "\n"
    "\n"
    "def load(data):\n"
    "    return yaml.load(data)\n"
)


def scan(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CODEREV, "scan", "--no-progress", "--jobs", "1", *map(str, args)],
        capture_output=True, text=True, cwd=cwd, timeout=120, check=False,
    )


def findings(result: subprocess.CompletedProcess[str]) -> list[tuple[str, str, int]]:
    report = json.loads(result.stdout)
    return [(f["path"], f["rule_id"], f["start"]["line"]) for f in report["findings"]]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "store.py").write_text(YAML_LOAD)
    (tmp_path / "app" / "other.py").write_text("import yaml\n\n\ndef parse(text):\n    return yaml.load(text)\n")
    written = scan("app", "--write-baseline", "baseline.json", cwd=tmp_path)
    assert written.returncode == 0, written.stderr
    assert "Wrote 2 finding(s) to the baseline baseline.json" in written.stderr
    return tmp_path


def test_written_baseline_is_versioned_json_with_relative_paths(project: Path) -> None:
    assert (project / "baseline.json").stat().st_mode & 0o777 == 0o666 & ~_umask()  # not mkstemp's 0600
    document = json.loads((project / "baseline.json").read_text())
    assert document["format"] == "coderev-baseline" and document["version"] == 1
    assert document["generated_by"].startswith("coderev ")
    entries = document["findings"]
    assert [(e["path"], e["line"]) for e in entries] == [("app/other.py", 5), ("app/store.py", 5)]
    assert {e["rule_id"] for e in entries} == {"python.insecure-deserialization.yaml-load"}
    # the fingerprints are the ones SARIF carries as partialFingerprints (code scanning agrees)
    sarif = json.loads(scan("app", "--format", "sarif", cwd=project).stdout)
    partial = sorted(r["partialFingerprints"]["coderevFingerprint/v1"] for r in sarif["runs"][0]["results"])
    assert partial == sorted(e["fingerprint"] for e in entries)


def test_known_findings_are_not_reported_and_the_scan_passes(project: Path) -> None:
    plain = scan("app", cwd=project)
    assert plain.returncode == 1
    result = scan("app", "--baseline", "baseline.json", "--format", "json", cwd=project)
    assert result.returncode == 0, result.stdout + result.stderr
    assert findings(result) == []
    assert "2 finding(s) in the baseline baseline.json not reported" in result.stderr


def _store_fingerprints(project: Path) -> dict[str, int]:
    """SARIF ``partialFingerprints`` of app/store.py's findings, with their lines."""
    run = json.loads(scan("app/store.py", "--format", "sarif", cwd=project).stdout)["runs"][0]
    return {r["partialFingerprints"]["coderevFingerprint/v1"]: r["locations"][0]["physicalLocation"]["region"]
            ["startLine"] for r in run["results"]}


def test_moved_code_stays_known_and_only_the_new_finding_is_reported(project: Path) -> None:
    [(fingerprint, line)] = _store_fingerprints(project).items()
    assert line == 5
    (project / "app" / "store.py").write_text(MOVED)  # code above it and a new function before it
    after = _store_fingerprints(project)
    assert after[fingerprint] == 13 and len(after) == 2  # same id, 8 lines down
    result = scan("app", "--baseline", "baseline.json", "--format", "json", cwd=project)
    assert result.returncode == 1
    assert findings(result) == [("app/store.py", "python.insecure-deserialization.pickle-family", 9)]


def test_a_renamed_file_keeps_its_findings_known(project: Path) -> None:
    (project / "app" / "store.py").rename(project / "app" / "storage.py")
    result = scan("app", "--baseline", "baseline.json", "--format", "json", cwd=project)
    assert result.returncode == 0, result.stdout
    assert findings(result) == []


def test_a_copy_of_known_code_into_a_new_file_is_new(project: Path) -> None:
    (project / "app" / "copy.py").write_text(YAML_LOAD)  # same code, same fingerprint, another file
    result = scan("app", "--baseline", "baseline.json", "--format", "json", cwd=project)
    assert result.returncode == 1
    assert findings(result) == [("app/copy.py", "python.insecure-deserialization.yaml-load", 5)]


def test_the_baseline_works_from_another_directory_and_says_what_went_stale(project: Path) -> None:
    (project / "app" / "other.py").write_text("import yaml\n\n\ndef parse(text):\n    return yaml.safe_load(text)\n")
    result = scan(".", "--baseline", "../baseline.json", "--format", "json", cwd=project / "app")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 baseline entry of the scanned files no longer found" in result.stderr


def test_a_baseline_with_a_subset_of_files_reports_nothing_stale(project: Path) -> None:
    """pre-commit passes only the staged files: entries of other files are not "stale"."""
    result = scan("app/store.py", "--baseline", "baseline.json", cwd=project)
    assert result.returncode == 0
    assert "no longer found" not in result.stderr


BROKEN = {
    "not-json.json": ("{ nope", "not JSON"),
    "not-utf8.json": (b"\xff\xfe{}", "not JSON"),
    "other-format.json": ('{"version": 1, "findings": []}', "not a coderev baseline"),
    "future.json": ('{"format": "coderev-baseline", "version": 2, "findings": []}', "newer coderev"),
    "no-findings.json": ('{"format": "coderev-baseline", "version": 1}', '"findings" is missing'),
    "bad-entry.json": ('{"format": "coderev-baseline", "version": 1, "findings": [{"path": "a.py", '
                       '"rule_id": "r", "fingerprint": "not-hex"}]}', "not a coderev fingerprint"),
    "bool-version.json": ('{"format": "coderev-baseline", "version": true, "findings": []}', "not an integer"),
}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_a_corrupt_baseline_is_DAT006_with_its_remedy_never_a_crash(project: Path, name: str) -> None:
    content, detail = BROKEN[name]
    target = project / name
    target.write_bytes(content if isinstance(content, bytes) else content.encode())
    result = scan("app", "--baseline", name, cwd=project)
    assert result.returncode == 2
    assert "DAT006" in result.stderr and detail in result.stderr
    assert CATALOGUE["DAT006"].remedy.split(" (")[0][:60] in result.stderr.replace("\n", " ")
    assert "Traceback" not in result.stderr
    assert result.stdout == ""  # failed before scanning: no report at all


def test_a_missing_baseline_is_DAT002_naming_the_command_that_creates_it(project: Path) -> None:
    result = scan("app", "--baseline", "missing.json", cwd=project)
    assert result.returncode == 2
    assert "DAT002" in result.stderr and "coderev scan --write-baseline missing.json" in result.stderr
    assert "Traceback" not in result.stderr
    directory = scan("app", "--baseline", "app", cwd=project)
    assert directory.returncode == 2 and "DAT002" in directory.stderr and "not a regular file" in directory.stderr


def test_write_baseline_refuses_filters_it_would_ignore(project: Path) -> None:
    for extra in (["--baseline", "baseline.json"], ["--diff-from", "HEAD"], ["--watch"], ["--fix"]):
        result = scan("app", "--write-baseline", "b2.json", *extra, cwd=project)
        assert result.returncode == 2 and "SYS002" in result.stderr and extra[0] in result.stderr
    assert not (project / "b2.json").exists()


def test_the_catalogue_entries_are_in_docs_errors_md() -> None:
    table = (ROOT / "docs" / "errors.md").read_text()
    for code in ("DAT006", "SYS006"):
        assert f"| `{code}` | {CATALOGUE[code].title} | {CATALOGUE[code].remedy} |" in table


def test_a_baseline_that_cannot_be_written_is_DAT001(project: Path) -> None:
    result = scan("app", "--write-baseline", "no/such/dir/baseline.json", cwd=project)
    assert result.returncode == 2 and "DAT001" in result.stderr and "Traceback" not in result.stderr
