"""Rules as data: loading, validating and compiling rule files.

Each YAML file under ``coderev/analyzers/rules/<language>/`` (or a user rule directory) holds one rule,
validated against ``rule.schema.json``. A malformed file yields a catalogued error naming the file
and field, and every other rule still loads. For each language, the queries of all enabled rules
are compiled into one tree-sitter query, so analysis walks each tree once.
"""

from __future__ import annotations

import json
import re
import threading
from bisect import bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import tree_sitter
import yaml

from coderev.analyzers import query_check, rule_cache
from coderev.analyzers.errors import CoderevError
from coderev.analyzers.finding import Confidence, Severity
from coderev.analyzers.fixes import FILTERS, template_holes
from coderev.analyzers.languages import TEXT_LANGUAGE_IDS, LanguageSpec, get_language
from coderev.analyzers.predicates import unknown_predicates
from coderev.analyzers.triggers import may_match

BUILTIN_RULES = Path(str(resources.files("coderev.analyzers") / "rules"))
SCHEMA_PATH = Path(str(resources.files("coderev.analyzers") / "rule.schema.json"))

try:  # the C loader is several times faster; fall back to pure Python where absent
    _Loader: Any = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on how PyYAML was built
    _Loader = yaml.SafeLoader


@dataclass(frozen=True, slots=True)
class FixSpec:
    description: str
    safe: bool
    edits: tuple[tuple[str, str], ...]  # (capture, replacement template)
    check: str | None = None  # the fix family's semantic check (coderev/analyzers/fixcheck), if any


@dataclass(frozen=True, slots=True)
class Example:
    kind: str  # "bad" or "good"
    code: str
    fixed: str | None
    language: str
    file: str | None = None  # the example's file name, for rules that read files by name


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    languages: tuple[str, ...]
    message: str
    severity: Severity
    confidence: Confidence
    category: str
    cwe: tuple[int, ...]
    owasp: tuple[str, ...]
    note: str
    query: str  # empty for pattern rules
    report: str
    fix: FixSpec | None
    examples: tuple[Example, ...]
    path: Path
    pattern: str | None = None  # a regular expression over raw text (see coderev/analyzers/patterns.py)
    entropy: float | None = None  # minimum Shannon entropy (bits/char) of the pattern's secret
    allow: tuple[str, ...] = ()  # regexes of values that are never findings (placeholders)
    advisories: bool = False  # dependency files against advisories (coderev/analyzers/deps)

    @property
    def is_pattern(self) -> bool:
        return self.pattern is not None

    @property
    def title(self) -> str:
        """The rule's short name: the last segment of its id."""
        return self.id.rsplit(".", 1)[-1]


@cache
def _validator() -> Any:
    import jsonschema  # imported on first load only: it is slow to import

    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(schema)


def _field(path: Iterable[Any]) -> str:
    return ".".join(str(p) for p in path) or "(top level)"


def parse_rule(path: Path, text: str, *, check_query: bool = True, trusted: bool = False) -> Rule:
    """Parse and validate one rule file; raise ``CoderevError`` (ANA001/ANA002) if it is bad.

    ``check_query=False`` skips compiling the query, and ``trusted=True`` also skips the schema
    check unless the file turns out malformed: for the built-in rule files, which CI checks,
    when start-up time matters (see :func:`builtin_rules_for_startup`).
    """
    try:
        data = yaml.load(text, Loader=_Loader)  # noqa: S506 - a safe loader (CSafeLoader or SafeLoader)
    except yaml.YAMLError as exc:
        raise CoderevError("ANA001", f"{path}: not valid YAML ({exc})") from exc
    rule = None
    if trusted:
        try:
            rule = _build(path, data)
        except (KeyError, TypeError, ValueError, AttributeError, IndexError):
            rule = None  # not what the schema promises: validate to say exactly what is wrong
    if rule is None:
        errors = sorted(_validator().iter_errors(data), key=lambda e: list(e.absolute_path))
        if errors:
            first = errors[0]
            raise CoderevError("ANA001", f"{path}: field '{_field(first.absolute_path)}': {first.message}")
        rule = _build(path, data)
    if check_query:
        _check_compiles(rule)
    return rule


def _build(path: Path, data: Any) -> Rule:
    fix = None
    if "fix" in data:
        f = data["fix"]
        fix = FixSpec(f["description"], f["safe"], tuple((e["capture"], e["replace"]) for e in f["edits"]),
                      f.get("check"))
    examples = tuple(
        Example(
            "bad" if "bad" in e else "good",
            e.get("bad", e.get("good", "")),
            e.get("fixed"),
            e.get("language", data["languages"][0]),
            e.get("file"),
        )
        for e in data["examples"]
    )
    return Rule(
        id=data["id"],
        languages=tuple(data["languages"]),
        message=data["message"].strip(),
        severity=Severity(data["severity"]),
        confidence=Confidence(data["confidence"]),
        category=data["category"],
        cwe=tuple(data["cwe"]),
        owasp=tuple(data.get("owasp", ())),
        note=data["note"],
        query=data.get("query", ""),
        report=data.get("report", "finding"),
        fix=fix,
        examples=examples,
        path=path,
        pattern=data.get("pattern"),
        entropy=data.get("entropy"),
        allow=tuple(data.get("allow", ())),
        advisories=bool(data.get("advisories", False)),
    )


