"""The server's settings: one schema, typed values, validation with visible errors.

Editor settings arrive as camelCase keys (``initializationOptions`` and the ``coderev`` section
of ``workspace/configuration``). Analysis keys (select, ignore, severity, ...) are handed to
:func:`coderev.analyzers.config.options_from_mapping`; server keys (run mode, debounce, workspace scan)
are checked here. A bad value never stops the server: it falls back to its default and becomes a
catalogued SYS001 error that the server shows to the user. ``docs/settings.md`` is rendered from
:data:`SCHEMA` by :func:`render_markdown` (no pygls needed).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Final

from coderev.analyzers.errors import CoderevError
from coderev.analyzers.renames import RENAMES, resolve
from coderev.server.lsp.settings_schema import EDITOR_FILE_BUDGET_SECONDS, SCHEMA, RunMode, ScanScope

__all__ = ["EDITOR_FILE_BUDGET_SECONDS", "SCHEMA", "RunMode", "ScanScope", "Settings", "parse_settings"]


_PROPERTIES: Final[dict[str, dict[str, Any]]] = SCHEMA["properties"]
ANALYSIS_KEYS: Final = frozenset(k for k, v in _PROPERTIES.items() if v.get("analysis"))


def kebab(key: str) -> str:
    """``honorForeignSuppressions`` -> ``honor-foreign-suppressions``; snake_case too."""
    return re.sub(r"(?<!^)([A-Z])", r"-\1", key).replace("_", "-").lower()


def camel(key: str) -> str:
    head, *rest = kebab(key).split("-")
    return head + "".join(part.title() for part in rest)


@dataclass(frozen=True, slots=True)
class Settings:
    """Validated editor settings. ``analysis`` holds the analysis keys, kebab-case; every other
    schema key has the field of its snake_case name (``model.timeoutMs`` -> ``model_timeout_ms``)."""

    run_mode: RunMode = RunMode.ON_TYPE
    debounce_ms: int = 75
    workspace_scan: ScanScope = ScanScope.OPEN_FILES
    scan_concurrency: int = 4
    cache_dir: str | None = None
    learning_enabled: bool = True
    learning_min_pairs: int = 20
    learning_idle_minutes: float = 10.0
    learning_cpu_budget_seconds: float = 1800.0
    learning_checkpoint_minutes: float = 5.0
    learning_method: str = "replay"
    learning_schedule: bool = False
    model_enabled: bool = True
    model_store_path: str | None = None
    model_device: str = "auto"
    model_compute_type: str = "auto"
    model_timeout_ms: int = 3000
    model_p95_latency_ms: int = 3000
    model_shadow_sample: float = 0.1
    engine_url: str = "inprocess"
    engine_health_interval_s: int = 30
    ai_fixes: bool = True
    ai_review: bool = False
    ai_review_pause_ms: int = 1500
    analysis: Mapping[str, Any] = field(default_factory=dict)


def as_json(settings: Settings) -> str:
    """The settings as readable JSON for the log (not the dataclass repr with its enum reprs)."""
    return json.dumps(asdict(settings), sort_keys=True, default=str)


def field_name(key: str) -> str:
    """``model.timeoutMs`` -> ``model_timeout_ms``."""
    return "_".join(kebab(part).replace("-", "_") for part in key.split("."))


_GROUPS: Final = frozenset(key.split(".", 1)[0] for key in _PROPERTIES if "." in key)


def _check(key: str, value: Any) -> tuple[Any, CoderevError | None]:
    """``value`` if it fits the schema of ``key``, else (None, the SYS001 error)."""
    spec = _PROPERTIES[key]
    kind = spec.get("type")
    if "enum" in spec:
        if value in spec["enum"]:
            return value, None
        return None, CoderevError("SYS001", f"setting '{key}' must be one of {', '.join(spec['enum'])}; got {value!r}")
    if kind == "boolean":
        if isinstance(value, bool):
            return value, None
        return None, CoderevError("SYS001", f"setting '{key}' must be true or false, got {value!r}")
    if kind in ("integer", "number"):
        numeric = isinstance(value, int | float) and not isinstance(value, bool)
        if numeric and kind == "integer" and not isinstance(value, int):
            numeric = False
        low, above = spec.get("minimum"), spec.get("exclusiveMinimum")
        if numeric and (low is None or value >= low) and (above is None or value > above) \
                and value <= spec.get("maximum", value):
            return value, None
        bounds = f"{low}..{spec.get('maximum', '')}" if above is None else f"({above}..{spec.get('maximum', '')}"
        noun = "an integer" if kind == "integer" else "a number"
        return None, CoderevError("SYS001", f"setting '{key}' must be {noun} in {bounds}, got {value!r}")
    if value is None and isinstance(kind, list) and "null" in kind:
        return None, None
    if isinstance(value, str) and (kind == "string" or (isinstance(kind, list) and "string" in kind)):
        return value or spec["default"], None
    return None, CoderevError("SYS001", f"setting '{key}' must be a string, got {value!r}")


def _flatten(data: Mapping[str, Any]) -> dict[str, Any]:
    """``{"model": {"enabled": false}}`` (Neovim's nested tables) -> ``{"model.enabled": false}``."""
    flat: dict[str, Any] = {}
    for raw_key, value in data.items():
        if str(raw_key) in _GROUPS and isinstance(value, Mapping):
            flat.update({f"{raw_key}.{inner}": v for inner, v in value.items()})
        else:
            flat[str(raw_key)] = value
    return flat


def parse_settings(data: Any) -> tuple[Settings, list[CoderevError]]:
    """Typed settings from an editor mapping; invalid or unknown entries become SYS001 errors."""
    errors: list[CoderevError] = []
    if data is None:
        return Settings(), errors
    if not isinstance(data, Mapping):
        errors.append(CoderevError("SYS001", f"settings must be an object, got {type(data).__name__}"))
        return Settings(), errors
    if isinstance(data.get("coderev"), Mapping):  # a client that sends the whole tree
        data = data["coderev"]
    values: dict[str, Any] = {}
    analysis: dict[str, Any] = {}
    flat = _flatten(data)
    given = {".".join(camel(part) for part in k.split(".")) for k in flat}
    for raw_key, value in flat.items():
        key, renamed = resolve(".".join(camel(part) for part in raw_key.split(".")))
        if renamed is not None:
            errors.append(renamed)  # SYS012, a warning: the value is read under the new name
            if renamed.code != "SYS012" or key in given:
                continue  # past its grace version; or the new name is given too, and wins
        if key not in _PROPERTIES:
            errors.append(CoderevError("SYS001", f"unknown setting '{raw_key}'"))
        elif key in ANALYSIS_KEYS:
            analysis[kebab(key)] = value
        else:
            checked, error = _check(key, value)
            if error is not None:
                errors.append(error)
            else:
                values[field_name(key)] = checked
    if "model_enabled" not in values and os.environ.get(MODEL_ENV) == "0":
        values["model_enabled"] = False
    values = {k: v for k, v in values.items() if v is not None or k in _NULLABLE}
    settings = Settings(**values, analysis=analysis)
    typed = replace(settings, run_mode=RunMode(settings.run_mode), workspace_scan=ScanScope(settings.workspace_scan))
    return typed, errors


MODEL_ENV: Final = "CODEREV_MODEL_ENABLED"  # the VS Code extension sets it from coderev.model.enabled
_NULLABLE: Final = frozenset(field_name(k) for k, v in _PROPERTIES.items() if isinstance(v.get("type"), list))


def render_markdown() -> str:
    """``docs/settings.md``: every setting with its type, default and meaning."""
    lines = [
        "# Language server settings",
        "",
        "Generated from `coderev/server/lsp/settings.py` (`SCHEMA`) by "
        "`python -m coderev.server.lsp.settings --markdown`; do not edit by hand.",
        "",
        "Editors send these under the `coderev` section (VS Code: `coderev.<name>`), in",
        "`initializationOptions` or through `workspace/configuration`. The analysis settings",
        "(marked *analysis*) can also be written in kebab-case in `[tool.coderev]` of",
        "`pyproject.toml` or in `.coderev.toml` at a workspace root; the project file wins over",
        "editor settings, so CI and editors agree. An invalid value is reported (SYS001) and its",
        "default is used.",
        "",
        "| setting | type | default | description |",
        "| --- | --- | --- | --- |",
    ]
    for key, spec in _PROPERTIES.items():
        kind = " \\| ".join(f"`{v}`" for v in spec["enum"]) if "enum" in spec else _type_name(spec)
        scope = " *(analysis)*" if spec.get("analysis") else ""
        default = json.dumps(spec["default"])
        lines.append(f"| `{key}`{scope} | {kind} | `{default}` | {spec['description']} |")
    lines += [
        "",
        "## Renamed settings",
        "",
        "A renamed setting keeps working under its old name until the version given here, with a warning",
        "(SYS012) naming the new one; when both are given, the new one wins. From that version on the old",
        "name is an unknown setting (SYS001). Project files' kebab-case analysis keys follow the same renames.",
        "",
        "| old name | new name | renamed in | old name stops working in |",
        "| --- | --- | --- | --- |",
        *(f"| `{r.old}` | `{r.new}` | {r.renamed_in} | {r.removed_in} |" for r in RENAMES),
    ]
    return "\n".join(lines) + "\n"


def _type_name(spec: Mapping[str, Any]) -> str:
    kind = spec["type"]
    if isinstance(kind, list):
        return " or ".join(kind)
    if kind == "array":
        return f"array of {spec['items']['type']}"
    return str(kind)


def json_schema() -> dict[str, Any]:
    """The schema as plain JSON Schema (editors' settings contributions can embed it)."""
    props = {k: {n: v for n, v in spec.items() if n != "analysis"} for k, spec in _PROPERTIES.items()}
    return {**SCHEMA, "properties": props}


if __name__ == "__main__":  # pragma: no cover - tiny CLI for regenerating the docs
    import sys

    if sys.argv[1:] == ["--json"]:
        print(json.dumps(json_schema(), indent=2))
    else:
        sys.stdout.write(render_markdown())
