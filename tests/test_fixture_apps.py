"""Fixture apps: realistic code per language, with the findings coderev must report.

Each directory ``tests/fixtures/<name>/`` with an ``expected.json`` is one app:

    {"expected": [{"file": "vulnerable/server.js", "line": 42, "rule": "javascript.sql-injection..."}],
     "safe": ["safe/server.js"]}

Every expected finding must be reported (rule id at that 1-based line), and the files listed
under ``safe`` must have no error-severity finding. Adding an app is adding a directory.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from coderev.analyzers import Document, Finding, language_for_path
from tests.check import analyzer

FIXTURES = Path(__file__).resolve().parent / "fixtures"
APPS = sorted(p.parent for p in FIXTURES.glob("*/expected.json"))


def _manifest(app: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((app / "expected.json").read_text(encoding="utf-8"))
    return data


def _findings(path: Path) -> list[Finding]:
    language = language_for_path(path)
    assert language is not None, f"{path}: no grammar for this file"
    return analyzer().analyze(Document(path.read_text(encoding="utf-8"), language))


def test_there_are_fixture_apps() -> None:
    assert APPS


@pytest.mark.parametrize("app", APPS, ids=lambda p: p.name)
def test_expected_findings_are_reported(app: Path) -> None:
    expected = _manifest(app)["expected"]
    assert expected, f"{app.name}: expected.json lists no findings"
    found: dict[str, set[tuple[int, str]]] = {}
    missing = []
    for item in expected:
        if item["file"] not in found:
            found[item["file"]] = {(f.span.start_row + 1, f.rule_id) for f in _findings(app / item["file"])}
        if (item["line"], item["rule"]) not in found[item["file"]]:
            missing.append(f"{item['file']}:{item['line']} {item['rule']}")
    assert not missing, f"{app.name}: not reported:\n" + "\n".join(missing)


@pytest.mark.parametrize("app", APPS, ids=lambda p: p.name)
def test_safe_variants_have_no_errors(app: Path) -> None:
    safe = _manifest(app).get("safe", [])
    assert safe, f"{app.name}: expected.json lists no safe files"
    errors = [
        f"{name}:{f.span.start_row + 1} {f.rule_id}"
        for name in safe
        for f in _findings(app / name)
        if f.severity.value == "error"
    ]
    assert not errors, f"{app.name}: error findings in safe files:\n" + "\n".join(errors)