def _check_compiles(rule: Rule) -> None:
    if rule.advisories:  # no query: coderev/analyzers/deps reads the files
        return
    if rule.pattern is not None:
        _check_pattern(rule)
        return
    text = sorted(TEXT_LANGUAGE_IDS.intersection(rule.languages))
    if text:
        raise CoderevError("ANA001", f"{rule.path}: field 'languages': '{text[0]}' is only valid for pattern rules")
    unknown = unknown_predicates(rule.query)
    if unknown:
        raise CoderevError("ANA002", f"{rule.path}: field 'query': unknown predicate(s) {unknown}")
    for language_id in rule.languages:
        language = get_language(language_id)
        assert language is not None  # the schema restricts languages
        try:
            names = query_check.capture_names(language, rule.query)  # remembered between runs
        except tree_sitter.QueryError as exc:
            raise CoderevError(
                "ANA002", f"{rule.path}: field 'query' ({language_id}): {exc}"
            ) from exc
        needed = {rule.report}
        if rule.fix is not None:
            for capture, template in rule.fix.edits:
                needed.add(capture)
                for hole, filter_name in template_holes(template):
                    needed.add(hole)
                    if filter_name is not None and filter_name not in FILTERS:
                        raise CoderevError(
                            "ANA001", f"{rule.path}: field 'fix.edits': unknown filter '{filter_name}'"
                        )
        needed |= {hole for hole, _ in template_holes(rule.message)}
        missing = sorted(needed - names)
        if missing:
            raise CoderevError(
                "ANA001", f"{rule.path}: captures {missing} are used but not defined by 'query'"
            )


def _check_pattern(rule: Rule) -> None:
    assert rule.pattern is not None
    for field, regex in (("pattern", rule.pattern), *(("allow", a) for a in rule.allow)):
        try:
            re.compile(regex.encode("utf-8"))
        except re.error as exc:
            detail = f"{rule.path}: field '{field}': not a valid regular expression ({exc})"
            raise CoderevError("ANA001", detail) from exc


class CompiledRules:
    """All enabled rules of one language, compiled into a single query."""

    def __init__(self, language_id: str, rules: Iterable[Rule]) -> None:
        rules = tuple(rules)
        language = get_language(language_id)
        self.language_id = language_id
        self.rules = tuple(r for r in rules if language_id in r.languages and r.query)
        # Text-pattern rules for this language (secrets): matched per unit, comments included.
        self.patterns = tuple(r for r in rules if language_id in r.languages and r.is_pattern)
        self._by_pattern: list[Rule] = []
        self.errors: tuple[CoderevError, ...] = ()
        source = "\n".join(rule.query for rule in self.rules)
        if language is None:  # "text": files without a grammar have pattern rules only
            self.query = None
            return
        try:
            self.query = tree_sitter.Query(language.grammar, source) if self.rules else None
        except tree_sitter.QueryError:  # only for rules loaded unchecked: drop the ones that fail
            self.rules, self.errors = _compilable(language, self.rules)
            source = "\n".join(rule.query for rule in self.rules)
            self.query = tree_sitter.Query(language.grammar, source) if self.rules else None
        if self.query is not None:
            # Map each pattern to its rule by where it starts in the combined source: one compile
            # instead of one per rule plus the combined one (compiling dominates start-up).
            starts: list[int] = []
            offset = 0
            for rule in self.rules:
                starts.append(offset)
                offset += len(rule.query.encode("utf-8")) + 1
            for pattern in range(self.query.pattern_count):
                index = bisect_right(starts, self.query.start_byte_for_pattern(pattern)) - 1
                self._by_pattern.append(self.rules[index])

    def rule_at(self, pattern_index: int) -> Rule:
        return self._by_pattern[pattern_index]


def _compilable(
    language: LanguageSpec, rules: tuple[Rule, ...]
) -> tuple[tuple[Rule, ...], tuple[CoderevError, ...]]:
    good: list[Rule] = []
    errors: list[CoderevError] = []
    for rule in rules:
        try:
            tree_sitter.Query(language.grammar, rule.query)
        except tree_sitter.QueryError as exc:
            errors.append(CoderevError("ANA002", f"{rule.path}: field 'query' ({language.id}): {exc}"))
        else:
            good.append(rule)
    return tuple(good), tuple(errors)


# At most this many prefiltered queries per language before the full one is compiled instead.
PARTIAL_QUERIES = 3


