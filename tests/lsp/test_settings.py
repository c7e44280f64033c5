"""The settings schema: validation with visible errors, and the docs generated from it."""

from __future__ import annotations

import json

import pytest

from coderev.server.lsp.settings import ScanScope, json_schema, kebab, parse_settings, render_markdown
from coderev.server.lsp.settings_schema import SCHEMA
from tests.lsp.conftest import ROOT


def test_docs_settings_md_is_generated_from_the_schema() -> None:
    assert (ROOT / "docs" / "settings.md").read_text(encoding="utf-8") == render_markdown()


def test_invalid_settings_fall_back_to_defaults_with_errors() -> None:
    settings, errors = parse_settings(
        {"debounceMs": -5, "runMode": "sometimes", "workspaceScan": "workspace", "bogus": 1, "select": ["x"]}
    )
    assert settings.debounce_ms == 75 and settings.run_mode == "onType"
    assert settings.workspace_scan is ScanScope.WORKSPACE
    assert settings.analysis == {"select": ["x"]}
    assert sorted(e.code for e in errors) == ["SYS001"] * 3
    assert any("bogus" in e.detail for e in errors)


def test_every_setting_is_documented_with_a_default() -> None:
    schema = json_schema()
    assert schema["additionalProperties"] is False
    for name, spec in schema["properties"].items():
        assert "default" in spec and spec["description"], name
        assert f"`{name}`" in render_markdown()


def test_camel_and_kebab_case_keys() -> None:
    assert kebab("honorForeignSuppressions") == "honor-foreign-suppressions"
    settings, errors = parse_settings({"coderev": {"max_file_size": 10, "honor-foreign-suppressions": True}})
    assert not errors
    assert settings.analysis == {"max-file-size": 10, "honor-foreign-suppressions": True}


def test_engine_settings_flat_or_nested_with_errors_for_bad_values() -> None:
    settings, errors = parse_settings(
        {"model": {"timeoutMs": 50, "enabled": False, "shadowSample": 0.5}, "ai.review": False,
         "learning.enabled": "yes", "model.device": "tpu", "model.storePath": "/tmp/slots"}
    )
    assert settings.model_enabled is False and settings.model_shadow_sample == 0.5
    assert settings.ai_review is False and settings.model_store_path == "/tmp/slots"
    assert settings.model_timeout_ms == 3000 and settings.learning_enabled is True and settings.model_device == "auto"
    assert sorted(e.detail.split("'")[1] for e in errors) == ["learning.enabled", "model.device", "model.timeoutMs"]


def test_model_can_be_turned_off_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CODEREV_MODEL_ENABLED", "0")
    assert parse_settings({})[0].model_enabled is False
    assert parse_settings({"model.enabled": True})[0].model_enabled is True  # an explicit setting wins


def test_settings_are_logged_as_readable_json() -> None:
    from coderev.server.lsp.settings import as_json

    settings, _ = parse_settings({"runMode": "onSave", "select": ["python"], "model": {"timeoutMs": 500}})
    logged = as_json(settings)
    assert "RunMode" not in logged and "Settings(" not in logged
    values = json.loads(logged)
    assert values["run_mode"] == "onSave" and values["model_timeout_ms"] == 500
    assert values["analysis"] == {"select": ["python"]}


def test_every_numeric_setting_takes_its_default_and_refuses_values_out_of_its_bounds() -> None:
    """Each bound a schema entry declares (minimum, exclusiveMinimum, maximum) is what the
    validator applies: an editor sends every declared setting, so a bound the validator does not
    know must not break initialize (it did, for an exclusiveMinimum). Analysis settings are checked
    where the project configuration is read (tests/test_config.py)."""
    for name, spec in SCHEMA["properties"].items():
        if spec.get("type") not in ("integer", "number") or spec["default"] is None or spec.get("analysis"):
            continue
        assert parse_settings({name: spec["default"]})[1] == [], name
        outside = [spec["maximum"] + 1] if "maximum" in spec else []
        outside += [spec["minimum"] - 1] if "minimum" in spec else []
        outside += [spec["exclusiveMinimum"]] if "exclusiveMinimum" in spec else []
        for value in outside:
            errors = parse_settings({name: value})[1]
            assert [e.code for e in errors] == ["SYS001"], (name, value)
