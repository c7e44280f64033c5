"""Running rules over a document, fully or incrementally.

The unit of re-analysis is a top-level syntax node (a function, a class, a statement). Rules
match inside one unit, so a unit's findings depend only on its own text: they are cached by
(node type, text), and after an edit only units whose text changed are matched again; the rest
are reused and moved to their new position. Units that contain syntax errors are never cached,
because error recovery can depend on context. Suppression, severity overrides and fingerprints
depend on the whole file and are applied after the units are combined, on every run.

Matching is bounded in time per file (``file-budget-seconds``, :mod:`coderev.analyzers.budget`):
the unit whose matching runs past it, and every later unit that needs matching, is skipped
(ANA010) rather than stall a scan or the editor. A skipped unit is never cached as a result; the
cache only remembers that its text ran out of time, so an editor does not spend the budget on it
again at every keystroke elsewhere: it stays skipped until its text changes.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import tree_sitter

from coderev.analyzers.budget import Budget, UnitSkip
from coderev.analyzers.config import AnalysisOptions, is_enabled, severity_for, severity_override
from coderev.analyzers.deps import check_manifest, manifest_kind
from coderev.analyzers.document import Document, Snapshot
from coderev.analyzers.errors import CoderevError
from coderev.analyzers.finding import Confidence, Evidence, Finding, Severity
from coderev.analyzers.fixes import build_fix, render
from coderev.analyzers.flows import final_severity, flow_of, on_sinks, traced
from coderev.analyzers.languages import SKIPPED_TEXT_FILES, LanguageSpec, text_language_for_path
from coderev.analyzers.literals import node_text, span_of
from coderev.analyzers.matching import Match, unit_matches
from coderev.analyzers.paramstyle import PARAM_STYLE, ParamStyle, units_param_style
from coderev.analyzers.paths import is_documentation, is_test_code
from coderev.analyzers.patterns import SECRET_CATEGORY, literal_span, match_patterns, redacted
from coderev.analyzers.predicates import evaluate as evaluate_predicates
from coderev.analyzers.project import FileResolver
from coderev.analyzers.project_files import NO_FILES, Project
from coderev.analyzers.ruleset import CompiledRules, RuleSet, default_rules
from coderev.analyzers.suppression import directive_rows, is_suppressed
from coderev.analyzers.taint import LANGUAGE as TAINT_LANGUAGE
from coderev.analyzers.taint.engine import RESOLVER as TAINT_RESOLVER
from coderev.analyzers.taint.syntax import SYNTAX

Origin = tuple[int, int, int]
# A finding as cached for its unit, its fingerprint key, and the unit's move since (if any).
_Collected = tuple[Finding, str, tuple[Origin, Origin] | None]
UnitKey = tuple[str, int, int, "ParamStyle | None"]


@dataclass(frozen=True, slots=True)
class _UnitResult:
    origin: Origin
    findings: tuple[tuple[Finding, str], ...]  # (finding placed at origin, fingerprint key)
    # functions outside the unit its taint questions were answered with: (dependency, digest)
    deps: tuple[tuple[str, str], ...] = ()


@dataclass(slots=True)
class UnitCache:
    """Findings of the units of one document at its last analysis, keyed by unit text."""

    entries: dict[UnitKey, _UnitResult] = field(default_factory=dict)
    reused: int = 0  # units reused in the last run (for tests and benchmarks)
    matched: int = 0  # units matched again in the last run
    slow: set[UnitKey] = field(default_factory=set)  # units that ran out of time: skipped as they are


@dataclass(frozen=True, slots=True)
class AnalysisRun:
    """What one analysis found, and which units it left out for time (ANA010)."""

    findings: list[Finding]
    skipped: tuple[UnitSkip, ...] = ()
    notes: tuple[CoderevError, ...] = ()  # a dependency file that could not be read (DEP002)


def _origin(node: tree_sitter.Node) -> Origin:
    return node.start_byte, node.start_point.row, node.start_point.column


def _unit_name(unit: tree_sitter.Node) -> str:
    """The name of the definition a unit is (through decorators, exports and a statement around a
    named function or class expression), or "" (it goes into findings' fingerprints).

    Error recovery may parse the same broken text as ``function f() {`` (a declaration) or as a
    statement holding a function expression, depending on whether the tree was reparsed
    incrementally: both are named ``f``, so a fingerprint does not depend on the parse history."""
    node: tree_sitter.Node | None = unit
    for _ in range(3):
        if node is None:
            break
        name = node.child_by_field_name("name")
        if name is not None:
            return node_text(name)
        if node.type == "expression_statement" and node.named_child_count:
            node = node.named_children[0]
            continue
        node = node.child_by_field_name("definition") or node.child_by_field_name("declaration")
    return ""


class Analyzer:
    """Applies a rule set with options to documents. Thread-safe; holds no per-document state."""

    def __init__(self, rules: RuleSet | None = None, options: AnalysisOptions | None = None) -> None:
        self.rules = rules if rules is not None else default_rules()
        self.options = options or AnalysisOptions()
        self._enabled = frozenset(r.id for r in self.rules if is_enabled(r, self.options))
        # an advisories rule's findings keep their advisories' severity unless the options set one
        self._severity = {r.id: severity_for(r, self.options) for r in self.rules
                          if not r.advisories or severity_override(r, self.options) is not None}
        self._advisories = next((r for r in self.rules if r.advisories and r.id in self._enabled), None)

    def compiled(self, language: LanguageSpec) -> CompiledRules:
        """The full combined query of the enabled rules for ``language`` (compiled on first use)."""
        return self.rules.compiled(language.id, self._enabled)

    def is_warm(self, language: LanguageSpec) -> bool:
        """Whether the full query of ``language`` is compiled (see ``RuleSet.compiled_for``)."""
        return self.rules.is_compiled(language.id, self._enabled)

    def analyze(self, snapshot: Snapshot | Document, cache: UnitCache | None = None) -> list[Finding]:
        """Findings of a document, sorted by position. With ``cache``, unchanged units are reused
        and the cache is updated to this version. Units skipped for time are left out: what
        reports to a user calls :meth:`run`, which also says which units those are."""
        return self.run(snapshot, cache).findings

    def run(
        self, snapshot: Snapshot | Document, cache: UnitCache | None = None, budget: Budget | None = None,
        *, project: Project | None = None, path: Path | None = None,
    ) -> AnalysisRun:
        """Findings of a document and the units skipped for time; ``budget`` defaults to the
        options' ``file_budget_seconds``, counted from when the queries are compiled. With
        ``project`` (and the document's ``path``), calls of functions in other files are
        followed through their summaries; without, only the file's own functions are."""
        if isinstance(snapshot, Document):
            snapshot = snapshot.snapshot()
        if snapshot.tree is None or snapshot.language is None:
            return self._analyze_text(snapshot, path)
        budget = budget if budget is not None else Budget(self.options.file_budget_seconds)
        slow = cache.slow if cache is not None else set()
        still_slow: set[UnitKey] = set()
        skipped: list[UnitSkip] = []
        source = snapshot.source
        # SQL fixes are written in the placeholder style of the file's driver: the file's imports,
        # else (a unit checked alone) the style of the file it came from.
        texts = [
            (unit, (unit.type, unit.end_byte - unit.start_byte, hash(source[unit.start_byte : unit.end_byte])))
            for unit in snapshot.tree.root_node.children
        ]
        style = units_param_style(
            ((u.start_byte, u.end_byte, k) for u, k in texts), source, snapshot.language.id
        ) or PARAM_STYLE.get()
        compiled = self.rules.compiled_for(snapshot.language.id, self._enabled, source)
        resolver = FileResolver(project or NO_FILES, path or Path("<buffer>"), snapshot.tree.root_node, source,
                                snapshot.language.id) if snapshot.language.id in SYNTAX else None
        budget.start()
        old = cache.entries if cache is not None else {}
        fresh: dict[UnitKey, _UnitResult] = {}
        reused = matched = 0
        collected: list[_Collected] = []
        units = [(unit, (*key, style)) for unit, key in texts]
        if resolver is not None:
            resolver.units = units  # the file's own functions are validated by these keys
        for unit, key in units:
            origin = _origin(unit)
            result = old.get(key) if not unit.has_error else None
            if result is not None and result.deps and resolver is not None and any(
                resolver.current(dep) != digest for dep, digest in result.deps
            ):
                result = None  # a function it called changed: match it again
            if result is None:
                found, started = None, budget.now()
                if key not in slow and not budget.exhausted():
                    if resolver is not None:
                        resolver.deps = {}
                    found = self._match_unit(compiled, unit, snapshot, budget, style, resolver=resolver)
                if found is None:  # out of time: a skip, never cached as a result
                    skipped.append(_skip(unit))
                    if key in slow or budget.took_most(started):
                        still_slow.add(key)  # it used up the budget itself, not the units before it
                    continue
                deps = tuple(sorted(resolver.deps.items())) if resolver is not None else ()
                result = _UnitResult(origin, tuple(found), deps)
                matched += 1
            else:
                reused += 1
            if not unit.has_error:
                fresh[key] = result
            move = None if result.origin == origin else (result.origin, origin)
            collected.extend((f, k, move) for f, k in result.findings)
        if cache is not None:
            cache.entries, cache.reused, cache.matched, cache.slow = fresh, reused, matched, still_slow
        return AnalysisRun(self._finish(snapshot, collected, path=path), tuple(skipped))

    def _analyze_text(self, snapshot: Snapshot, path: Path | None = None) -> AnalysisRun:
        """A file without a grammar: only text-pattern rules, over the whole text: those of its
        template language (by the path's extension) or else secrets (not in lock files, which
        are hashes by construction); a dependency file is also checked against advisories."""
        if snapshot.tree is not None:  # pragma: no cover - a tree always comes with a language
            return AnalysisRun([])
        source = snapshot.source
        language = text_language_for_path(path)
        generated = path is not None and path.name in SKIPPED_TEXT_FILES
        patterns = () if generated else self.rules.compiled(language.id, self._enabled).patterns
        found = list(match_patterns(patterns, source, 0, len(source), (0, 0, 0), language_id=language.id))
        kind, notes = manifest_kind(path), tuple[CoderevError, ...]()
        if kind is not None and self._advisories is not None:
            checked = check_manifest(kind, source, snapshot.lines, self._advisories, str(path))
            found, notes = found + checked.findings, tuple(checked.notes)
        found.sort(key=lambda item: (item[0].span.start_byte, item[0].span.end_byte, item[0].rule_id))
        if is_documentation(path):  # prose: only a provider's key format, not `password = example`
            found = [item for item in found if item[0].confidence is Confidence.HIGH]
        return AnalysisRun(self._finish(snapshot, [(f, k, None) for f, k in found], language, path=path), (), notes)

    def _match_unit(
        self, compiled: CompiledRules, unit: tree_sitter.Node, snapshot: Snapshot, budget: Budget,
        style: ParamStyle | None = None, *, resolver: FileResolver | None = None,
    ) -> list[tuple[Finding, str]] | None:
        """The findings of one unit with their fingerprint keys; None when ``budget`` ran out."""
        language = snapshot.language
        assert language is not None
        unit_name = _unit_name(unit)
        out: list[tuple[Finding, str]] = []
        if compiled.patterns:
            out += match_patterns(
                compiled.patterns, snapshot.source, unit.start_byte, unit.end_byte, _origin(unit),
                language_id=language.id, unit_name=unit_name,
            )
        if compiled.query is None or unit.type == "comment":
            return _in_order(out)
        token = TAINT_LANGUAGE.set(language.id)  # the taint predicate sees nodes only
        resolving = TAINT_RESOLVER.set(resolver)
        try:
            matches = unit_matches(compiled.query, unit, evaluate_predicates, budget)
            style_token = PARAM_STYLE.set(style)  # what SQL fix templates render in
            try:
                return self._findings(compiled, matches, unit_name, snapshot, out) if matches is not None else None
            finally:
                PARAM_STYLE.reset(style_token)
        finally:
            TAINT_RESOLVER.reset(resolving)
            TAINT_LANGUAGE.reset(token)

    def _findings(
        self, compiled: CompiledRules, matches: list[Match],
        unit_name: str, snapshot: Snapshot, out: list[tuple[Finding, str]],
    ) -> list[tuple[Finding, str]]:
        language = snapshot.language
        assert language is not None
        seen: set[tuple[str, int, int]] = set()
        for pattern, captures in matches:
            rule = compiled.rule_at(pattern)
            reported = captures.get(rule.report)
            if not reported:
                continue
            node = reported[0]
            mark = (rule.id, node.start_byte, node.end_byte)
            if mark in seen:
                continue
            seen.add(mark)
            fix = None
            if rule.fix is not None:
                fix = build_fix(rule.fix.description, rule.fix.safe, rule.fix.edits, captures)
            secret_nodes = captures.get("secret") or (reported if rule.category == SECRET_CATEGORY else None)
            secret = literal_span(span_of(secret_nodes[0]), secret_nodes[0].text or b"") if secret_nodes else None
            snippet = redacted(snapshot.source[secret.start_byte : secret.end_byte]) if secret else " ".join(
                node_text(node).split())[:200]
            finding = Finding(
                rule_id=rule.id,
                language=language.id,
                severity=rule.severity,
                message=render(rule.message, captures) or rule.message,
                span=span_of(node),
                cwe=rule.cwe,
                category=rule.category,
                confidence=rule.confidence,
                fix=fix,
                secret=secret,
            )
            flow = flow_of(rule)
            if flow is not None:
                finding = traced(finding, flow, captures, language.id, node)
            out.append((finding, f"{rule.id}\0{unit_name}\0{snippet}"))
        return _in_order(on_sinks(out))

    def _finish(
        self, snapshot: Snapshot, collected: list[_Collected], language: LanguageSpec | None = None,
        *, path: Path | None = None,
    ) -> list[Finding]:
        language = language or snapshot.language
        assert language is not None
        honor = self.options.honor_foreign_suppressions
        untraced = self.options.report_untraced
        capped = not self.options.test_code_errors and is_test_code(path)  # tests: warnings at most
        marked = directive_rows(snapshot.source, snapshot.lines)
        occurrences: Counter[str] = Counter()
        out: list[Finding] = []
        for finding, key, move in collected:
            if finding.evidence is Evidence.NON_CONSTANT and not untraced:
                continue
            occurrence = occurrences[key]
            occurrences[key] += 1
            configured = self._severity.get(finding.rule_id, finding.severity)
            if capped and configured is Severity.ERROR:
                configured = Severity.WARNING
            final = finding.finalized(final_severity(finding, configured), _fingerprint(key, occurrence), move)
            row = final.span.start_row
            if (row in marked or row - 1 in marked) and is_suppressed(
                snapshot.lines, row, final.rule_id, language, honor
            ):
                continue
            out.append(final)
        return _one_per_place(out)


_CONFIDENCE = {"high": 2, "medium": 1, "low": 0}


def _strength(finding: Finding) -> tuple[int, int, int, str]:
    """Which of two findings about the same thing to keep: the more confident (a provider's key
    format over a generic "password = ..." match), then the more severe, then the more precise
    (narrower) one; the rule id only breaks exact ties."""
    span = finding.span
    return (
        _CONFIDENCE[finding.confidence.value],
        finding.severity.rank,
        span.start_byte - span.end_byte,
        finding.rule_id,
    )


def _same_problem(a: Finding, b: Finding) -> bool:
    return a.category == b.category and not set(a.cwe).isdisjoint(b.cwe)


def _one_per_place(found: list[Finding]) -> list[Finding]:
    """Overlapping findings of one category that share a CWE report the same problem (a provider
    token that is also a password literal, a query both formatted and built from request data):
    keep the strongest. ``found`` is sorted by start, and so is the result."""
    kept: list[Finding] = []
    active: list[int] = []  # indexes in ``kept`` whose span reaches the current start
    replaced = False
    for finding in found:
        active = [i for i in active if kept[i].span.end_byte > finding.span.start_byte]
        rival = next((i for i in active if _same_problem(kept[i], finding)), None)
        if rival is None:
            active.append(len(kept))
            kept.append(finding)
        elif _strength(finding) > _strength(kept[rival]):
            kept[rival] = finding
            replaced = True
    if replaced:
        kept.sort(key=lambda f: (f.span.start_byte, f.span.end_byte, f.rule_id))
    return kept


def _skip(unit: tree_sitter.Node) -> UnitSkip:
    name = "" if "import" in unit.type else _unit_name(unit)  # `from flask import Flask` is not "Flask"
    return UnitSkip(unit.start_byte, unit.end_byte, unit.start_point.row, unit.end_point.row, name)



def _in_order(found: list[tuple[Finding, str]]) -> list[tuple[Finding, str]]:
    """Units are disjoint and visited in order, so sorting within each sorts the whole file."""
    found.sort(key=lambda item: (item[0].span.start_byte, item[0].span.end_byte, item[0].rule_id))
    return found


@lru_cache(maxsize=1 << 16)
def _fingerprint(key: str, occurrence: int) -> str:
    """A stable id for a finding: its rule, enclosing definition and code, and which occurrence of
    that same code it is. Positions are left out so the id survives edits elsewhere."""
    digest = hashlib.sha256(f"{key}\0{occurrence}".encode("utf-8", "surrogatepass")).hexdigest()
    return digest[:FINGERPRINT_LENGTH]


FINGERPRINT_LENGTH = 20  # hex digits of the digest that a fingerprint keeps
_HEX = frozenset("0123456789abcdef")


def is_fingerprint(value: object) -> bool:
    """Whether ``value`` has the shape of :func:`_fingerprint`'s ids: the language server checks
    the fingerprints an editor sends back (accept, dismiss) before one goes into the feedback store."""
    return isinstance(value, str) and len(value) == FINGERPRINT_LENGTH and _HEX.issuperset(value)
