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
from enum import StrEnum
from typing import Any, Final

from coderev.analyzers.budget import DEFAULT_FILE_BUDGET_SECONDS
from coderev.analyzers.config import DEFAULT_MAX_FILE_SIZE, MAX_FILE_BUDGET_SECONDS
from coderev.analyzers.errors import CoderevError
from coderev.analyzers.renames import RENAMES, resolve

# The editor analyzes on every change, and a result waits for the whole file: it gets a shorter
# budget than `coderev scan` (a project file's `file-budget-seconds` still wins over both).
EDITOR_FILE_BUDGET_SECONDS: Final = 2.0


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
        "fileBudgetSeconds": {
            "type": "number", "exclusiveMinimum": 0, "maximum": MAX_FILE_BUDGET_SECONDS,
            "default": EDITOR_FILE_BUDGET_SECONDS,
            "description": "Seconds of rule matching one analysis of a file may take. The top-level "
            "definitions not matched by then are skipped (ANA010, an information diagnostic on their "
            "first line) and stay skipped until their text changes; the rest of the file is reported. "
            f"`coderev scan` defaults to {DEFAULT_FILE_BUDGET_SECONDS:g} (`--file-budget-seconds`).",
            "analysis": True,
        },
        "reportUntraced": {
            "type": "boolean", "default": True,
            "description": "Report data-flow findings where no untrusted source was traced (the value "
            "is only non-constant, such as a table name from `quote_name`) as warnings; `false` leaves "
            "them out. A traced flow from an untrusted source is always reported (docs/taint.md).",
            "analysis": True,
        },
        "testCodeErrors": {
            "type": "boolean", "default": False,
            "description": "Give findings in test code (test folders, `test_*.py`, `*.test.js`, "
            "`*Test.java`, ...) the rules' severities; by default they are at most warnings.",
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
        "learning.enabled": {
            "type": "boolean", "default": True,
            "description": "Learn from accepted and dismissed findings: a finding kind you keep "
            "dismissing is shown as a hint, then hidden; fixes you tend to accept come first "
            "(docs/learning.md). The `coderev.resetLearning` command forgets what was learned.",
        },
        "model.enabled": {
            "type": "boolean", "default": True,
            "description": "Use the local model for AI fixes and reviews. Off: rules only. "
            "(`CODEREV_MODEL_ENABLED=0` in the server's environment also turns it off.)",
        },
        "model.storePath": {
            "type": ["string", "null"], "default": None,
            "description": "Where model slots are kept (default: the user data directory, or "
            "`$CODEREV_DATA_DIR/slots`); see `coderev model list`.",
        },
        "model.device": {
            "enum": ["auto", "cpu", "cuda"], "default": "auto",
            "description": "Where the model runs: `auto` picks CUDA when CTranslate2 sees a GPU.",
        },
        "model.computeType": {
            "type": "string", "default": "auto",
            "description": "CTranslate2 compute type (`auto`: INT8 on CPU, `int8_float16` on CUDA, "
            "`int32_float16` for AWQ 4-bit slots); any type `coderev model info` lists.",
        },
        "model.timeoutMs": {
            "type": "integer", "minimum": 100, "maximum": 120_000, "default": 3000,
            "description": "A model request that takes longer fails (PRV006); rules are unaffected.",
        },
        "model.p95LatencyMs": {
            "type": "integer", "minimum": 10, "maximum": 120_000, "default": 3000,
            "description": "The latency objective of the production slot: a slot whose p95 exceeds "
            "it is demoted (docs/slo.md).",
        },
        "model.shadowSample": {
            "type": "number", "minimum": 0, "maximum": 1, "default": 0.1,
            "description": "Share of model requests also sent to the experimental slot (V1), whose "
            "answers are measured and never shown.",
        },
        "engine.url": {
            "type": "string", "default": "inprocess",
            "description": "Which model engine serves AI fixes and reviews: `inprocess` (a model worker "
            "of this language server's own), `local` (the engine shared by every coderev language "
            "server of this user, on the Unix socket in the user runtime directory; the first server "
            "starts it and it exits after 15 idle minutes), `unix:PATH` (an engine already serving on "
            "that socket: `coderev engine serve --socket PATH`) or an `http(s)://` URL of a team "
            "engine (its token in `$CODEREV_ENGINE_TOKEN`). With an engine elsewhere the `model.*` "
            "settings other than `model.enabled` and `model.timeoutMs` are the engine's own; while it "
            "cannot be reached the server is rules-only and keeps retrying (docs/engine-api.md).",
        },
        "engine.healthIntervalS": {
            "type": "integer", "minimum": 1, "maximum": 3600, "default": 30,
            "description": "Seconds between health checks of the engine: pings of the model worker, or "
            "status requests to an engine elsewhere (every second while it cannot be reached). Was "
            "`model.healthIntervalS`.",
        },
        "ai.fixes": {
            "type": "boolean", "default": True,
            "description": "Offer verified AI fixes (labelled with the slot version) in code actions.",
        },
        "ai.review": {
            "type": "boolean", "default": False,
            "description": "Review changed functions with the model after a pause in typing; its "
            "findings appear with source `coderev-ai`. Off by default: on held-out real code the default "
            "model raises no wrong finding on functions as written, but it finds nothing the rules do not "
            "already report, and it costs a model pass per changed function (docs/model.md, \"Is AI review "
            "on by default?\").",
        },
        "ai.reviewPauseMs": {
            "type": "integer", "minimum": 100, "maximum": 60_000, "default": 1500,
            "description": "Milliseconds without a change before changed functions are reviewed.",
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
    """Validated editor settings. ``analysis`` holds the analysis keys, kebab-case; every other
    schema key has the field of its snake_case name (``model.timeoutMs`` -> ``model_timeout_ms``)."""

    run_mode: RunMode = RunMode.ON_TYPE
    debounce_ms: int = 75
    workspace_scan: ScanScope = ScanScope.OPEN_FILES
    scan_concurrency: int = 4
    cache_dir: str | None = None
    learning_enabled: bool = True
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
        if numeric and spec["minimum"] <= value <= spec.get("maximum", value):
            return value, None
        bounds = f"{spec['minimum']}..{spec.get('maximum', '')}"
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
