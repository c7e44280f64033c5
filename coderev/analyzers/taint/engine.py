"""The taint engine behind the ``#tainted?`` query predicate.

A value is tainted when it may hold data from a source (see the language's spec). The engine
walks the functions enclosing the sink, from the outermost one inside the top-level unit down to
the innermost (so closures see their parents' variables), statements in source order, and
records for each tainted name *how* the taint got there (the steps of the finding's trace).

- A name becomes tainted when it is bound (assignment, declaration, augmented assignment,
  destructuring, loop variable) to a tainted expression, and clean again when re-bound to a
  clean one on every path to the sink.
- Conditions that fold to a constant (:mod:`constants`) prune the branches that never run: the
  walk enters only the live branch of an ``if``/``switch``/``match``/ternary, a binding in a
  branch known to run counts on every path, and a sink after a ``return`` that always runs, or
  inside a dead branch, is not reached.
- Maps and lists created locally are tracked key by key (:mod:`containers`).
- A call of a helper function defined in the same unit, or (through ``resolver``) a summarized
  function of the workspace, is tainted when the helper returns a source, or passes on a tainted
  argument; other calls follow the spec's ``propagation``.
- Checks end a flow: sanitizer calls, validator calls, and ``if`` guards (an allow-list check
  only when the allow-list itself is not tainted).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from contextvars import ContextVar

from coderev.analyzers.taint.branches import live_branches
from coderev.analyzers.taint.containers import Steps
from coderev.analyzers.taint.expressions import compiled_patterns, mentioned, reads, roots_of
from coderev.analyzers.taint.scopes import (
    Context,
    Resolver,
    concrete,
    declared_types,
    field_types,
    parameter_sources,
    parameters,
    scopes_of,
)
from coderev.analyzers.taint.spec import spec_for
from coderev.analyzers.taint.statements import BRANCHING, always_runs, bind, call, guard, key
from coderev.analyzers.taint.syntax import SYNTAX, Node, Syntax, guess_language

# The language being analyzed, set by the analyzer around its query matches (the predicate
# callback sees only nodes); when unset the language is guessed from the tree.
LANGUAGE: ContextVar[str | None] = ContextVar("coderev_taint_language", default=None)
# Answers calls of functions outside the unit (set by the analyzer when it has a project).
RESOLVER: ContextVar[Resolver | None] = ContextVar("coderev_taint_resolver", default=None)
DEFAULT_CLASSES = frozenset({"request"})
_EXITS = frozenset({"return_statement", "throw_statement", "raise_statement"})
_mentioned = mentioned  # the name tests use
__all__ = ["DEFAULT_CLASSES", "LANGUAGE", "RESOLVER", "flow_to", "is_tainted", "prepare", "reads", "taint_trace"]


def _limit(node: Node, syntax: Syntax) -> Node | None:
    """The part of a statement that must end before the sink for the statement to count."""
    if node.type in syntax.loops:
        return node.child_by_field_name(syntax.bindings[node.type][1])
    if node.type in syntax.ifs or node.type in BRANCHING:
        return (node.child_by_field_name("condition") or node.child_by_field_name("subject")
                or node.child_by_field_name("value"))
    return node


def walk(scope: Node, ctx: Context) -> None:
    """Run the statements of ``scope`` that precede the sink, in source order."""
    syntax, sink = ctx.syntax, ctx.sink
    body = scope.child_by_field_name("body")
    stack = [body] if body is not None else []
    while stack and not ctx.dead:  # pre-order, in source order, up to the sink
        current = stack.pop()
        if current.start_byte >= sink.start_byte:
            continue
        kind = current.type
        holds_sink = current.start_byte <= sink.start_byte < current.end_byte
        if (kind in syntax.functions or kind in syntax.classes) and not holds_sink:
            continue
        children = current.named_children
        if kind in syntax.bindings or kind in syntax.ifs or kind in syntax.calls or kind in BRANCHING:
            limit = _limit(current, syntax)
            if limit is not None and limit.end_byte <= sink.start_byte:
                if kind in syntax.bindings:
                    bind(current, ctx)
                elif kind in syntax.calls:
                    call(current, ctx)
                elif kind in syntax.ifs:
                    guard(current, ctx)
                if kind in BRANCHING:
                    children = _live(current, limit, holds_sink, ctx) or children
        elif kind in _EXITS and current.end_byte <= sink.start_byte and always_runs(current, ctx):
            ctx.dead = True  # everything after an unconditional return is unreachable
            return
        stack.extend(reversed(children))


def _live(node: Node, limit: Node, holds_sink: bool, ctx: Context) -> list[Node] | None:
    """The children of a branching statement the walk enters: with a constant condition, the
    condition and the live branches only (None: all of them)."""
    live = live_branches(node, ctx.consts)
    if live is None:
        return None
    if holds_sink and not limit.start_byte <= ctx.sink.start_byte < limit.end_byte and not any(
        n.start_byte <= ctx.sink.start_byte < n.end_byte for n in live
    ):
        ctx.dead = True  # the sink is in a branch that never runs
        return [limit]
    ctx.certain.add(key(node))
    ctx.certain.update(key(n) for n in live)
    for branch in live:  # Python's `else:` / JS `else` wrap the block that runs
        if branch.type in ("else_clause", "elif_clause"):
            inner = branch.child_by_field_name("body") or branch.child_by_field_name("consequence")
            if inner is not None:
                ctx.certain.add(key(inner))
    return [limit, *live]


def _follow(helper: Node, tainted: dict[str, Steps], ctx: Context) -> Steps | None:
    """Whether a helper defined in the unit returns a tainted value, given its tainted
    parameters (walked like the sink's own function, one level deeper)."""
    stack = [helper.child_by_field_name("body")]
    while stack:
        current = stack.pop()
        if current is None or (current.type in ctx.syntax.functions and current != helper):
            continue
        if current.type == "return_statement" and current.named_children:
            value = current.named_children[0]
            inner = Context(ctx.spec, ctx.syntax, ctx.classes, value, dict(tainted), functions=ctx.functions,
                            depth=ctx.depth + 1, resolver=ctx.resolver, follow=_follow, scopes=[helper])
            typed = (p for p in ctx.spec.patterns(ctx.classes) if p.type is not None)
            extra = concrete(typed, declared_types(helper, ctx.syntax))
            inner.prefixes = ctx.prefixes + extra
            inner.roots = ctx.roots | roots_of(extra)
            parameter_sources(helper, inner)
            walk(helper, inner)
            found = None if inner.dead else reads(value, inner)
            if found:
                return found
        stack.extend(current.named_children)
    return None


def prepare(
    node: Node, classes: Iterable[str], language: str | None, *,
    seeds: Mapping[str, Steps] | None = None, sources: bool = True,
) -> Context | None:
    """The context of the question "is ``node`` tainted?", its enclosing functions walked.
    ``seeds`` are names tainted from the start; without ``sources`` only they are."""
    language = language or LANGUAGE.get() or guess_language(node)
    spec = spec_for(language)
    syntax = SYNTAX.get(language)
    if spec is None or syntax is None:
        return None
    ctx = Context(spec, syntax, source_classes(classes), node, resolver=RESOLVER.get(), follow=_follow)
    scopes = scopes_of(node, syntax)
    ctx.scopes = scopes
    if sources:
        plain, typed, roots = compiled_patterns(language, ctx.classes)
        ctx.prefixes = list(plain)
        ctx.roots = roots
        if typed and scopes:
            types = field_types(scopes[0], syntax) | declared_types(scopes[0], syntax)
            extra = concrete(typed, types)  # type: ignore[arg-type]
            ctx.prefixes += extra
            ctx.roots = roots | roots_of(extra) if extra else roots
        for scope in scopes:
            parameter_sources(scope, ctx)
    if seeds:
        ctx.names.update(seeds)
    if scopes:
        walk(scopes[0], ctx)
    return ctx


def source_classes(named: Iterable[str]) -> frozenset[str]:
    """The source classes a rule asks for: 'request' and the classes it names, less those it
    names with a leading '-' (``(#tainted? @x "random" "-request")``: random values only)."""
    wanted = set(named)
    removed = {c[1:] for c in wanted if c.startswith("-")}
    return (DEFAULT_CLASSES | {c for c in wanted if not c.startswith("-")}) - removed


def flow_to(
    node: Node, language: str, *, seeds: Mapping[str, Steps] | None = None, sources: bool = True
) -> Steps | None:
    """How a request source (or one of ``seeds``) reaches ``node``, or None."""
    ctx = prepare(node, DEFAULT_CLASSES, language, seeds=seeds, sources=sources)
    if ctx is None or ctx.dead:
        return None
    return reads(node, ctx)


def parameter_names(function: Node, language: str) -> list[tuple[str, Node]]:
    """A function's positional parameters after ``self``/``cls``: (first name bound, node)."""
    found = [(names[0] if names else "", node) for node, names, _ in parameters(function, SYNTAX[language])]
    if found and found[0][0] in ("self", "cls"):
        found = found[1:]
    return found


def taint_trace(node: Node, classes: Iterable[str] = DEFAULT_CLASSES, language: str | None = None) -> Steps | None:
    """How ``node`` may hold data from a source of the given classes ('request' always): the
    steps from the source, or None."""
    ctx = prepare(node, classes, language)
    if ctx is None or ctx.dead:
        return None
    return reads(node, ctx)


def is_tainted(node: Node, classes: Iterable[str] = DEFAULT_CLASSES, language: str | None = None) -> bool:
    """True when ``node`` may hold data from a source of the given classes ('request' always)."""
    return taint_trace(node, classes, language) is not None