class RuleSet:
    """A loaded set of rules plus the errors of the files that failed to load."""

    def __init__(self, rules: Iterable[Rule], errors: Iterable[CoderevError] = ()) -> None:
        self.rules = tuple(sorted(rules, key=lambda r: r.id))
        self.errors = tuple(errors)
        self._by_id = {r.id: r for r in self.rules}
        self._compiled: dict[tuple[str, frozenset[str]], CompiledRules] = {}
        self._partial: dict[str, set[frozenset[str]]] = {}  # prefiltered rule sets compiled, per language
        self._lock = threading.Lock()

    def __iter__(self) -> Iterator[Rule]:
        return iter(self.rules)

    def __len__(self) -> int:
        return len(self.rules)

    def get(self, rule_id: str) -> Rule | None:
        return self._by_id.get(rule_id)

    def compiled(self, language_id: str, enabled: frozenset[str]) -> CompiledRules:
        """The combined query of the ``enabled`` rules for a language (cached)."""
        key = (language_id, enabled)
        with self._lock:
            found = self._compiled.get(key)
            if found is None:
                found = CompiledRules(language_id, (r for r in self.rules if r.id in enabled))
                self._compiled[key] = found
            return found

    def is_compiled(self, language_id: str, enabled: frozenset[str]) -> bool:
        with self._lock:
            return (language_id, enabled) in self._compiled

    def compiled_for(self, language_id: str, enabled: frozenset[str], source: bytes) -> CompiledRules:
        """Rules to run on ``source``: the full combined query once it is compiled, before that a
        smaller one of only the rules that can match ``source`` (:mod:`coderev.analyzers.triggers`).

        Findings are the same either way; the smaller query only shortens the way to the first
        diagnostics, since compiling dominates start-up. Its results stay valid for every unit of
        ``source``, so unit caches filled with it need no invalidation when the full query
        arrives (``compiled()``, called in the background by the server)."""
        with self._lock:
            full = self._compiled.get((language_id, enabled))
        if full is not None:
            return full
        mine = [r for r in self.rules if r.id in enabled and language_id in r.languages]
        possible = frozenset(r.id for r in mine if r.is_pattern or may_match(r.query, source))
        with self._lock:
            partial = self._partial.setdefault(language_id, set())
            if len(possible) < len(mine) and (possible in partial or len(partial) < PARTIAL_QUERIES):
                partial.add(possible)
                full_needed = False
            else:  # many different documents: one full compile is cheaper than more partial ones
                full_needed = True
        return self.compiled(language_id, enabled if full_needed else possible)


def rule_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.rglob("*") if p.suffix in {".yaml", ".yml"} and p.is_file())


def load_rules(
    directories: Iterable[Path] = (),
    *,
    builtin: bool = True,
    check_queries: bool = True,
    trust_builtin: bool = False,
) -> RuleSet:
    """Load the built-in rules and any user rule directories. Never raises for a bad file.

    ``check_queries=False``: see :func:`parse_rule`; a query that does not compile is then
    dropped when the language's rules are compiled (``CompiledRules.errors``).
    ``trust_builtin=True``: the built-in files skip the schema check (see :func:`parse_rule`)."""
    dirs = ([BUILTIN_RULES] if builtin else []) + list(directories)
    rules: dict[str, Rule] = {}
    errors: list[CoderevError] = []
    for directory in dirs:
        if not directory.is_dir():
            errors.append(CoderevError("DAT002", f"rule directory {directory} does not exist"))
            continue
        for path in rule_files(directory):
            try:
                rule = parse_rule(
                    path,
                    path.read_text(encoding="utf-8"),
                    check_query=check_queries,
                    trusted=trust_builtin and directory == BUILTIN_RULES,
                )
            except CoderevError as exc:
                errors.append(exc)
                continue
            except (OSError, UnicodeDecodeError) as exc:
                errors.append(CoderevError("DAT002", f"{path}: {exc}"))
                continue
            if rule.id in rules:
                errors.append(
                    CoderevError(
                        "ANA001", f"{path}: field 'id': '{rule.id}' is already defined in {rules[rule.id].path}"
                    )
                )
                continue
            rules[rule.id] = rule
    if check_queries:
        query_check.save()
    return RuleSet(rules.values(), errors)


@cache
def default_rules() -> RuleSet:
    """The built-in rules, loaded once per process."""
    return load_rules()


@cache
def builtin_rules_for_startup() -> RuleSet:
    """The built-in rules, neither compiling each query nor checking it against the schema at load
    (the language server's start-up path: the test suite does both, and doing it here would double
    the start-up cost); once per process, from :mod:`coderev.analyzers.rule_cache` when current."""
    files = rule_files(BUILTIN_RULES)
    cached = rule_cache.read(BUILTIN_RULES, files)
    if cached is not None:
        return RuleSet(cached)
    rules = load_rules(check_queries=False, trust_builtin=True)
    if not rules.errors:  # a broken install is reported at every start, never cached
        rule_cache.write(BUILTIN_RULES, files, list(rules.rules))
    return rules
