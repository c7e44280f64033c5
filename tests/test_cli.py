"""`coderev scan` end to end, through the installed console script."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "examples" / "vulnerable-app"
CODEREV = str(Path(sys.executable).with_name("coderev"))
VULNERABLE = "import yaml\n\ndef load(data):\n    return yaml.load(data)\n"


def scan(*args: str | Path, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CODEREV, "scan", "--no-progress", *map(str, args)],
        capture_output=True, text=True, cwd=cwd, timeout=120, check=False,
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "bad.py").write_text(VULNERABLE)
    (tmp_path / "pkg" / "good.py").write_text("import yaml\n\ndef load(data):\n    return yaml.safe_load(data)\n")
    return tmp_path


def test_findings_exit_1_with_context_and_fix(project: Path) -> None:
    result = scan("pkg", cwd=project)
    assert result.returncode == 1, result.stderr
    assert "pkg/bad.py:4:12: error python." in result.stdout
    assert ">4 |     return yaml.load(data)" in result.stdout
    assert "+     return yaml.safe_load(data)" in result.stdout
    assert "good.py" not in result.stdout


def test_clean_tree_exits_0(project: Path) -> None:
    result = scan("pkg/good.py", cwd=project)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 finding(s)" in result.stdout


def test_usage_and_config_errors_exit_2(project: Path) -> None:
    assert scan("--format", "xml", "pkg", cwd=project).returncode == 2
    missing = scan("nowhere", cwd=project)
    assert missing.returncode == 2 and "DAT002" in missing.stderr
    (project / ".coderev.toml").write_text('select = 5\n')
    bad = scan("pkg", cwd=project)
    assert bad.returncode == 2 and "SYS001" in bad.stderr and "select" in bad.stderr


def test_severity_threshold_select_and_ignore(project: Path) -> None:
    assert scan("pkg", "--severity", "error", cwd=project).returncode == 1
    assert scan("pkg", "--ignore", "insecure-deserialization", cwd=project).returncode == 0
    assert scan("pkg", "--select", "CWE-89", cwd=project).returncode == 0
    assert scan("pkg", "--select", "CWE-502", cwd=project).returncode == 1


def test_project_config_is_read(project: Path) -> None:
    (project / "pyproject.toml").write_text('[tool.coderev]\nignore = ["CWE-502"]\n')
    assert scan("pkg", cwd=project).returncode == 0


def test_excludes_gitignore_and_dependency_folders(project: Path) -> None:
    for folder in ("node_modules/x", ".venv/lib", "build"):
        (project / folder).mkdir(parents=True)
        (project / folder / "bad.py").write_text(VULNERABLE)
    (project / ".venv" / "pyvenv.cfg").write_text("home = /usr\n")
    (project / ".gitignore").write_text("build/\n")
    result = scan(".", "--format", "json", "--exclude", "pkg/bad.py", cwd=project)
    assert result.returncode == 0, result.stdout
    assert json.loads(result.stdout)["summary"]["files"] == 1


def test_bad_files_are_skipped_with_a_note(project: Path) -> None:
    (project / "pkg" / "blob.py").write_bytes(b"\x00\x01\x02binary")
    (project / "pkg" / "latin1.py").write_bytes(b"name = '\xe9t\xe9'\n")
    (project / ".coderev.toml").write_text("max-file-size = 100\n")
    (project / "pkg" / "huge.py").write_text("x = 1\n" * 100)
    result = scan("pkg", "--format", "json", cwd=project)
    report = json.loads(result.stdout)
    codes = {s["path"]: s["code"] for s in report["skipped"]}
    assert codes == {"pkg/blob.py": "ANA003", "pkg/latin1.py": "ANA004", "pkg/huge.py": "ANA005"}
    assert report["summary"]["findings"] == 1


def test_json_report_shape(project: Path) -> None:
    report = json.loads(scan("pkg", "--format", "json", cwd=project).stdout)
    (finding,) = report["findings"]
    assert finding["path"] == "pkg/bad.py"
    assert finding["start"] == {"line": 4, "column": 12}
    assert finding["cwe"] == ["CWE-502"]
    assert finding["fix"]["safe"] is True
    assert finding["fix"]["edits"][0]["text"] == "safe_load"
    assert len(finding["fingerprint"]) == 20
    assert finding["trace"] == [] and finding["evidence"] is None  # not a data-flow finding


def test_sarif_is_valid_against_the_2_1_0_schema(tmp_path: Path) -> None:
    out = tmp_path / "report.sarif"
    result = scan(APP, "--format", "sarif", "--output", out)
    assert result.returncode == 1, result.stderr
    sarif = json.loads(out.read_text())
    schema = json.loads((ROOT / "tests" / "data" / "sarif-schema-2.1.0.json").read_text())
    jsonschema.Draft4Validator(schema).validate(sarif)
    run = sarif["runs"][0]
    assert run["results"], "the example app must produce findings"
    rules = run["tool"]["driver"]["rules"]
    assert [rules[r["ruleIndex"]]["id"] for r in run["results"]] == [r["ruleId"] for r in run["results"]]
    assert sorted(r["id"] for r in rules) == sorted({r["ruleId"] for r in run["results"]})
    declared = _declared_cwes()
    assert len(rules) >= 5
    for rule in rules:  # every rule's CWE tags are exactly its rule file's cwe list
        cwes = declared[rule["id"]]
        tags = [t for t in rule["properties"]["tags"] if t.startswith("external/cwe/")]
        assert tags == [f"external/cwe/cwe-{n}" for n in cwes], rule["id"]
        assert rule["properties"]["cwe"] == [f"CWE-{n}" for n in cwes], rule["id"]
        assert rule["help"]["markdown"].startswith("## What it does")
    assert all(r["partialFingerprints"] for r in run["results"])
    flows = [r for r in run["results"] if "codeFlows" in r]
    assert flows, "the example app's data-flow findings carry their traces"
    for result in flows:
        assert result["properties"]["evidence"] in {"source", "non-constant"}
        steps = [s["location"] for s in result["codeFlows"][0]["threadFlows"][0]["locations"]]
        assert steps[-1]["message"]["text"].startswith("sink")
        related = result.get("relatedLocations", [])
        assert [r["id"] for r in related] == list(range(len(steps) - 1))
        assert [{k: v for k, v in r.items() if k != "id"} for r in related] == steps[:-1]


def _declared_cwes() -> dict[str, list[int]]:
    """rule id -> the ``cwe`` list of its YAML file, read directly from the built-in rule files."""
    declared: dict[str, list[int]] = {}
    for path in (ROOT / "coderev" / "analyzers" / "rules").rglob("*.yaml"):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        declared[data["id"]] = list(data["cwe"])
    return declared


def test_fix_applies_safe_fixes_in_place(project: Path) -> None:
    result = scan("pkg", "--fix", cwd=project)
    assert result.returncode == 0, result.stdout
    assert "yaml.safe_load(data)" in (project / "pkg" / "bad.py").read_text()


def test_the_example_app_safe_views_are_clean() -> None:
    result = scan(APP / "app" / "safe_views.py")
    assert result.returncode == 0, result.stdout


def test_output_to_an_unwritable_place_is_dat001(project: Path) -> None:
    result = scan("pkg", "--format", "json", "--output", project / "missing" / "r.json", cwd=project)
    assert result.returncode == 2 and "DAT001" in result.stderr


def test_rules_and_errors_commands() -> None:
    listing = subprocess.run([CODEREV, "rules"], capture_output=True, text=True, check=True)
    assert "python." in listing.stdout
    rule_id = listing.stdout.split()[0]
    doc = subprocess.run([CODEREV, "rules", rule_id], capture_output=True, text=True, check=True)
    assert "## Why is this bad" in doc.stdout
    errors = subprocess.run([CODEREV, "errors", "--markdown"], capture_output=True, text=True, check=True)
    assert errors.stdout == (ROOT / "docs" / "errors.md").read_text(), "run `make docs`"
    markdown = subprocess.run([CODEREV, "rules", "--format", "markdown"], capture_output=True, text=True, check=True)
    assert markdown.stdout == (ROOT / "docs" / "rules.md").read_text(), "run `make docs`"


def test_demo_runs_from_a_copy_of_the_example(tmp_path: Path) -> None:
    copy = tmp_path / "app"
    shutil.copytree(APP, copy)
    result = scan(copy, "--format", "json")
    assert json.loads(result.stdout)["summary"]["findings"] >= 1


def test_an_explicit_config_file_is_the_one_read(project: Path) -> None:
    (project / ".coderev.toml").write_text('ignore = ["CWE-502"]\n')
    (project / "ci").mkdir()
    (project / "ci" / "pyproject.toml").write_text('[tool.coderev]\nselect = ["CWE-502"]\n')
    assert scan("pkg", cwd=project).returncode == 0  # the project file ignores the only finding
    assert scan("pkg", "--config", "ci/pyproject.toml", cwd=project).returncode == 1
    assert scan("pkg", "--config", "missing.toml", cwd=project).returncode == 2


def test_version_goes_to_stdout() -> None:
    result = subprocess.run([CODEREV, "--version"], capture_output=True, text=True, check=True, timeout=60)
    assert result.stdout.startswith("coderev ") and result.stderr == ""


def test_a_selector_or_key_that_matches_nothing_fails_the_scan(project: Path) -> None:
    typo = scan("--select", "sqlinjection", "pkg", cwd=project)
    assert typo.returncode == 2 and "SYS002" in typo.stderr and "'sql-injection'" in typo.stderr
    assert scan("--select", "sql-injection,python", "pkg", cwd=project).returncode == 1
    (project / ".coderev.toml").write_text('selekt = ["python"]\n')
    key = scan("pkg", cwd=project)
    assert key.returncode == 2 and "SYS001" in key.stderr and "did you mean 'select'" in key.stderr
    (project / ".coderev.toml").write_text('ignore = ["pyhton"]\n')
    ignored = scan("pkg", cwd=project)
    assert ignored.returncode == 2 and "SYS001" in ignored.stderr and "ignore 'pyhton'" in ignored.stderr


def test_exclude_patterns_work_relative_to_the_scanned_folder_or_the_current_directory(tmp_path: Path) -> None:
    for name in ("src/gen/a.py", "src/app/b.py", "src/app/gen/c.py"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(VULNERABLE)

    def found(*args: str) -> list[str]:
        result = scan("src", "--format", "json", *args, cwd=tmp_path)
        return sorted({f["path"] for f in json.loads(result.stdout)["findings"]})

    everything = ["src/app/b.py", "src/app/gen/c.py", "src/gen/a.py"]
    assert found() == everything
    for pattern in ("/gen/", "src/gen/", "/src/gen", "src/gen/**"):  # one folder, either base
        assert found("--exclude", pattern) == ["src/app/b.py", "src/app/gen/c.py"], pattern
    assert found("--exclude", "gen/") == ["src/app/b.py"]  # unanchored: every gen folder
    assert found("--exclude", "src/**/c.py") == ["src/app/b.py", "src/gen/a.py"]
    # a configuration file's patterns are relative to its folder as well
    (tmp_path / ".coderev.toml").write_text('exclude = ["src/app/"]\n')
    assert found() == ["src/gen/a.py"]


def test_rules_check_validates_schema_query_and_examples(tmp_path: Path) -> None:
    good = (ROOT / "tests" / "lsp" / "rules" / "python" / "lsptest-yaml-load.yaml").read_text()
    (tmp_path / "ok.yaml").write_text(good)
    (tmp_path / "query.yaml").write_text(good.replace("(call", "(calll", 1).replace("lsptest.yaml-load", "lsptest.q"))
    # the query now looks for yaml.lod: the declared bad examples are no longer found
    (tmp_path / "examples.yaml").write_text(
        good.replace('"load" "load_all"', '"lod"').replace("lsptest.yaml-load", "lsptest.e"))
    (tmp_path / "schema.yaml").write_text("id: x\n")
    ok = subprocess.run([CODEREV, "rules", "--check", tmp_path / "ok.yaml"], capture_output=True, text=True,
                        timeout=120, check=False)
    assert ok.returncode == 0, ok.stdout
    assert "ok    " in ok.stdout and "(4 example(s))" in ok.stdout and "1 ok, 0 failed" in ok.stdout
    every = subprocess.run([CODEREV, "rules", "--check", tmp_path], capture_output=True, text=True,
                           timeout=120, check=False)
    assert every.returncode == 1
    lines = every.stdout.splitlines()
    assert "4 rule file(s): 1 ok, 3 failed" in lines
    assert any(line.startswith("FAIL  ANA002") and "query.yaml" in line and "calll" in line for line in lines)
    assert any(line.startswith("FAIL  ANA009") and "examples.yaml" in line and "example 1 (bad) did not fire"
               in line for line in lines)
    assert any(line.startswith("FAIL  ANA001") and "schema.yaml" in line for line in lines)
    assert any(line.startswith("  ANA009: ") and "coderev rules --check" in line for line in lines)
    missing = subprocess.run([CODEREV, "rules", "--check", tmp_path / "nope.yaml"], capture_output=True,
                             text=True, timeout=120, check=False)
    assert missing.returncode == 1 and "DAT002" in missing.stdout
