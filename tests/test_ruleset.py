"""Rule files: a malformed file names itself and its field, and every other rule still loads."""

from __future__ import annotations

from pathlib import Path

import yaml

from coderev.analyzers.ruleset import BUILTIN_RULES, load_rules

GOOD = (BUILTIN_RULES / "python" / "insecure-deserialization-yaml-load.yaml").read_text()


def write(directory: Path, name: str, data: dict[str, object] | str) -> Path:
    path = directory / name
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False))
    return path


def good_rule(**changes: object) -> dict[str, object]:
    data = yaml.safe_load(GOOD)
    data["id"] = "custom.insecure-deserialization.yaml-load-copy"
    data.update(changes)
    return data


def test_user_rules_load_beside_builtin_ones(tmp_path: Path) -> None:
    write(tmp_path, "copy.yaml", good_rule())
    rules = load_rules([tmp_path])
    assert not rules.errors
    assert rules.get("custom.insecure-deserialization.yaml-load-copy") is not None
    assert len(rules) == len(load_rules()) + 1


def test_malformed_files_name_file_and_field_and_others_still_load(tmp_path: Path) -> None:
    write(tmp_path, "ok.yaml", good_rule())
    write(tmp_path, "bad-severity.yaml", good_rule(id="custom.x.one", severity="fatal"))
    write(tmp_path, "no-message.yaml", {k: v for k, v in good_rule(id="custom.x.two").items() if k != "message"})
    write(tmp_path, "bad-query.yaml", good_rule(id="custom.x.three", query="(call function: (nope) @finding)"))
    write(tmp_path, "bad-pred.yaml", good_rule(id="custom.x.four", query="((identifier) @finding (#weird? @finding))"))
    write(tmp_path, "no-capture.yaml", good_rule(id="custom.x.five", query="(identifier) @other"))
    write(tmp_path, "broken.yaml", "id: [unclosed\n")
    write(tmp_path, "zz-dupe.yaml", good_rule())
    rules = load_rules([tmp_path], builtin=False)
    assert [r.id for r in rules] == ["custom.insecure-deserialization.yaml-load-copy"]
    text = {str(e).split(f"{tmp_path}/")[1].split(":")[0]: str(e) for e in rules.errors}
    assert len(rules.errors) == 7, [str(e) for e in rules.errors]
    assert "field 'severity'" in text["bad-severity.yaml"]
    assert "'message' is a required property" in text["no-message.yaml"]
    assert "field 'query'" in text["bad-query.yaml"]
    assert "weird?" in text["bad-pred.yaml"]
    assert "finding" in text["no-capture.yaml"]
    assert "not valid YAML" in text["broken.yaml"]
    assert "already defined" in text["zz-dupe.yaml"]
    assert {e.code for e in rules.errors} <= {"ANA001", "ANA002"}


def test_missing_rule_directory_is_reported(tmp_path: Path) -> None:
    rules = load_rules([tmp_path / "absent"], builtin=False)
    assert len(rules) == 0 and rules.errors[0].code == "DAT002"


def test_schema_is_published_and_valid_json_schema() -> None:
    import json

    import jsonschema

    schema = json.loads((BUILTIN_RULES.parent / "rule.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    for path in BUILTIN_RULES.rglob("*.yaml"):
        assert path.read_text().startswith("# yaml-language-server: $schema="), path.name


def test_trusted_builtin_loading_equals_checked_loading() -> None:
    from coderev.analyzers.ruleset import builtin_rules_for_startup

    assert builtin_rules_for_startup().rules == load_rules().rules


def test_a_malformed_file_is_still_reported_when_trusted(tmp_path: Path) -> None:
    from coderev.analyzers.ruleset import parse_rule

    data = good_rule()
    del data["cwe"]
    path = write(tmp_path, "bad.yaml", data)
    try:
        parse_rule(path, path.read_text(), trusted=True)
    except Exception as exc:
        assert "'cwe' is a required property" in str(exc)
    else:
        raise AssertionError("a rule without cwe loaded")
