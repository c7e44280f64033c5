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
from coderev.analyzers.predicates import bindings_before
from coderev.analyzers.ruleset import Rule
from coderev.analyzers.taint.containers import Steps
from coderev.analyzers.taint.engine import taint_trace

_TAINTED = re.compile(r"\(#tainted\?((?:\s+@[\w.-]+)+)((?:\s+\"[^\"]*\")*)\s*\)")
_DYNAMIC = re.compile(r"\(#dynamic\?((?:\s+@[\w.-]+)+)\s*\)")
UNTRACED_NOTE = " (no untrusted source traced to it: the value is only non-constant)"
LOCAL_NOTE = " (from the command line, the environment or the console: whoever runs the program chooses it)"
REMOTE = frozenset({"request", "dom"})  # sources an attacker reaches over the network
LOCAL = frozenset({"cli", "env"})  # sources whoever runs the program chooses (LOCAL_NOTE)
NON_CONSTANT = frozenset({"param"})  # a function's parameters: not a source, only not a constant


@dataclass(frozen=True, slots=True)
class Flow:
    """What a rule's query checks about data: the captures it asks ``#tainted?`` about (with the
    source classes beyond the request) and the captures it asks ``#dynamic?`` about. A rule may
    mix both kinds of pattern; a match is judged by the captures it has."""

    tainted: tuple[str, ...]
    classes: frozenset[str]
    dynamic: tuple[str, ...]


@lru_cache(maxsize=1024)
def _flow_of_query(query: str) -> Flow | None:
    tainted = _TAINTED.findall(query)
    dynamic = _DYNAMIC.findall(query)
    if not tainted and not dynamic:
        return None
    return Flow(
        tuple(dict.fromkeys(c.lstrip("@") for group, _ in tainted for c in group.split())),
        frozenset(c.strip('"') for _, extra in tainted for c in extra.split()),
        tuple(dict.fromkeys(c.lstrip("@") for group in dynamic for c in group.split())),
    )


def flow_of(rule: Rule) -> Flow | None:
    return _flow_of_query(rule.query) if rule.query else None


def _sink_label(node: tree_sitter.Node) -> str:
    value = " ".join((node.text or b"").decode("utf-8", "replace").split())
    return "sink: " + (value if len(value) <= 60 else value[:57] + "...")


def _first_trace(names: Iterable[str], captures: dict[str, list[tree_sitter.Node]], classes: Iterable[str],
                 language: str) -> Steps | None:
    for name in names:
        for node in captures.get(name, ()):
            steps = taint_trace(node, classes, language)
            if steps:
                return steps
    return None


def traced(
    finding: Finding, flow: Flow, captures: dict[str, list[tree_sitter.Node]], language: str,
    sink: tree_sitter.Node,
) -> Finding:
    """``finding`` with its trace and evidence (and, untraced, the message that says so)."""
    names = [n for n in (*flow.tainted, *flow.dynamic) if n in captures]
    steps = _first_trace(names, captures, REMOTE, language)
    evidence = Evidence.SOURCE
    if not steps and flow.classes - REMOTE:  # the rule also asks about the command line, ...
        steps = _first_trace(names, captures, flow.classes, language)
        evidence = Evidence.LOCAL
    if steps:
        trace: list[TraceStep] = []
        for label, where in steps:
            step = where if isinstance(where, TraceStep) else TraceStep(label, span_of(where))
            if trace and trace[-1].span == step.span and trace[-1].path == step.path:
                continue
            trace.append(step)
        trace.append(TraceStep(_sink_label(sink), finding.span))
        local = evidence is Evidence.LOCAL and not flow.classes.isdisjoint(LOCAL)
        message = finding.message + (LOCAL_NOTE if local else "")
        if evidence is Evidence.LOCAL and flow.classes - REMOTE <= NON_CONSTANT:
            evidence, message = Evidence.NON_CONSTANT, finding.message + UNTRACED_NOTE
        return _with(finding, tuple(trace), evidence, message)
    if any(n in captures for n in flow.dynamic):
        built = _built(flow, captures, finding.span)
        steps_built = (*built, TraceStep(_sink_label(sink), finding.span)) if built else ()
        return _with(finding, steps_built, Evidence.NON_CONSTANT, finding.message + UNTRACED_NOTE)
    return finding


_BINDINGS = frozenset({"assignment", "augmented_assignment", "lexical_declaration", "variable_declaration",
                       "local_variable_declaration", "short_var_declaration", "assignment_expression"})


def _built(flow: Flow, captures: dict[str, list[tree_sitter.Node]], sink: Span) -> tuple[TraceStep, ...]:
    """Where a non-constant value the match checked was built before the sink, outside it (a
    query formatted on an earlier line and executed on this one): the binding around it, or, for
    a name inside the sink, the bindings that gave it its value."""
    steps: list[TraceStep] = []
    for name in flow.dynamic:
        for node in captures.get(name, ()):
            if node.end_byte > sink.start_byte:
                # execute(sql): where sql was built (and extended), earlier in this function
                steps.extend(TraceStep("built here", span_of(b)) for b in bindings_before(node)
                             if b.end_byte <= sink.start_byte)
                continue
            binding: tree_sitter.Node | None = node
            while binding is not None and binding.type not in _BINDINGS:
                binding = binding.parent
            steps.append(TraceStep("built here", span_of(binding or node)))
    return tuple(sorted(set(steps), key=lambda step: step.span.start_byte))


def _with(finding: Finding, trace: tuple[TraceStep, ...], evidence: Evidence, message: str) -> Finding:
    return Finding(
        finding.rule_id, finding.language, finding.severity, message, finding.span, finding.cwe,
        finding.category, finding.confidence, finding.fix, finding.fingerprint, finding.secret, trace, evidence,
    )


_AT_MOST_WARNING = frozenset({Evidence.LOCAL, Evidence.NON_CONSTANT})


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
    """Only an untrusted source makes an error: a local source or a merely non-constant value is
    at most a warning."""
    if finding.evidence in _AT_MOST_WARNING and configured.rank > Severity.WARNING.rank:
        return Severity.WARNING
    return configured
