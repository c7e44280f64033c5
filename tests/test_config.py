"""Options: selectors, severity overrides, invalid values fall back with a SYS001 error."""

from __future__ import annotations

from pathlib import Path

from coderev.analyzers import AnalysisOptions, Severity, default_rules
from coderev.analyzers.config import (
    find_project_config,
    is_enabled,
    option_selectors,
    options_from_mapping,
    severity_for,
    unknown_selectors,
)
from tests.check import findings

RULE = default_rules().get("python.insecure-deserialization.yaml-load")
assert RULE is not None


def test_selectors_match_id_prefix_category_and_cwe() -> None:
    assert RULE is not None
    for selector in (RULE.id, "python", "python.", RULE.category, "CWE-502", "all"):
        assert is_enabled(RULE, AnalysisOptions(select=(selector,))), selector
    for selector in ("py", "javascript", "CWE-89", "CWE-x"):
        assert not is_enabled(RULE, AnalysisOptions(select=(selector,))), selector
    assert not is_enabled(RULE, AnalysisOptions(ignore=("CWE-502",)))


def test_most_specific_severity_override_wins() -> None:
    assert RULE is not None
    options = AnalysisOptions(severity={"all": Severity.HINT, "python": Severity.INFO, RULE.id: Severity.WARNING})
    assert severity_for(RULE, options) is Severity.WARNING
    options = AnalysisOptions(severity={"all": Severity.HINT, "python": Severity.INFO})
    assert severity_for(RULE, options) is Severity.INFO
    (finding,) = findings("yaml.load(s)\n", options=options)
    assert finding.severity is Severity.INFO


def test_invalid_values_fall_back_to_defaults_with_errors(tmp_path: Path) -> None:
    options, errors = options_from_mapping(
        {
            "select": 3,
            "ignore": ["x"],
            "severity": {"a": "fatal", "b": "hint"},
            "honor_foreign_suppressions": "yes",
            "max-file-size": -1,
            "rule-dirs": ["rules"],
        },
        base=tmp_path,
    )
    assert options.select == () and options.ignore == ("x",)
    assert options.severity == {"b": Severity.HINT}
    assert options.honor_foreign_suppressions is False
    assert options.max_file_size == AnalysisOptions().max_file_size
    assert options.rule_dirs == (tmp_path / "rules",)
    assert [e.code for e in errors] == ["SYS001"] * 4
    assert "'select'" in str(errors[0]) and "severity.a" in str(errors[1])
    _, bad_table = options_from_mapping({"severity": ["error"]})
    assert bad_table and "severity" in str(bad_table[0])


def test_project_config_sources(tmp_path: Path) -> None:
    assert find_project_config(tmp_path) == ({}, None, [])
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n')
    assert find_project_config(tmp_path)[1] is None
    (tmp_path / "pyproject.toml").write_text('[tool.coderev]\nignore = ["CWE-502"]\n')
    data, path, errors = find_project_config(tmp_path)
    assert data == {"ignore": ["CWE-502"]} and path == tmp_path / "pyproject.toml" and not errors
    (tmp_path / ".coderev.toml").write_text("select = [\n")
    data, path, errors = find_project_config(tmp_path)
    assert path == tmp_path / ".coderev.toml" and errors[0].code == "SYS001"


def test_unknown_keys_are_errors_naming_the_closest_key(tmp_path: Path) -> None:
    (tmp_path / ".coderev.toml").write_text('selekt = ["python"]\nignore = ["CWE-330"]\nmax_file_sise = 5\nzzz = 1\n')
    data, path, errors = find_project_config(tmp_path)
    assert path == tmp_path / ".coderev.toml"
    assert [e.detail.split(": ", 1)[1] for e in errors] == [
        "unknown key 'selekt' (did you mean 'select'?)",
        "unknown key 'max_file_sise' (did you mean 'max-file-size'?)",
        "unknown key 'zzz'",
    ]
    assert all(e.code == "SYS001" for e in errors)
    options, option_errors = options_from_mapping(data)  # the rest still applies
    assert options.ignore == ("CWE-330",) and option_errors == []
    (tmp_path / ".coderev.toml").unlink()
    (tmp_path / "pyproject.toml").write_text('[tool.coderev]\nexclude = ["x"]\nexlude = ["y"]\n')
    _, _, errors = find_project_config(tmp_path)
    assert [e.detail.split(": ", 1)[1] for e in errors] == ["unknown key 'exlude' (did you mean 'exclude'?)"]


def test_selectors_that_match_no_rule_are_errors_with_suggestions() -> None:
    rules = list(default_rules())
    options = AnalysisOptions(select=("sqlinjection", "python", "CWE-89"), ignore=("pyhton.weak-crypto",),
                              severity={"javascrpt": Severity.HINT, "all": Severity.INFO})
    errors = unknown_selectors(option_selectors(options), rules, "SYS002")
    assert [e.code for e in errors] == ["SYS002"] * 3
    assert [e.detail.split(" (")[0] for e in errors] == [
        "select 'sqlinjection' matches no rule",
        "ignore 'pyhton.weak-crypto' matches no rule",
        "severity.javascrpt 'javascrpt' matches no rule",
    ]
    assert "'sql-injection'" in errors[0].detail
    assert "'python.weak-crypto'" in errors[1].detail
    assert "'javascript'" in errors[2].detail
    assert unknown_selectors([("select", "nothing-like-it-at-all")], rules)[0].detail.endswith(
        "(`coderev rules` lists the rules)")
