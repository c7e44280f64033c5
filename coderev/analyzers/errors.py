"""The error catalogue: every failure a user can hit has a stable code and a remedy.

Codes never change meaning once published; retired codes are not reused. The families are
AUTH (permissions, engine API tokens), ANA (analysis), PRV (model provider), DAT (data and storage),
DEP (dependency files and vulnerability advisories) and SYS (configuration, environment, internal).
The catalogue sits in the bottom layer so that every layer (analyzers, engine, server) raises the
same typed error; see docs/adr/0002.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True, slots=True)
class ErrorSpec:
    """One catalogue entry: a stable code, a short title and what the user should do."""

    code: str
    title: str
    remedy: str


_SPECS: Final = (
    ErrorSpec(
        "AUTH001",
        "Permission denied",
        "Check that your user can read the path (or write it, for output files).",
    ),
    ErrorSpec(
        "AUTH002",
        "Engine API token missing",
        "A team engine (`coderev engine serve --host H --port P`) answers only requests that carry "
        "`Authorization: Bearer TOKEN`. Its operator creates a token with `coderev engine token create "
        "NAME`; pass it to `coderev engine status --url URL --token-file FILE` or set CODEREV_ENGINE_TOKEN.",
    ),
    ErrorSpec(
        "AUTH003",
        "Engine API token not valid",
        "The token is not one the engine knows: mistyped, or revoked. `coderev engine token list` on the "
        "engine's machine shows the live tokens; ask its operator for a new one (`coderev engine token "
        "create NAME`).",
    ),
    ErrorSpec(
        "AUTH004",
        "Engine API token expired",
        "Ask the engine's operator for a new token (`coderev engine token create NAME --expires-days N`) "
        "and revoke the old one (`coderev engine token revoke NAME`).",
    ),
    ErrorSpec(
        "AUTH005",
        "Engine API token lacks the admin scope",
        "Promoting and demoting model slots needs an admin token: `coderev engine token create NAME "
        "--scope admin` on the engine's machine. A user token can ask for fixes, reviews, status and "
        "feedback.",
    ),
    ErrorSpec(
        "ANA001",
        "Rule file is malformed",
        "Fix the field named in the message; all other rules still load.",
    ),
    ErrorSpec(
        "ANA002",
        "Rule query does not compile",
        "Check the tree-sitter query against the grammar's node types "
        "(`coderev rules --check FILE` shows where the query fails to compile).",
    ),
    ErrorSpec(
        "ANA003",
        "File skipped: binary content",
        "Nothing to do; coderev analyzes text files only.",
    ),
    ErrorSpec(
        "ANA004",
        "File skipped: not valid text in its encoding",
        "Re-save the file as UTF-8 (or, for Python, in the encoding its `# -*- coding: ... -*-` "
        "line declares) to have it analyzed.",
    ),
    ErrorSpec(
        "ANA005",
        "File skipped: larger than the size limit",
        "Raise `max-file-size` in the configuration if you want it analyzed.",
    ),
    ErrorSpec(
        "ANA006",
        "Language not supported",
        "coderev analyzes Python, JavaScript, TypeScript, Go and Java files.",
    ),
    ErrorSpec(
        "ANA007",
        "Edit is outside the document",
        "The editor and server disagree on the text; reopen the file to resynchronize.",
    ),
    ErrorSpec(
        "ANA008",
        "Unknown document",
        "The document was not opened with the server; reopen the file.",
    ),
    ErrorSpec(
        "ANA009",
        "Rule example does not behave as declared",
        "Fix the rule's query or its examples; `coderev rules --check FILE` runs a rule file's "
        "examples and says which one fails.",
    ),
    ErrorSpec(
        "ANA010",
        "Unit skipped: analysis budget exceeded",
        "The definitions named in the message were not checked (the rest of the file was): their "
        "rule matching ran past the per-file time budget. Raise `file-budget-seconds` in "
        ".coderev.toml or [tool.coderev] (`coderev scan --file-budget-seconds N`, the "
        "`coderev.fileBudgetSeconds` editor setting), or split the generated or deeply nested code.",
    ),
    ErrorSpec(
        "ANA011",
        "File skipped: not a regular file",
        "Nothing to do: a FIFO, device or socket (also behind a symbolic link) is never read. "
        "Exclude the path (`--exclude` or `exclude` in .coderev.toml) to silence this note.",
    ),
    ErrorSpec(
        "PRV001",
        "Model provider unavailable",
        "Rule findings still work. The message says why: no usable slot is installed, or the model "
        "worker cannot run here (its runtime does not import, or the `coderev.model.device` setting "
        "names a device it cannot use: set it to `auto`), in which case the slot was left as it is. "
        "`coderev model info` shows whether the packaged slot loads in this environment.",
    ),
    ErrorSpec(
        "PRV002",
        "Model slot is corrupt",
        "A file of the slot is missing, differs from the sha256 in its manifest, or cannot be read "
        "as a model by this runtime; the slot was quarantined, not loaded. Reinstall coderev or "
        "rebuild the slot with `coderev model train`.",
    ),
    ErrorSpec(
        "PRV003",
        "Model compute type not supported on this device",
        "Remove the compute-type setting (auto picks a supported one) or choose one that "
        "`coderev model info` lists as supported.",
    ),
    ErrorSpec(
        "PRV004",
        "Model slot quarantined",
        "The slot failed its hash check or did not load, so it was moved to quarantine (V3) and "
        "not used. `coderev model history` says why; reinstall it with `coderev model install DIR`.",
    ),
    ErrorSpec(
        "PRV005",
        "Model engine unavailable, rules-only mode",
        "The model worker failed repeatedly or crashed; rule findings and template fixes still "
        "work, and the engine retries on its own with backoff. The log says what failed.",
    ),
    ErrorSpec(
        "PRV006",
        "Model request timed out",
        "The model did not answer within `coderev.model.timeoutMs` (for `coderev engine serve`: "
        "`--model-timeout-ms`); raise it, or use a smaller model or a GPU. Rule findings are not affected.",
    ),
    ErrorSpec(
        "PRV007",
        "Model import failed",
        "`coderev model import` needs the `train` extra (`pip install 'coderev-lsp[train]'`) and a local "
        "Hugging Face model directory with config.json, weights and a sentencepiece tokenizer.",
    ),
    ErrorSpec(
        "PRV008",
        "Model slot uses another prompt format",
        "The slot's manifest names a prompt format this version of coderev does not speak, so its "
        "answers could not be read. Install a slot built for this version (`coderev model train`, "
        "or `coderev model import --prompt-format` for an imported model) or upgrade coderev.",
    ),
    ErrorSpec(
        "PRV009",
        "Model endpoint unreachable",
        "Rule findings still work, and AI fixes and reviews come back on their own once it answers. "
        "The message names the endpoint: for the engine of the `coderev.engine.url` setting, check that "
        "it runs (`coderev engine status`; `local` starts one itself, its log is engine.log beside its "
        "socket); for a remote provider slot, the `provider.url` of its manifest and the network to it.",
    ),
    ErrorSpec(
        "PRV010",
        "Model endpoint refused the credentials",
        "The remote provider (or team engine) answered 401 or 403. Put a valid key in the environment "
        "variable the slot's manifest names (`provider.token_env`) for the engine's process, or the "
        "engine token in `$CODEREV_ENGINE_TOKEN`, and restart it.",
    ),
    ErrorSpec(
        "PRV011",
        "Model endpoint answer malformed",
        "The remote provider answered with something that is not an OpenAI-compatible completion (no "
        "`choices`, or not JSON). Check that `provider.url` points at the API root (for example "
        "`http://host:8000/v1`) and that `provider.api` (`completions` or `chat`) is one it serves.",
    ),
    ErrorSpec(
        "DAT001",
        "Cannot write output",
        "Check that the output directory exists and has free space.",
    ),
    ErrorSpec(
        "DAT002",
        "Cannot read input",
        "Check that the path exists and is readable.",
    ),
    ErrorSpec(
        "DAT003",
        "Model slot manifest is malformed",
        "The slot's manifest.json is missing or unreadable; rebuild the slot with `coderev model train`.",
    ),
    ErrorSpec(
        "DAT004",
        "Model slot store not readable or writable",
        "Check the permissions and free space of the slot store directory (`coderev model list` "
        "prints it), or move it with the `coderev.model.storePath` setting.",
    ),
    ErrorSpec(
        "DAT005",
        "Learning state unreadable",
        "The acceptance model's saved state is damaged; it was set aside and learning starts "
        "afresh. Run the `coderev.resetLearning` command to clear it explicitly.",
    ),
    ErrorSpec(
        "DAT006",
        "Baseline file is malformed",
        "The file given to `coderev scan --baseline` is not a baseline this coderev reads (not JSON, "
        "a missing or mistyped field, or a newer format version). Restore it from version control, "
        "or write it again with `coderev scan --write-baseline FILE` and review what it accepts "
        "(docs/ci.md).",
    ),
    ErrorSpec(
        "DAT007",
        "Learning CPU budget nearly spent",
        "The background learning run has used 80% of today's CPU budget (setting "
        "`learning.cpuBudgetSeconds`); it is stopped at 100% and resumes from its checkpoint tomorrow.",
    ),
    ErrorSpec(
        "DAT008",
        "Learning run stopped: CPU budget spent",
        "Today's learning CPU budget is used up; the run was stopped and the next window resumes it "
        "from its last checkpoint. Raise `learning.cpuBudgetSeconds` to let it run longer.",
    ),
    ErrorSpec(
        "DAT009",
        "Learning run failed",
        "`coderev model learn` could not start or exited with an error; its output is in "
        "`learn.log` in the learning directory (`coderev model learn --status` shows where).",
    ),
    ErrorSpec(
        "DEP001",
        "Advisory entry skipped: not valid OSV",
        "The entry named in the message was left out; every other entry was imported. Check it "
        "against the OSV schema (https://ossf.github.io/osv-schema/), or download the ecosystem's "
        "zip from OSV again and import that.",
    ),
    ErrorSpec(
        "DEP002",
        "Dependency file not read",
        "Its dependencies were not checked against advisories; the rest of the scan is unaffected. "
        "Fix the syntax error the message names, or regenerate the lock file with its tool "
        "(npm install, yarn, pnpm install, poetry lock, uv lock, pipenv lock, go mod tidy, "
        "gradle --write-locks).",
    ),
    ErrorSpec(
        "DEP003",
        "Imported advisories unreadable",
        "The advisory store named in the message is damaged, so only the packaged snapshot is used. "
        "Import the OSV data again (`coderev advisories import PATH`): a good import replaces the "
        "file. `coderev advisories status` shows what is in use.",
    ),
    ErrorSpec(
        "DEP004",
        "No advisories to import",
        "Nothing in the given paths is an OSV advisory for PyPI, npm, Go or Maven, so the advisory "
        "store was left as it was. Pass OSV JSON or YAML files, a folder of them, or the zip OSV "
        "publishes per ecosystem (its `all.zip`).",
    ),
    ErrorSpec(
        "DEP005",
        "Packaged advisory snapshot unreadable",
        "The coderev installation is incomplete or damaged: reinstall coderev-lsp. Advisories "
        "imported with `coderev advisories import` are still used.",
    ),
    ErrorSpec(
        "SYS001",
        "Invalid configuration value",
        "Fix the setting named in the message; its default is used until then.",
    ),
    ErrorSpec(
        "SYS002",
        "Invalid command-line usage",
        "Run the command with --help to see its options.",
    ),
    ErrorSpec(
        "SYS003",
        "Internal error",
        "This is a bug in coderev: please report it with the log file attached.",
    ),
    ErrorSpec(
        "SYS004",
        "Malformed protocol message",
        "The editor sent a message the language server cannot read; it was rejected and the "
        "server keeps running. Update the editor extension, or report it with the log file.",
    ),
    ErrorSpec(
        "SYS005",
        "Scan worker failed",
        "A worker process of `coderev scan` died, stalled or sent back a result that could not be "
        "read, so the scan stopped rather than report partial results. Rerun with `--jobs 1` to "
        "analyze in one process; if the files named in the message still fail, report it.",
    ),
    ErrorSpec(
        "SYS006",
        "Changed lines unknown (--diff-from)",
        "`coderev scan --diff-from REF` needs `git` on the PATH, the scan run inside the repository's "
        "work tree and REF a commit of it. A shallow CI checkout may lack REF: fetch it (GitHub "
        "Actions: `fetch-depth: 0` in actions/checkout; GitLab CI: `GIT_DEPTH: 0`), or scan without "
        "--diff-from to report every finding.",
    ),
    ErrorSpec(
        "SYS007",
        "Engine API version not supported",
        "The request named an API version (its path /vN/ or its `Coderev-Api-Version` header) this "
        "engine does not serve, or two that disagree. `coderev engine status --url URL` says which "
        "versions the engine speaks; upgrade the older side.",
    ),
    ErrorSpec(
        "SYS008",
        "Engine API rate limit exceeded",
        "Retry after the seconds the `Retry-After` header gives. The engine's operator sets the limit "
        "per client with `coderev engine serve --rate-limit N --burst N`.",
    ),
    ErrorSpec(
        "SYS009",
        "Engine busy or shutting down",
        "Retry after the seconds the `Retry-After` header gives. The engine was serving as many "
        "requests as it takes at once (`coderev engine serve --max-concurrent N`), or it is shutting "
        "down and takes no new ones.",
    ),
    ErrorSpec(
        "SYS010",
        "Engine API request too large",
        "Send one function or file per request. The engine's operator sets the cap with "
        "`coderev engine serve --max-body-bytes N`.",
    ),
    ErrorSpec(
        "SYS011",
        "Engine API request malformed",
        "The message names the path, method or field at fault. `coderev engine openapi` prints the "
        "API's OpenAPI document (served at /v1/openapi.json; docs/engine-api.md describes it).",
    ),
    ErrorSpec(
        "SYS012",
        "Setting renamed",
        "The setting still works under its old name for now, and its value was used. Rename it as the "
        "message says (editor settings, or `.coderev.toml` / `[tool.coderev]`) before the version it "
        "names; docs/settings.md lists every rename.",
    ),
)

CATALOGUE: Final[dict[str, ErrorSpec]] = {spec.code: spec for spec in _SPECS}


class CoderevError(Exception):
    """An error that carries a catalogue code, a specific detail and the catalogue remedy."""

    def __init__(self, code: str, detail: str) -> None:
        if code not in CATALOGUE:
            raise ValueError(f"unknown error code {code!r}")
        self.code = code
        self.detail = detail
        super().__init__(self.render())

    def __reduce__(self) -> tuple[type[CoderevError], tuple[str, str]]:
        # Pickled by (code, detail), not by ``args`` (the rendered text): the default would call
        # ``__init__`` with one argument, and an unpicklable exception hangs a process pool.
        return (type(self), (self.code, self.detail))

    @property
    def spec(self) -> ErrorSpec:
        return CATALOGUE[self.code]

    def render(self) -> str:
        return f"{self.code} {self.spec.title}: {self.detail}. {self.spec.remedy}"


def catalogue_markdown() -> str:
    """The catalogue as a Markdown table (docs/errors.md is generated from it)."""
    lines = [
        "# Error catalogue",
        "",
        "Every failure a user can hit carries one of these stable codes.",
        "Generated from `coderev/analyzers/errors.py` by `coderev errors --markdown`; do not edit by hand.",
        "",
        "| code | meaning | what to do |",
        "| --- | --- | --- |",
    ]
    lines += [f"| `{s.code}` | {s.title} | {s.remedy} |" for s in _SPECS]
    return "\n".join(lines) + "\n"
