"""The settings schema: validation with visible errors, and the docs generated from it."""

from __future__ import annotations

from server.lsp.settings import ScanScope, json_schema, kebab, parse_settings, render_markdown
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
