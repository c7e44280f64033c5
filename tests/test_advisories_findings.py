"""Dependency findings through the analyzer every front end uses, and through the real
``coderev`` console script (scan text/JSON/SARIF, advisories import/status)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from coderev.analyzers import AnalysisOptions, Analyzer, Document, Finding, Severity
from coderev.analyzers.analysis import AnalysisRun
from coderev.analyzers.deps.database import import_paths
from coderev.analyzers.finding import apply_edits

ROOT = Path(__file__).resolve().parent.parent
OSV = ROOT / "tests" / "data" / "osv"
FILES = ROOT / "tests" / "data" / "dependency_files"
CODEREV = str(Path(sys.executable).with_name("coderev"))
RULE = "deps.vulnerable-dependency"


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A data directory whose store holds the test advisories (plus the packaged snapshot)."""
    monkeypatch.setenv("CODEREV_DATA_DIR", str(tmp_path / "data"))
    import_paths([OSV])
    return tmp_path / "data"


def run(name: str, text: str, options: AnalysisOptions | None = None) -> AnalysisRun:
    return Analyzer(options=options).run(Document(text, None), path=Path("/work/app") / name)


def deps(name: str, text: str, options: AnalysisOptions | None = None) -> list[Finding]:
    return [f for f in run(name, text, options).findings if f.rule_id == RULE]


def at(text: str, finding: Finding) -> str:
    return text.encode()[finding.span.start_byte : finding.span.end_byte].decode()


def test_requirements_finding_names_ids_aliases_severity_and_fix(data_dir: Path) -> None:
    text = "flask>=2.0\njinja2==2.10  # templates\nsix==1.16.0\n"
    (finding,) = deps("requirements.txt", text)
    assert (finding.span.start_row, at(text, finding)) == (1, "2.10")
    assert finding.severity is Severity.ERROR  # GHSA-462w-v97r-4m45 says HIGH
    assert finding.message.startswith("jinja2 2.10 has 2 known vulnerabilities: ")
    # the PYSEC entry and its GitHub alias are one vulnerability, shown once with both names
    assert "PYSEC-2019-217 (CVE-2019-10906, GHSA-462w-v97r-4m45; HIGH; fixed in 2.10.1)" in finding.message
    assert "PYSEC-2021-66 (CVE-2020-28493, GHSA-g3rq-g295-4j3m, SNYK-PYTHON-JINJA2-1012994; severity not given; " \
           "fixed in 2.11.3)" in finding.message
    assert finding.message.endswith("Upgrade to 2.11.3 (the lowest version no known advisory affects).")
    assert finding.cwe == (1395, 693) and finding.category == "vulnerable-dependency" and finding.fingerprint
    assert finding.fix is not None and finding.fix.description == "Bump jinja2 to 2.11.3" and not finding.fix.safe
    assert finding.fix.verification is not None and finding.fix.verification.verified
    fixed = apply_edits(text.encode(), finding.fix.edits).decode()
    assert fixed == "flask>=2.0\njinja2==2.11.3  # templates\nsix==1.16.0\n"  # only the version changed
    assert deps("requirements.txt", fixed) == []


def test_lock_files_report_without_editing(data_dir: Path) -> None:
    text = (FILES / "package-lock.json").read_text()
    found = deps("package-lock.json", text)
    assert [(f.span.start_row + 1, at(text, f)) for f in found] == [(29, "4.17.20"), (48, "4.17.15")]
    first = found[0]
    assert first.message == (
        "lodash 4.17.20 has 1 known vulnerability: GHSA-35jh-r3h4-6jhm (CVE-2021-23337; HIGH 7.2; fixed in 4.17.21). "
        "Upgrade to 4.17.21 (the lowest version no known advisory affects) and regenerate package-lock.json."
    )
    assert first.severity is Severity.ERROR and first.cwe == (1395, 77, 94) and first.fix is None
    for name in ("poetry.lock", "uv.lock", "Pipfile.lock"):
        (jinja,) = [f for f in deps(name, (FILES / name).read_text()) if f.message.startswith("jinja2 2.10 ")]
        assert jinja.fix is None and f"regenerate {name}" in jinja.message


