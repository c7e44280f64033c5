"""`coderev scan --format gitlab`: a GitLab SAST report (security report schema 15.x).

No package on the registries reachable here ships GitLab's `sast-report-format.json` (PyPI, npm:
none found; GitLab's own schema package is a Ruby gem), so the report is checked against
:data:`SAST_15`, a transcription of what that schema requires of a SAST report: the required keys,
their types, enums and patterns, and no property the schema does not define (GitLab rejects a
report that does not validate). It is not the published schema itself.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "examples" / "vulnerable-app"
CODEREV = str(Path(sys.executable).with_name("coderev"))

_TEXT = {"type": "string", "minLength": 1}
_URL = {"type": "string", "pattern": "^(https?|ftp)://.+"}
_TIME = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$"}
_COMPONENT = {
    "type": "object",
    "required": ["id", "name", "version", "vendor"],
    "properties": {
        "id": _TEXT, "name": _TEXT, "version": _TEXT, "url": {"type": "string", "pattern": "^https?://"},
        "vendor": {"type": "object", "required": ["name"], "properties": {"name": _TEXT}},
    },
    "additionalProperties": False,
}
_IDENTIFIER = {
    "type": "object",
    "required": ["type", "name", "value"],
    "properties": {"type": _TEXT, "name": _TEXT, "value": _TEXT, "url": _URL},
    "additionalProperties": False,
}
SAST_15: dict[str, Any] = {
    "type": "object",
    "required": ["version", "scan", "vulnerabilities"],
    "properties": {
        "schema": _URL,
        "version": {"type": "string", "pattern": r"^[0-9]+\.[0-9]+\.[0-9]+$"},
        "scan": {
            "type": "object",
            "required": ["analyzer", "scanner", "type", "start_time", "end_time", "status"],
            "properties": {
                "analyzer": _COMPONENT,
                "scanner": _COMPONENT,
                "type": {"enum": ["sast"]},
                "start_time": _TIME,
                "end_time": _TIME,
                "status": {"enum": ["success", "failure"]},
                "messages": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["level", "value"],
                        "properties": {"level": {"enum": ["info", "warn", "fatal"]}, "value": {"type": "string"}},
                        "additionalProperties": False,
                    },
                },
            },
            "additionalProperties": False,
        },
        "vulnerabilities": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id", "identifiers", "location"],
                "properties": {
                    "id": _TEXT,
                    "name": {"type": "string", "maxLength": 255},
                    "description": {"type": "string", "maxLength": 1048576},
                    "severity": {"enum": ["Info", "Unknown", "Low", "Medium", "High", "Critical"]},
                    "solution": {"type": "string", "maxLength": 7000},
                    "identifiers": {"type": "array", "minItems": 1, "maxItems": 20, "items": _IDENTIFIER},
                    "location": {
                        "type": "object",
                        "properties": {
                            "file": _TEXT, "start_line": {"type": "integer", "minimum": 1},
                            "end_line": {"type": "integer", "minimum": 1}, "class": {"type": "string"},
                            "method": {"type": "string"},
                        },
                        "additionalProperties": False,
                    },
                },
                # the 15.x vulnerability properties: 14.x's category, message, cve, scanner and
                # confidence are gone, and a report that still has them is rejected
                "additionalProperties": False,
            },
        },
        "remediations": {"type": "array"},
    },
    "additionalProperties": False,
}


def gitlab(*args: str | Path, cwd: Path = ROOT) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    result = subprocess.run([CODEREV, "scan", "--no-progress", "--jobs", "1", "--format", "gitlab", *map(str, args)],
                            capture_output=True, text=True, cwd=cwd, timeout=120, check=False)
    return result, json.loads(result.stdout)


@pytest.fixture(scope="module")
def app_report() -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    return gitlab(APP)


def test_the_report_validates_against_the_15x_requirements(app_report: Any) -> None:
    result, report = app_report
    assert result.returncode == 1, result.stderr
    jsonschema.validate(report, SAST_15)
    assert report["version"].startswith("15.")
    assert report["schema"].endswith(f"/v{report['version']}/dist/sast-report-format.json")
    scan = report["scan"]
    assert scan["type"] == "sast" and scan["status"] == "success"
    assert scan["analyzer"]["id"] == scan["scanner"]["id"] == "coderev"
    assert scan["start_time"] <= scan["end_time"]


def test_every_finding_is_a_vulnerability_with_rule_and_cwe_identifiers(app_report: Any) -> None:
    _, report = app_report
    json_report = json.loads(subprocess.run([CODEREV, "scan", "--no-progress", "--format", "json", str(APP)],
                                            capture_output=True, text=True, cwd=ROOT, timeout=120,
                                            check=False).stdout)
    expected = [(f["path"], f["start"]["line"], f["rule_id"]) for f in json_report["findings"]]
    found = [(v["location"]["file"], v["location"]["start_line"], v["identifiers"][0]["value"])
             for v in report["vulnerabilities"]]
    assert found == expected and len(found) >= 10
    severities = {f["severity"]: v["severity"] for f, v in zip(json_report["findings"], report["vulnerabilities"],
                                                                 strict=True)}
    assert severities.get("error") in {None, "High"} and severities.get("warning") in {None, "Medium"}
    for vulnerability, finding in zip(report["vulnerabilities"], json_report["findings"], strict=True):
        primary, *cwes = vulnerability["identifiers"]
        assert primary["type"] == "coderev_rule_id"
        assert [c["name"] for c in cwes] == finding["cwe"]
        assert all(c["type"] == "cwe" and c["url"].endswith(f"/{c['value']}.html") for c in cwes)
        assert vulnerability["location"]["end_line"] >= vulnerability["location"]["start_line"]


def test_data_flow_steps_and_fixes_are_in_the_description_and_solution(app_report: Any) -> None:
    _, report = app_report
    flows = [v for v in report["vulnerabilities"] if "Data flow, source first:" in v["description"]]
    assert flows and all(re.search(r"^- line \d+: source: ", v["description"], re.M) for v in flows)
    assert any("solution" in v for v in report["vulnerabilities"])


def test_secrets_are_masked(app_report: Any) -> None:
    _, report = app_report
    text = (APP / "app" / "views.py").read_text()
    literal = re.search(r'\["SECRET_KEY"\] = "([^"]+)"', text)
    assert literal is not None
    secrets = [v for v in report["vulnerabilities"] if "hardcoded-secret" in v["identifiers"][0]["value"]]
    assert secrets and literal.group(1) not in json.dumps(report)


def test_ids_are_stable_across_runs_and_unique(app_report: Any) -> None:
    _, first = app_report
    _, second = gitlab(APP)
    ids = [v["id"] for v in first["vulnerabilities"]]
    assert ids == [v["id"] for v in second["vulnerabilities"]]
    assert len(set(ids)) == len(ids)


def test_a_clean_scan_and_skipped_files(tmp_path: Path) -> None:
    (tmp_path / "ok.py").write_text("print('hello')\n")
    (tmp_path / "blob.py").write_bytes(b"\0\1\2binary")
    result, report = gitlab(".", cwd=tmp_path)
    assert result.returncode == 0
    jsonschema.validate(report, SAST_15)
    assert report["vulnerabilities"] == []
    assert [m["level"] for m in report["scan"]["messages"]] == ["info"]
    assert "ANA003" in report["scan"]["messages"][0]["value"]


def test_written_to_a_file_with_output(tmp_path: Path) -> None:
    shutil.copytree(APP, tmp_path / "app")
    result = subprocess.run([CODEREV, "scan", "--no-progress", "--format", "gitlab", "-o", "gl-sast-report.json",
                             "app"], capture_output=True, text=True, cwd=tmp_path, timeout=120, check=False)
    assert result.returncode == 1 and result.stdout == ""
    report = json.loads((tmp_path / "gl-sast-report.json").read_text())
    jsonschema.validate(report, SAST_15)
    assert all(v["location"]["file"].startswith("app/") for v in report["vulnerabilities"])
