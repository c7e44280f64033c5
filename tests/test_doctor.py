"""``coderev doctor`` through the console script: what a healthy install reports, and what a
broken store or cache reports with a remedy."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

CODEREV = str(Path(sys.executable).with_name("coderev"))


def doctor(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    environ = {**os.environ, "HOME": str(home), "XDG_DATA_HOME": str(home / "data"),
               "XDG_CONFIG_HOME": str(home / "config"), "CODEREV_DATA_DIR": str(tmp_path / "data"),
               "CODEREV_CACHE_DIR": str(tmp_path / "cache"), **env}
    return subprocess.run([CODEREV, "doctor", "--json"], capture_output=True, text=True, env=environ,
                          timeout=180, check=False)


def test_a_healthy_install_passes_every_check(tmp_path: Path) -> None:
    (tmp_path / "home" / ".vscode" / "extensions" / "coderev.coderev-0.1.0").mkdir(parents=True)
    result = doctor(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    checks = {c["name"]: c for c in json.loads(result.stdout)}
    assert [n for n, c in checks.items() if c["status"] == "FAIL"] == []
    assert checks["grammars"]["detail"].endswith("python, javascript, typescript, tsx, go, java")
    assert "built-in rules load and compile" in checks["rules"]["detail"]
    advisories = checks["advisories"]  # the packaged snapshot works offline; it is old, so a warning says so
    assert advisories["detail"].startswith("2,651 advisories in use (PyPI 2,651)")
    assert advisories["status"] == "warn" and "coderev advisories import" in advisories["remedy"]
    assert checks["packaged model"]["detail"].endswith("sha256 verified")
    assert checks["slot store"]["status"] == "ok" and "V2 coderev-default-" in checks["slot store"]["detail"]
    assert checks["editors"]["status"] == "ok" and "coderev.coderev-0.1.0" in checks["editors"]["detail"]


def test_unwritable_stores_fail_with_a_remedy_that_names_the_setting(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    result = doctor(tmp_path, CODEREV_DATA_DIR=str(blocker / "data"), CODEREV_CACHE_DIR=str(blocker / "cache"))
    assert result.returncode == 1
    checks = {c["name"]: c for c in json.loads(result.stdout)}
    assert checks["slot store"]["status"] == "FAIL" and "CODEREV_DATA_DIR" in checks["slot store"]["remedy"]
    assert checks["cache"]["status"] == "FAIL" and "CODEREV_CACHE_DIR" in checks["cache"]["remedy"]
    assert checks["editors"]["status"] == "warn" and "make vsix" in checks["editors"]["remedy"]
    assert checks["rules"]["status"] == "ok"  # one broken check does not stop the others
