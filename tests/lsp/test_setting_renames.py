"""Renamed settings (coderev/analyzers/renames.py): the old name works for one version with a
SYS012 warning naming the new one, in project files and in the editor's settings (initialization
options and didChangeConfiguration over stdio); past its grace version it is SYS001."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from lsprotocol import types

from coderev.analyzers import renames
from coderev.analyzers.config import options_from_mapping, read_config_file
from coderev.analyzers.renames import RENAMES, Rename, current_version, resolve, version_key
from coderev.server.lsp.settings import _PROPERTIES, parse_settings
from tests.lsp.conftest import Client, start, stop

OLD, NEW = "model.healthIntervalS", "engine.healthIntervalS"
# For the project-file path: analysis settings have no real rename (yet), so the tests add one.
SPELLING = Rename("honourForeignSuppressions", "honorForeignSuppressions", "0.1.0", "0.2.0")


def test_every_rename_points_at_a_setting_and_is_still_in_its_grace_version() -> None:
    for rename in RENAMES:
        assert rename.new in _PROPERTIES and rename.old not in _PROPERTIES
        assert version_key(rename.renamed_in) < version_key(rename.removed_in)
        assert version_key(current_version()) < version_key(rename.removed_in), \
            f"{rename.old} no longer works from {rename.removed_in}: remove it from RENAMES and the editors"


def test_the_old_editor_name_is_read_as_the_new_one_with_a_warning() -> None:
    settings, errors = parse_settings({OLD: 7})
    assert settings.engine_health_interval_s == 7
    [warning] = errors
    assert warning.code == "SYS012" and f"'{NEW}'" in warning.detail and "0.2.0" in warning.detail
    nested, errors = parse_settings({"model": {"healthIntervalS": 9}})  # Neovim's nested tables
    assert nested.engine_health_interval_s == 9 and [e.code for e in errors] == ["SYS012"]
    both, errors = parse_settings({OLD: 7, NEW: 11})
    assert both.engine_health_interval_s == 11 and [e.code for e in errors] == ["SYS012"]


def test_past_its_grace_version_the_old_name_is_unknown_but_names_the_new_one() -> None:
    key, error = resolve(OLD, now="0.2.0")
    assert key == OLD and error is not None and error.code == "SYS001"
    assert f"renamed to '{NEW}'" in error.detail
    assert resolve("select") == ("select", None)


def test_a_renamed_key_in_a_project_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(renames, "RENAMES", (*RENAMES, SPELLING))
    config = tmp_path / ".coderev.toml"
    config.write_text("honour-foreign-suppressions = true\nselekt = []\n", encoding="utf-8")
    data, unknown = read_config_file(config)
    assert [e.code for e in unknown] == ["SYS001"] and "selekt" in unknown[0].detail  # the rename is not "unknown"
    options, errors = options_from_mapping(data)
    assert options.honor_foreign_suppressions is True
    [warning] = errors
    assert warning.code == "SYS012" and "'honor-foreign-suppressions'" in warning.detail
    later = dict(data, **{"honor-foreign-suppressions": False})
    options, errors = options_from_mapping(later)  # the new name wins
    assert options.honor_foreign_suppressions is False and [e.code for e in errors] == ["SYS012"]


def _applied(client: Client) -> list[dict[str, object]]:
    return [json.loads(m.message.removeprefix("settings: ")) for m in client.log_messages
            if m.message.startswith("settings:")]


@pytest.mark.asyncio(loop_scope="session")
async def test_the_old_name_over_stdio_initialization_and_did_change_configuration(
        client_name: str, workspace: Path, tmp_path: Path) -> None:
    client = await start(client_name, workspace, tmp_path / "cache", {OLD: 5})
    try:
        await client.wait_until(lambda: client.messages and _applied(client))
        [shown] = client.messages
        assert shown.type == types.MessageType.Warning
        assert shown.message.startswith("SYS012") and f"'{NEW}'" in shown.message
        assert _applied(client)[-1]["engine_health_interval_s"] == 5
        seen = len(_applied(client))
        # VS Code answers workspace/configuration with nested objects, a Lua table may be flat
        changed = {"model": {"healthIntervalS": 8}} if client.client_name.startswith("visual") else {OLD: 8}
        client.set_configuration(changed, section="coderev")
        client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
        await client.wait_until(lambda: len(_applied(client)) > seen and len(client.messages) >= 2)
        assert _applied(client)[-1]["engine_health_interval_s"] == 8
        assert client.messages[-1].message.startswith("SYS012")
    finally:
        await stop(client)
