"""Data-flow findings: their trace, and a severity that follows the evidence.

A rule is a data-flow rule when its query uses ``#tainted?`` (the sink is reached by an untrusted
source) or ``#dynamic?`` (the value is not a constant). For both, the analyzer asks the taint
engine how an untrusted source reaches the captured value:

- traced: the finding carries the steps from the source to the sink (``Finding.trace``) and
  ``Evidence.SOURCE``; it keeps the rule's severity;
- not traced (a ``#dynamic?`` rule whose value is merely non-constant: a table name from
  ``quote_name``, a class constant, a function's parameter): ``Evidence.NON_CONSTANT``, at most
  a warning, and the message says no untrusted source was traced. ``report-untraced = false``
  leaves these out.

Findings sit on the sink: a finding about the same problem (category and CWE) whose code is one
step of another finding's trace (``sql = "..." % name`` before ``cursor.execute(sql)``) is that
trace's step, not a second finding.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

import tree_sitter

from coderev.analyzers.finding import Evidence, Finding, Severity, Span, TraceStep
from coderev.analyzers.literals import span_of
from coderev.analyzers.ruleset import Rule
from coderev.analyzers.taint.engine import taint_trace

_TAINTED = re.compile(r"\(#tainted\?((?:\s+@[\w.-]+)+)((?:\s+\"[^\"]*\")*)\s*\)")
_DYNAMIC = re.compile(r"\(#dynamic\?((?:\s+@[\w.-]+)+)\s*\)")
UNTRACED_NOTE = " (no untrusted source traced to it: the value is only non-constant)"


@dataclass(frozen=True, slots=True)
class Flow:
    """What a rule's query checks about data: ``kind`` "tainted" or "dynamic", the captures it
    checks, and the source classes beyond the request."""

    kind: str
    captures: tuple[str, ...]
    classes: frozenset[str]


@lru_cache(maxsize=1024)
def _flow_of_query(query: str) -> Flow | None:
    tainted = _TAINTED.findall(query)
    if tainted:
        captures = tuple(dict.fromkeys(c.lstrip("@") for group, _ in tainted for c in group.split()))
        classes = frozenset(c.strip('"') for _, extra in tainted for c in extra.split())
        return Flow("tainted", captures, classes)
    dynamic = _DYNAMIC.findall(query)
    if dynamic:
        captures = tuple(dict.fromkeys(c.lstrip("@") for group in dynamic for c in group.split()))
        return Flow("dynamic", captures, frozenset())
    return None


def flow_of(rule: Rule) -> Flow | None:
    return _flow_of_query(rule.query) if rule.query else None


def _sink_label(node: tree_sitter.Node) -> str:
    value = " ".join((node.text or b"").decode("utf-8", "replace").split())
    return "sink: " + (value if len(value) <= 60 else value[:57] + "...")


def traced(
    finding: Finding, flow: Flow, captures: dict[str, list[tree_sitter.Node]], language: str,
    sink: tree_sitter.Node,
) -> Finding:
    """``finding`` with its trace and evidence (and, untraced, the message that says so)."""
    steps = None
    for name in flow.captures:
        for node in captures.get(name, ()):
            steps = taint_trace(node, flow.classes, language)
            if steps:
                break
        if steps:
            break
    if steps:
        trace: list[TraceStep] = []
        for label, where in steps:
            step = where if isinstance(where, TraceStep) else TraceStep(label, span_of(where))
            if trace and trace[-1].span == step.span and trace[-1].path == step.path:
                continue
            trace.append(step)
        trace.append(TraceStep(_sink_label(sink), finding.span))
        return _with(finding, tuple(trace), Evidence.SOURCE, finding.message)
    if flow.kind == "dynamic":
        return _with(finding, (), Evidence.NON_CONSTANT, finding.message + UNTRACED_NOTE)
    return finding


def _with(finding: Finding, trace: tuple[TraceStep, ...], evidence: Evidence, message: str) -> Finding:
    return Finding(
        finding.rule_id, finding.language, finding.severity, message, finding.span, finding.cwe,
        finding.category, finding.confidence, finding.fix, finding.fingerprint, finding.secret, trace, evidence,
    )


def _inside(span: Span, outer: Span) -> bool:
    return outer.start_byte <= span.start_byte and span.end_byte <= outer.end_byte


def on_sinks(found: Iterable[tuple[Finding, str]]) -> list[tuple[Finding, str]]:
    """Leave out each finding that is a step of a later finding's trace about the same problem
    (one unit's findings): the later one sits on the sink and shows this code as a step."""
    items = list(found)
    steps = [
        (f.category, set(f.cwe), step.span, f.span.start_byte)
        for f, _ in items if f.trace for step in f.trace[:-1] if not step.path
    ]
    if not steps:
        return items
    return [
        (f, key) for f, key in items
        if not any(
            category == f.category and not cwe.isdisjoint(f.cwe) and _inside(f.span, span) and sink > f.span.start_byte
            for category, cwe, span, sink in steps
        )
    ]


def final_severity(finding: Finding, configured: Severity) -> Severity:
    """A non-constant value with no traced source is at most a warning."""
    if finding.evidence is Evidence.NON_CONSTANT and configured.rank > Severity.WARNING.rank:
        return Severity.WARNING
    return configured
