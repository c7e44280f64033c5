"""Analysis options: which rules run, at what severity, on which files.

One typed options object is built from plain mappings (``[tool.coderev]`` in pyproject.toml,
``.coderev.toml``, editor settings). Invalid values never stop analysis: each falls back to its
default and is reported as a catalogued SYS001 error so the user can see and fix it.
"""

from __future__ import annotations

import difflib
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from coderev.analyzers.budget import DEFAULT_FILE_BUDGET_SECONDS
from coderev.analyzers.errors import CoderevError
from coderev.analyzers.finding import Severity
from coderev.analyzers.renames import resolve
from coderev.analyzers.ruleset import Rule

DEFAULT_MAX_FILE_SIZE = 2_000_000


@dataclass(frozen=True, slots=True)
class AnalysisOptions:
    select: tuple[str, ...] = ()  # empty: every rule
    ignore: tuple[str, ...] = ()
    severity: Mapping[str, Severity] = field(default_factory=dict)  # selector -> severity
    honor_foreign_suppressions: bool = False  # also obey `nosec` and `nosemgrep`
    exclude: tuple[str, ...] = ()
    max_file_size: int = DEFAULT_MAX_FILE_SIZE
    rule_dirs: tuple[Path, ...] = ()
    # Rule matching one file may take before its remaining units are skipped (ANA010).
    file_budget_seconds: float = DEFAULT_FILE_BUDGET_SECONDS
    # Data-flow findings where no untrusted source was traced (the value is only non-constant)
    # are reported as warnings; False leaves them out (docs/taint.md, "Severity").
    report_untraced: bool = True
    # Findings in test code (test folders, test_*.py, *.test.js, *Test.java, ...) are at most
    # warnings; True gives them the rules' severities (coderev.analyzers.paths).
    test_code_errors: bool = False


def selector_matches(rule: Rule, selector: str) -> bool:
    """A selector is a rule id, an id prefix ending at a dot, a category, or ``CWE-<n>``."""
    selector = selector.strip()
    if selector.upper().startswith("CWE-"):
        return selector[4:].isdigit() and int(selector[4:]) in rule.cwe
    if selector in {rule.id, rule.category, "all"}:
        return True
    return rule.id.startswith(selector.rstrip(".") + ".")


def is_enabled(rule: Rule, options: AnalysisOptions) -> bool:
    selected = not options.select or any(selector_matches(rule, s) for s in options.select)
    return selected and not any(selector_matches(rule, s) for s in options.ignore)


def severity_for(rule: Rule, options: AnalysisOptions) -> Severity:
    """The rule's severity after overrides; the most specific matching selector wins."""
    return severity_override(rule, options) or rule.severity


def severity_override(rule: Rule, options: AnalysisOptions) -> Severity | None:
    """The severity the options set for the rule (the most specific matching selector), if any."""
    best: tuple[int, int, Severity] | None = None
    for selector, severity in options.severity.items():
        if not selector_matches(rule, selector):
            continue
        if selector == rule.id:
            rank = 3
        elif rule.id.startswith(selector.rstrip(".") + "."):
            rank = 2
        else:  # category, CWE or "all"
            rank = 1
        if best is None or (rank, len(selector)) > best[:2]:
            best = (rank, len(selector), severity)
    return best[2] if best else None