def test_go_mod_bump_keeps_the_v_prefix(data_dir: Path) -> None:
    text = "module example.com/app\n\ngo 1.21\n\nrequire (\n\tgolang.org/x/text v0.3.6 // indirect\n)\n"
    (finding,) = deps("go.mod", text)
    assert finding.severity is Severity.WARNING  # no severity in the advisory: the rule's
    assert "GO-2021-0113 (CVE-2021-38561, GHSA-ppp9-7jff-5vj2; severity not given; fixed in 0.3.7)" in finding.message
    assert finding.fix is not None and finding.fix.description == "Bump golang.org/x/text to v0.3.7"
    assert "golang.org/x/text v0.3.7 // indirect" in apply_edits(text.encode(), finding.fix.edits).decode()


def test_pom_bumps_the_property_a_version_comes_from(data_dir: Path) -> None:
    text = (FILES / "pom.xml").read_text()
    found = {f.message.split(" ")[0]: f for f in deps("pom.xml", text)}
    log4j = found["org.apache.logging.log4j:log4j-core"]
    assert log4j.severity is Severity.ERROR and "CRITICAL 10.0" in log4j.message and "fixed in 2.15.0" in log4j.message
    assert at(text, log4j) == "${log4j2.version}" and log4j.cwe == (1395, 20, 400, 502, 917)
    assert log4j.fix is not None and log4j.fix.description == "Bump org.apache.logging.log4j:log4j-core to 2.15.0 " \
                                                              "(property log4j2.version)"
    assert "<log4j2.version>2.15.0</log4j2.version>" in apply_edits(text.encode(), log4j.fix.edits).decode()
    jackson = found["com.fasterxml.jackson.core:jackson-databind"]
    assert "fixed in 2.12.6.1" in jackson.message and at(text, jackson) == "${jackson.version}"
    assert jackson.fix is not None and jackson.fix.verification is not None and jackson.fix.verification.verified


def test_two_bumps_of_one_property_are_not_both_verified(data_dir: Path) -> None:
    text = """<project><properties><shared.version>2.12.1</shared.version></properties><dependencies>
<dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-core</artifactId>
<version>${shared.version}</version></dependency>
<dependency><groupId>com.fasterxml.jackson.core</groupId><artifactId>jackson-databind</artifactId>
<version>${shared.version}</version></dependency></dependencies></project>"""
    checks = {f.fix.description: f.fix.verification for f in deps("pom.xml", text) if f.fix is not None}
    assert set(checks) == {"Bump org.apache.logging.log4j:log4j-core to 2.12.2 (property shared.version)",
                           "Bump com.fasterxml.jackson.core:jackson-databind to 2.12.6.1 (property shared.version)"}
    verdicts = sorted(bool(v and v.verified) for v in checks.values())
    assert verdicts == [False, True]
    assert any(v is not None and "another bump edits the same text" in v.problem for v in checks.values())


def test_options_select_ignore_and_severity_apply(data_dir: Path) -> None:
    text = "jinja2==2.10\n"
    assert deps("requirements.txt", text, AnalysisOptions(ignore=("deps",))) == []
    (info,) = deps("requirements.txt", text, AnalysisOptions(severity={RULE: Severity.INFO}))
    assert info.severity is Severity.INFO
    assert deps("requirements.txt", text, AnalysisOptions(select=("CWE-1395",)))
    assert deps("requirements.txt", "jinja2==2.10  # coderev: ignore[deps.vulnerable-dependency]\n") == []


def test_fingerprints_survive_edits_elsewhere(data_dir: Path) -> None:
    (before,) = deps("requirements.txt", "jinja2==2.10\n")
    (after,) = deps("requirements.txt", "# pinned for the templates\nflask>=2\njinja2==2.10\n")
    assert before.fingerprint == after.fingerprint and before.span.start_row != after.span.start_row
    (other,) = deps("requirements.txt", "jinja2==2.10.0\n")
    assert other.fingerprint != before.fingerprint


