"""The settings schema: every editor setting with its type, default and description (the one
source of docs/settings.md, VS Code's package.json and :class:`coderev.server.lsp.settings.Settings`)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Final

from coderev.analyzers.budget import DEFAULT_FILE_BUDGET_SECONDS
from coderev.analyzers.config import DEFAULT_MAX_FILE_SIZE, MAX_FILE_BUDGET_SECONDS

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
        "learning.minPairs": {
            "type": "integer", "minimum": 1, "maximum": 100_000, "default": 20,
            "description": "New training pairs (accepted fixes, edited ones with your final text, and "
            "rejected AI fixes) needed before a background learning run starts (docs/learning.md).",
        },
        "learning.idleMinutes": {
            "type": "number", "minimum": 0, "maximum": 1440, "default": 10,
            "description": "Minutes without typing before a background learning run may start.",
        },
        "learning.cpuBudgetSeconds": {
            "type": "number", "minimum": 0, "maximum": 86_400, "default": 1800,
            "description": "CPU seconds background learning may use per day: a warning (DAT007) at 80%, "
            "the run stopped at 100% (DAT008) and resumed from its checkpoint the next day. 0 never runs.",
        },
        "learning.checkpointMinutes": {
            "type": "number", "exclusiveMinimum": 0, "maximum": 1440, "default": 5,
            "description": "How often a learning run saves a checkpoint (`--checkpoint-minutes`).",
        },
        "learning.method": {
            "enum": ["replay", "ewc", "si", "lwf", "packnet", "replay+ewc", "replay+si", "replay+lwf"],
            "default": "replay",
            "description": "The continual-learning method of background runs (`coderev model learn --method`); "
            "`replay+ewc` and the other `+` forms combine replay of old samples with a penalty method.",
        },
        "learning.schedule": {
            "type": "boolean", "default": False,
            "description": "Run background learning (`coderev model learn`) at low priority when the other "
            "`learning.*` settings allow it, and not on battery power; `coderev model learn --status` "
            "shows why it waits.",
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
