"""The server's settings: one schema, typed values, validation with visible errors.

Editor settings arrive as camelCase keys (``initializationOptions`` and the ``coderev`` section
of ``workspace/configuration``). Analysis keys (select, ignore, severity, ...) are handed to
:func:`analyzers.config.options_from_mapping`; server keys (run mode, debounce, workspace scan)
are checked here. A bad value never stops the server: it falls back to its default and becomes a
catalogued SYS001 error that the server shows to the user. ``docs/settings.md`` is rendered from
:data:`SCHEMA` by :func:`render_markdown` (no pygls needed).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Final

from analyzers.config import DEFAULT_MAX_FILE_SIZE
from analyzers.errors import CoderevError


class RunMode(StrEnum):
    ON_TYPE = "onType"
    ON_SAVE = "onSave"


class ScanScope(StrEnum):
    OFF = "off"
    OPEN_FILES = "openFiles"
    WORKSPACE = "workspace"


SCHEMA: Final[dict[str, Any]] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "coderev language server settings",
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "select": {
            "type": "array", "items": {"type": "string"}, "default": [],
            "description": "Rules to run: rule ids, id prefixes (`python.injection`), categories or "
            "`CWE-<n>`. Empty runs every rule.",
            "analysis": True,
        },
        "ignore": {
            "type": "array", "items": {"type": "string"}, "default": [],
            "description": "Rules never to run, with the same selectors as `select`.",
            "analysis": True,
        },
        "severity": {
            "type": "object", "additionalProperties": {"enum": ["error", "warning", "info", "hint"]},
            "default": {},
            "description": "Severity overrides: selector = level; the most specific selector wins.",
            "analysis": True,
        },
        "exclude": {
            "type": "array", "items": {"type": "string"}, "default": [],
            "description": "Paths not analyzed (gitignore syntax, relative to the workspace root); "
            "`.gitignore` files are respected too.",
            "analysis": True,
        },
        "honorForeignSuppressions": {
            "type": "boolean", "default": False,
            "description": "Also obey `# nosec` and `// nosemgrep` comments.",
            "analysis": True,
        },
        "maxFileSize": {
            "type": "integer", "minimum": 1, "default": DEFAULT_MAX_FILE_SIZE,
            "description": "Files larger than this many bytes are skipped (ANA005).",
            "analysis": True,
        },
        "ruleDirs": {
            "type": "array", "items": {"type": "string"}, "default": [],
            "description": "Extra directories of rule files, relative to the workspace root.",
            "analysis": True,
        },
        "runMode": {
            "enum": [m.value for m in RunMode], "default": RunMode.ON_TYPE.value,
            "description": "Analyze as you type (`onType`) or only when a file is saved (`onSave`).",
        },
        "debounceMs": {
            "type": "integer", "minimum": 0, "maximum": 10_000, "default": 75,
            "description": "Milliseconds to wait after the last keystroke before analyzing.",
        },
        "workspaceScan": {
            "enum": [s.value for s in ScanScope], "default": ScanScope.OPEN_FILES.value,
            "description": "Which files get diagnostics besides open documents (always analyzed): "
            "`off` (none; the `coderev.scanWorkspace` command is refused), `openFiles` (none until "
            "the command scans the workspace on demand) or `workspace` (every file of every "
            "workspace folder, scanned at start and by the command).",
        },
        "scanConcurrency": {
            "type": "integer", "minimum": 1, "maximum": 64, "default": 4,
            "description": "How many files a workspace scan reads and analyzes at once.",
        },
        "cacheDir": {
            "type": ["string", "null"], "default": None,
            "description": "Where the feedback store lives (default: the user cache directory, or "
            "`$CODEREV_CACHE_DIR`).",
        },
    },
}

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
    """Validated editor settings. ``analysis`` holds the analysis keys, kebab-case."""

    run_mode: RunMode = RunMode.ON_TYPE
    debounce_ms: int = 75
    workspace_scan: ScanScope = ScanScope.OPEN_FILES
    scan_concurrency: int = 4
    cache_dir: str | None = None
    analysis: Mapping[str, Any] = field(default_factory=dict)


def _bounded_int(key: str, value: Any, errors: list[CoderevError]) -> int | None:
    spec = _PROPERTIES[key]
    if isinstance(value, int) and not isinstance(value, bool) and spec["minimum"] <= value <= spec.get(
        "maximum", value
    ):
        return value
    bounds = f"{spec['minimum']}..{spec.get('maximum', '')}"
    errors.append(CoderevError("SYS001", f"setting '{key}' must be an integer in {bounds}, got {value!r}"))
    return None


def _choice(key: str, value: Any, errors: list[CoderevError]) -> str | None:
    allowed = _PROPERTIES[key]["enum"]
    if value in allowed:
        return str(value)
    errors.append(CoderevError("SYS001", f"setting '{key}' must be one of {', '.join(allowed)}; got {value!r}"))
    return None


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
    for raw_key, value in data.items():
        key = camel(str(raw_key))
        if key not in _PROPERTIES:
            errors.append(CoderevError("SYS001", f"unknown setting '{raw_key}'"))
        elif key in ANALYSIS_KEYS:
            analysis[kebab(key)] = value
        elif key in {"debounceMs", "scanConcurrency"}:
            values[key] = _bounded_int(key, value, errors)
        elif key in {"runMode", "workspaceScan"}:
            values[key] = _choice(key, value, errors)
        elif key == "cacheDir":
            if value is None or isinstance(value, str):
                values[key] = value or None
            else:
                errors.append(CoderevError("SYS001", f"setting 'cacheDir' must be a string, got {value!r}"))
    defaults = Settings()
    return (
        Settings(
            run_mode=RunMode(values.get("runMode") or defaults.run_mode),
            debounce_ms=_or(values.get("debounceMs"), defaults.debounce_ms),
            workspace_scan=ScanScope(values.get("workspaceScan") or defaults.workspace_scan),
            scan_concurrency=_or(values.get("scanConcurrency"), defaults.scan_concurrency),
            cache_dir=values.get("cacheDir"),
            analysis=analysis,
        ),
        errors,
    )


def _or(value: int | None, default: int) -> int:
    return default if value is None else value


def render_markdown() -> str:
    """``docs/settings.md``: every setting with its type, default and meaning."""
    lines = [
        "# Language server settings",
        "",
        "Generated from `server/lsp/settings.py` (`SCHEMA`) by "
        "`python -m server.lsp.settings --markdown`; do not edit by hand.",
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