def _str_list(key: str, value: Any, errors: list[CoderevError]) -> tuple[str, ...] | None:
    if isinstance(value, str):
        value = [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    errors.append(CoderevError("SYS001", f"'{key}' must be a list of strings, got {value!r}"))
    return None


KEYS = ("select", "ignore", "severity", "honor-foreign-suppressions", "exclude", "max-file-size", "rule-dirs",
        "file-budget-seconds", "report-untraced", "test-code-errors")
_BOOLEANS = frozenset({"honor-foreign-suppressions", "report-untraced", "test-code-errors"})
MAX_FILE_BUDGET_SECONDS = 3600.0


def confine_rule_dirs(dirs: tuple[str, ...], base: Path) -> tuple[tuple[str, ...], list[CoderevError]]:
    """The ``rule-dirs`` entries of a repository's own configuration file that stay inside its
    directory ``base`` (symbolic links resolved); an absolute path or one that climbs out with
    ``..`` is an error and dropped. A repository must not make coderev read files elsewhere on the
    machine; directories outside it are for the user's own settings (``coderev scan --rules``,
    the editor's user settings)."""
    root = base.resolve()
    kept: list[str] = []
    errors: list[CoderevError] = []
    for entry in dirs:
        target = (base / entry).resolve()
        if target == root or root in target.parents:
            kept.append(entry)
        else:
            errors.append(CoderevError(
                "SYS001",
                f"'rule-dirs' entry {entry!r} is outside the project ({target}); a project file may only "
                "name directories inside it: pass others with `coderev scan --rules DIR` or the editor's "
                "user settings",
            ))
    return tuple(kept), errors


def options_from_mapping(
    data: Mapping[str, Any], base: Path | None = None, *, confine: bool = False
) -> tuple[AnalysisOptions, list[CoderevError]]:
    """Options from a settings mapping (kebab- or snake-case keys); bad values -> defaults + errors.
    With ``confine`` (the mapping is a repository's configuration file in ``base``), rule
    directories must stay inside ``base`` (:func:`confine_rule_dirs`)."""
    errors: list[CoderevError] = []
    values: dict[str, Any] = {}
    given = {raw_key.replace("_", "-") for raw_key in data}
    for raw_key, value in data.items():
        key, renamed = resolve(raw_key.replace("_", "-"))
        if renamed is not None:
            errors.append(renamed)  # SYS012, a warning: the value is read under the new name
            if renamed.code != "SYS012" or key in given:
                continue  # past its grace version; or the new name is given too, and wins
        if key in {"select", "ignore", "exclude"}:
            parsed = _str_list(key, value, errors)
            if parsed is not None:
                values[key] = parsed
        elif key == "severity":
            values[key] = _severities(value, errors)
        elif key in _BOOLEANS:
            if isinstance(value, bool):
                values[key] = value
            else:
                errors.append(CoderevError("SYS001", f"'{key}' must be true or false, got {value!r}"))
        elif key == "max-file-size":
            if isinstance(value, int) and not isinstance(value, bool) and value > 0:
                values[key] = value
            else:
                errors.append(CoderevError("SYS001", f"'{key}' must be a positive integer, got {value!r}"))
        elif key == "file-budget-seconds":
            number = isinstance(value, int | float) and not isinstance(value, bool)
            if number and 0 < value <= MAX_FILE_BUDGET_SECONDS:
                values[key] = float(value)
            else:
                errors.append(CoderevError(
                    "SYS001", f"'{key}' must be a number of seconds above 0 and at most {MAX_FILE_BUDGET_SECONDS:g}, "
                    f"got {value!r}"))
        elif key == "rule-dirs":
            dirs = _str_list(key, value, errors)
            if dirs is not None and confine and base is not None:
                dirs, outside = confine_rule_dirs(dirs, base)
                errors += outside
            if dirs is not None:
                values[key] = tuple((base / d) if base else Path(d) for d in dirs)
    defaults = AnalysisOptions()
    return (
        AnalysisOptions(
            select=values.get("select", defaults.select),
            ignore=values.get("ignore", defaults.ignore),
            severity=values.get("severity", defaults.severity),
            honor_foreign_suppressions=values.get("honor-foreign-suppressions", False),
            exclude=values.get("exclude", defaults.exclude),
            max_file_size=values.get("max-file-size", defaults.max_file_size),
            rule_dirs=values.get("rule-dirs", defaults.rule_dirs),
            file_budget_seconds=values.get("file-budget-seconds", defaults.file_budget_seconds),
            report_untraced=values.get("report-untraced", defaults.report_untraced),
            test_code_errors=values.get("test-code-errors", defaults.test_code_errors),
        ),
        errors,
    )


def _severities(value: Any, errors: list[CoderevError]) -> dict[str, Severity]:
    if not isinstance(value, Mapping):
        errors.append(CoderevError("SYS001", f"'severity' must be a table of selector = level, got {value!r}"))
        return {}
    out: dict[str, Severity] = {}
    for selector, level in value.items():
        try:
            out[str(selector)] = Severity(level)
        except ValueError:
            errors.append(
                CoderevError(
                    "SYS001",
                    f"'severity.{selector}' must be one of error, warning, info, hint; got {level!r}",
                )
            )
    return out


def read_config_file(path: Path) -> tuple[dict[str, Any], list[CoderevError]]:
    """The coderev settings in one file: the ``[tool.coderev]`` table of a ``pyproject.toml``, or
    the whole of any other TOML file (``.coderev.toml``)."""
    try:
        data: Any = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        return {}, [CoderevError("SYS001", f"{path} cannot be read: {exc}")]
    if path.name == "pyproject.toml":
        for key in ("tool", "coderev"):
            data = data.get(key, {}) if isinstance(data, dict) else {}
    data = data if isinstance(data, dict) else {}
    return data, unknown_keys(data, path)


def unknown_keys(data: Mapping[str, Any], path: Path) -> list[CoderevError]:
    """A SYS001 error for each key coderev does not know (a typo such as ``selekt`` would otherwise
    be ignored silently and the scan would check something else than the user meant)."""
    errors = []
    for key in data:
        if str(key).replace("_", "-") not in KEYS and resolve(str(key))[1] is None:  # a rename: told apart
            errors.append(CoderevError("SYS001", f"{path}: unknown key {key!r}{_did_you_mean(str(key), KEYS)}"))
    return errors


def _did_you_mean(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word.replace("_", "-"), list(choices), n=3, cutoff=0.6)
    return f" (did you mean {' or '.join(repr(c) for c in close)}?)" if close else ""


def valid_selectors(rules: Iterable[Rule]) -> set[str]:
    """Every selector that matches at least one of ``rules``: ids, their dotted prefixes,
    categories, ``CWE-<n>`` and ``all``."""
    out = {"all"}
    for rule in rules:
        parts = rule.id.split(".")
        out.update(".".join(parts[:i]) for i in range(1, len(parts) + 1))
        out.add(rule.category)
        out.update(f"CWE-{c}" for c in rule.cwe)
    return out


def unknown_selectors(
    selectors: Iterable[tuple[str, str]], rules: Sequence[Rule], code: str = "SYS001"
) -> list[CoderevError]:
    """An error (``code``) for each ``(setting, selector)`` that matches no rule, naming the
    closest valid selectors: ``--select sqlinjection`` must not select nothing and pass."""
    errors = []
    universe: set[str] | None = None
    for setting, selector in selectors:
        if any(selector_matches(rule, selector) for rule in rules):
            continue
        universe = universe if universe is not None else valid_selectors(rules)
        hint = _did_you_mean(selector, sorted(universe)) or " (`coderev rules` lists the rules)"
        errors.append(CoderevError(code, f"{setting} {selector!r} matches no rule{hint}"))
    return errors


def option_selectors(options: AnalysisOptions) -> list[tuple[str, str]]:
    """The selectors of ``options`` with the setting each comes from."""
    return [
        *(("select", s) for s in options.select),
        *(("ignore", s) for s in options.ignore),
        *((f"severity.{s}", s) for s in options.severity),
    ]


def find_project_config(root: Path) -> tuple[dict[str, Any], Path | None, list[CoderevError]]:
    """The settings of ``.coderev.toml``, or else of ``pyproject.toml``'s ``[tool.coderev]``, in
    ``root``. A pyproject.toml without that table does not count as a configuration."""
    for name in (".coderev.toml", "pyproject.toml"):
        path = root / name
        if not path.is_file():
            continue
        data, errors = read_config_file(path)
        if data or errors or name == ".coderev.toml":
            return data, path, errors
    return {}, None, []