def test_lock_files_are_not_searched_for_secrets_but_manifests_are(data_dir: Path) -> None:
    token = "ghp_R8k2mVq7Xz1LpN4sT6wY9bC3dF5gH0jK2aE7"
    lock = f'{{"lockfileVersion": 3, "packages": {{"node_modules/a": {{"version": "1.0.0", "resolved": "{token}"}}}}}}'
    assert run("package-lock.json", lock).findings == []
    assert any(f.rule_id.startswith("secrets.") for f in run("requirements.txt", f"# {token}\n").findings)


def test_a_broken_lock_file_is_a_note_not_a_crash(data_dir: Path) -> None:
    result = run("package-lock.json", '{"packages": {"node_modules/lodash": {"version": "4.17.20"')
    assert result.findings == [] and [n.code for n in result.notes] == ["DEP002"]
    assert "package-lock.json: not valid JSON" in result.notes[0].detail


def _cli(*args: str | Path, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([CODEREV, *map(str, args)], capture_output=True, text=True, cwd=cwd, env=env,
                          timeout=120, check=False)


def test_cli_import_status_and_scan_reports(tmp_path: Path) -> None:
    env = {**os.environ, "CODEREV_DATA_DIR": str(tmp_path / "data"), "CODEREV_CACHE_DIR": str(tmp_path / "cache")}
    status = json.loads(_cli("advisories", "status", "--json", env=env, cwd=tmp_path).stdout)
    assert status["packaged"]["advisories"] == 2651 and status["packaged"]["date"] == "2024-10-10"
    assert status["packaged"]["sources"][0]["license"] == "CC-BY-4.0" and status["imported"]["advisories"] == 0
    imported = _cli("advisories", "import", OSV / "other", env=env, cwd=tmp_path)
    assert imported.returncode == 0, imported.stderr
    assert "Imported 5 advisories as of 2024-09-20" in imported.stdout and "5 added" in imported.stdout
    text = _cli("advisories", "status", env=env, cwd=tmp_path).stdout
    assert "2,651 advisories as of 2024-10-10" in text and "in use             2,656 advisories" in text
    assert "(Go 1, Maven 2, PyPI 2,652, npm 1)" in text  # GHSA-462w-v97r-4m45 is PyPI too
    bad = _cli("advisories", "import", tmp_path / "nothing-here", env=env, cwd=tmp_path)
    assert bad.returncode == 2 and "DEP004" in bad.stderr

    app = tmp_path / "app"
    app.mkdir()
    (app / "requirements.txt").write_text("jinja2==2.10\n")
    (app / "package-lock.json").write_text((FILES / "package-lock.json").read_text())
    (app / "yarn.lock").write_text('lodash@^4.17.0:\n  version "4.17.20"\n')
    (app / "pnpm-lock.yaml").write_text("packages:\n  - [broken\n")
    scan = _cli("scan", "--no-progress", "app", env=env, cwd=tmp_path)
    assert scan.returncode == 1, scan.stderr
    assert "app/requirements.txt:1:9: error deps.vulnerable-dependency [CWE-1395, CWE-693]" in scan.stdout
    assert "DEP002" in scan.stdout and "pnpm-lock.yaml" in scan.stdout
    report = json.loads(_cli("scan", "--no-progress", "app", "--format", "json", env=env, cwd=tmp_path).stdout)
    paths = sorted((f["path"], f["start"]["line"]) for f in report["findings"])
    assert paths == [("app/package-lock.json", 29), ("app/package-lock.json", 48), ("app/requirements.txt", 1),
                     ("app/yarn.lock", 2)]
    sarif = json.loads(_cli("scan", "--no-progress", "app", "--format", "sarif", env=env, cwd=tmp_path).stdout)
    schema = json.loads((ROOT / "tests" / "data" / "sarif-schema-2.1.0.json").read_text())
    jsonschema.Draft4Validator(schema).validate(sarif)
    (run_,) = sarif["runs"]
    assert [r["id"] for r in run_["tool"]["driver"]["rules"]] == [RULE]
    fixed = [r for r in run_["results"] if "fixes" in r]
    assert len(fixed) == 1 and fixed[0]["fixes"][0]["artifactChanges"][0]["replacements"][0]["insertedContent"] == {
        "text": "2.11.3"}
