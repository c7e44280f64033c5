"""The intra-procedural taint engine behind the ``#tainted?`` query predicate.

A value is tainted when it may hold data from a source (see the language's spec). The engine
looks only at the functions enclosing the sink, from the outermost one inside the top-level unit
down to the innermost (so closures see their parents' variables), and never outside the unit, so
a unit's findings still depend on its own text alone (ARCHITECTURE.md, invariant 3).

Statements count in source order. A name becomes tainted when it is bound (assignment,
declaration, augmented assignment, destructuring, loop variable) to a tainted expression, and
clean again when re-bound to a clean one on every path to the sink (a clean binding inside a
branch or loop that does not hold the sink leaves the taint). An expression is tainted when it
matches a source pattern or reads a tainted name through any operator, string building,
container literal, subscript of a tainted container or call, unless a sanitizer call stands in
between; a call of a helper function defined in the same unit is tainted when one of its return
values is, given which arguments are.
Method calls listed as mutators taint their receiver (``list.push(x)``), calls listed as
out-argument writers taint their arguments (``json.Unmarshal(body, &v)``). A call whose name
matches the spec's validators clears the names passed to it, and an ``if`` whose condition
matches the spec's guards clears the names it mentions inside its body (for a positive check) or
after it (when the body exits early, or re-binds the checked name to a clean value).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from contextvars import ContextVar
from functools import lru_cache

from coderev.analyzers.taint.scopes import (
    UNNAMED_RECEIVERS,
    Context,
    bound_names,
    concrete,
    declared_types,
    parameter_sources,
    parameters,
    scopes_of,
)
from coderev.analyzers.taint.spec import Pattern, spec_for
from coderev.analyzers.taint.syntax import (
    NAME_FIELDS,
    SYNTAX,
    Node,
    Syntax,
    callee,
    children_except,
    guess_language,
    text,
)

# The language being analyzed, set by the analyzer around its query matches (the predicate
# callback sees only nodes); when unset the language is guessed from the tree.
LANGUAGE: ContextVar[str | None] = ContextVar("coderev_taint_language", default=None)
DEFAULT_CLASSES = frozenset({"request"})
_WHITESPACE = re.compile(r"\s+")
_HEAD = re.compile(rb"\s*([A-Za-z_$][\w$]*)")
_BOUNDARY = frozenset(".[(?!")
_COMPARISON = re.compile(r"[!=]==?")
# Fields whose value does not flow into the expression: names, and the test of `c ? a : b`.
_SKIPPED_FIELDS = NAME_FIELDS | {"condition"}


def _compact(node: Node, limit: int = 400) -> str:
    raw = (node.text or b"")[:limit].decode("utf-8", "replace")
    return _WHITESPACE.sub("", raw)


@lru_cache(maxsize=64)
def _compiled_patterns(
    language: str, classes: frozenset[str]
) -> tuple[tuple[tuple[str, bool], ...], tuple[Pattern, ...], frozenset[str]]:
    """A language's source patterns for some classes: (plain prefixes, typed patterns, roots)."""
    spec = spec_for(language)
    patterns = spec.patterns(classes) if spec is not None else ()
    plain = tuple((p.path, p.call) for p in patterns if p.type is None)
    return plain, tuple(p for p in patterns if p.type is not None), _roots(plain)


def _roots(prefixes: Iterable[tuple[str, bool]]) -> frozenset[str]:
    return frozenset(re.split(r"[.(\[]", prefix, maxsplit=1)[0] for prefix, _ in prefixes)


# --- expressions --------------------------------------------------------------------------------


def _is_source(node: Node, ctx: Context) -> bool:
    head = _HEAD.match((node.text or b"")[:80])
    if head is None or head.group(1).decode("utf-8", "replace") not in ctx.roots:
        return False  # no pattern starts with this name: skip building the compact text
    compact = _compact(node)
    is_call = node.type in ctx.syntax.calls
    for prefix, calls_only in ctx.prefixes:
        if calls_only:
            if is_call and _WHITESPACE.sub("", callee(node)[1]) == prefix:
                return True
        elif compact.startswith(prefix) and (len(compact) == len(prefix) or compact[len(prefix)] in _BOUNDARY):
            return True
    return False


def reads(node: Node, ctx: Context) -> bool:
    """True when ``node`` reads a source or a tainted name, and no sanitizer stands between.

    The walk keeps its own stack, so a 1,000-term concatenation or 5,000 nested parentheses cost
    no Python recursion (whose limit is about 1,000 frames)."""
    stack = [node]
    while stack:
        if _reads_here(stack.pop(), ctx, stack):
            return True
    return False


def _reads_here(node: Node, ctx: Context, stack: list[Node]) -> bool:
    """Whether ``node`` itself is a tainted read; the parts it takes its value from go onto
    ``stack`` (it is tainted when any of them is)."""
    syntax = ctx.syntax
    kind = node.type
    if (kind in syntax.names or kind in syntax.paths) and text(node) in ctx.names:
        return True
    if (kind in syntax.paths or kind in syntax.subscripts or kind in syntax.calls) and _is_source(node, ctx):
        return True
    if kind in syntax.calls:
        name, full, _ = callee(node)
        if ctx.spec.is_sanitizer(name, full):
            return False
        through = _through_helper(node, name, ctx)
        if through is not None:
            return through
        if not ctx.spec.propagate_all and name not in ctx.spec.propagators:
            return False
    if kind in syntax.functions or kind in syntax.classes:
        return False
    if kind in syntax.subscripts:  # TABLE[key] holds the table's values, not the key
        if node.named_child_count > 0:
            stack.append(node.named_children[0])
        return False
    if kind == "conditional_expression":  # Python: `a if test else b` holds a or b
        values = node.named_children
        stack.extend(values[2:3] + values[:1])
        return False
    # popped in source order, as the recursive walk visited them
    stack.extend(reversed(children_except(node, _SKIPPED_FIELDS, syntax.comments)))
    return False


def _mentioned(node: Node, syntax: Syntax) -> set[str]:
    """Every name and member path mentioned in ``node``."""
    found: set[str] = set()
    stack = [node]
    while stack:
        current = stack.pop()
        if current.type in syntax.names or current.type in syntax.paths:
            found.add(text(current))
        stack.extend(current.named_children)
    return found


# --- statements ---------------------------------------------------------------------------------


def _bind(binding: Node, ctx: Context) -> None:
    target_field, value_field = ctx.syntax.bindings[binding.type]
    targets = binding.children_by_field_name(target_field)
    values = binding.children_by_field_name(value_field)
    if not targets:
        return
    operator = binding.child_by_field_name("operator")
    augmented = binding.type in ctx.syntax.augmented or (operator is not None and text(operator) not in {"=", ":="})
    tainted = any(reads(v, ctx) for v in values)
    keeps = augmented or _conditional(binding, ctx)
    for target in targets:
        for name in bound_names(target, ctx.syntax):
            if tainted:
                ctx.names.add(name)
            elif not keeps:
                ctx.names.discard(name)


def _conditional(node: Node, ctx: Context) -> bool:
    """Whether ``node`` runs only on some paths to the sink (in a branch or loop without it)."""
    sink = ctx.sink.start_byte
    current = node.parent
    while current is not None and current.type not in ctx.syntax.functions:
        if current.type in ctx.syntax.branches and not current.start_byte <= sink < current.end_byte:
            return True
        current = current.parent
    return False


def _call(call: Node, ctx: Context) -> None:
    name, _, receiver = callee(call)
    arguments = call.child_by_field_name("arguments")
    if arguments is None:
        return
    spec = ctx.spec
    if spec.validators.search(name):
        ctx.names.difference_update(_mentioned(arguments, ctx.syntax))
    elif name in spec.mutators and receiver is not None and reads(arguments, ctx):
        while receiver.type in ctx.syntax.calls:  # sb.append(a).append(b)
            inner = callee(receiver)[2]
            if inner is None:
                return
            receiver = inner
        ctx.names.update(bound_names(receiver, ctx.syntax))
    elif name in spec.out_arguments and reads(call, ctx):
        for argument in arguments.named_children:
            target = argument
            if argument.type == "unary_expression" and argument.named_children:  # &v
                target = argument.named_children[-1]
            if target.type in ctx.syntax.names:
                ctx.names.add(text(target))


def _guard(statement: Node, ctx: Context) -> None:
    """An ``if`` whose condition checks values protects the code inside its body when the check
    is positive, and the code after it when the body leaves early."""
    condition = statement.child_by_field_name("condition")
    body = statement.child_by_field_name("consequence")
    if condition is None or body is None:
        return
    spec, at = ctx.spec, ctx.sink.start_byte
    condition_text = text(condition)
    if not spec.guards.search(condition_text):
        return
    mentioned = _mentioned(condition, ctx.syntax)
    if body.start_byte <= at < body.end_byte:
        if not spec.negation.search(condition_text):
            _clear(mentioned, ctx)
    elif at >= statement.end_byte:
        if spec.exits.search(text(body)):
            _clear(mentioned, ctx)
        elif spec.guards.search(_COMPARISON.sub(" ", condition_text)):
            # `if not safe(x): x = DEFAULT` replaces a value that fails a check (a comparison
            # alone, such as `x.length === 0`, only picks a default)
            ctx.names.difference_update(mentioned & _rebound(body, ctx))


def _clear(mentioned: set[str], ctx: Context) -> None:
    """A check passed: the names it mentions are clean, and an object whose origin it checked
    (``event.origin``) no longer counts as a source."""
    ctx.names.difference_update(mentioned)
    trusted = {m.rsplit(".", 1)[0] for m in mentioned if m.rsplit(".", 1)[-1] in ctx.spec.trusting_members}
    if trusted:
        ctx.prefixes = [p for p in ctx.prefixes if re.split(r"[.(\[]", p[0], maxsplit=1)[0] not in trusted]


def _rebound(body: Node, ctx: Context) -> set[str]:
    """Names that ``body`` binds to a clean value."""
    found: set[str] = set()
    stack = [body]
    while stack:
        current = stack.pop()
        if current.type in ctx.syntax.bindings and current.type not in ctx.syntax.loops:
            target_field, value_field = ctx.syntax.bindings[current.type]
            values = current.children_by_field_name(value_field)
            if values and not any(reads(v, ctx) for v in values):
                for target in current.children_by_field_name(target_field):
                    found.update(bound_names(target, ctx.syntax))
        elif current.type not in ctx.syntax.functions:
            stack.extend(current.named_children)
    return found


def _limit(node: Node, syntax: Syntax) -> Node | None:
    """The part of a statement that must end before the sink for the statement to count."""
    if node.type in syntax.loops:
        return node.child_by_field_name(syntax.bindings[node.type][1])
    if node.type in syntax.ifs:
        return node.child_by_field_name("condition")
    return node


def _walk(scope: Node, ctx: Context) -> None:
    syntax, sink = ctx.syntax, ctx.sink
    body = scope.child_by_field_name("body")
    stack = [body] if body is not None else []
    while stack:  # pre-order, in source order, up to the sink
        current = stack.pop()
        if current.start_byte >= sink.start_byte:
            continue
        kind = current.type
        if (kind in syntax.functions or kind in syntax.classes) and not (
            current.start_byte <= sink.start_byte < current.end_byte
        ):
            continue
        if kind in syntax.bindings or kind in syntax.ifs or kind in syntax.calls:
            limit = _limit(current, syntax)
            if limit is not None and limit.end_byte <= sink.start_byte:
                if kind in syntax.bindings:
                    _bind(current, ctx)
                elif kind in syntax.calls:
                    _call(current, ctx)
                else:
                    _guard(current, ctx)
        stack.extend(reversed(current.named_children))


# --- helper functions defined in the same unit --------------------------------------------------


def _unit_functions(node: Node, ctx: Context) -> dict[str, list[Node]]:
    if ctx.functions is None:
        unit = node
        while unit.parent is not None and unit.parent.parent is not None:
            unit = unit.parent
        ctx.functions = {}
        stack = [unit]
        while stack:
            current = stack.pop()
            if current.type in ctx.syntax.functions:
                name = current.child_by_field_name("name")
                if name is not None:
                    ctx.functions.setdefault(text(name), []).append(current)
            stack.extend(current.named_children)
    return ctx.functions


def _through_helper(call: Node, name: str, ctx: Context) -> bool | None:
    """For a call of a function defined in the same unit (``helper(x)``, ``this.helper(x)``,
    ``new Helper().run(x)``): whether one of its return values is tainted, given which arguments
    are. None when the callee is not such a helper (or helpers are nested too deep)."""
    receiver = callee(call)[2]
    if ctx.depth >= 2 or not name or (
        receiver is not None
        and text(receiver) not in UNNAMED_RECEIVERS
        and receiver.type not in ctx.syntax.calls
        and not text(receiver)[:1].isupper()
    ):
        return None
    helpers = [f for f in _unit_functions(call, ctx).get(name, ()) if not f.start_byte <= call.start_byte < f.end_byte]
    if not helpers:
        return None
    arguments = call.child_by_field_name("arguments")
    args = [a for a in (arguments.named_children if arguments is not None else []) if a.type not in ctx.syntax.comments]
    for helper in helpers:
        params = [names[0] if names else "" for _, names, _ in parameters(helper, ctx.syntax)]
        if params[:1] in (["self"], ["cls"]):
            params = params[1:]
        tainted: set[str] = set()
        for index, arg in enumerate(args):
            keyword = arg.child_by_field_name("name") if arg.type == "keyword_argument" else None
            value = arg.child_by_field_name("value") if keyword is not None else arg
            target = text(keyword) if keyword is not None else (params[index] if index < len(params) else "")
            if target and value is not None and reads(value, ctx):
                tainted.add(target)
        if _returns_tainted(helper, tainted, ctx):
            return True
    return False


def _returns_tainted(helper: Node, tainted: set[str], ctx: Context) -> bool:
    stack = [helper.child_by_field_name("body")]
    while stack:
        current = stack.pop()
        if current is None or (current.type in ctx.syntax.functions and current != helper):
            continue
        if current.type == "return_statement" and current.named_children:
            value = current.named_children[0]
            inner = Context(ctx.spec, ctx.syntax, ctx.classes, value, set(tainted), functions=ctx.functions,
                             depth=ctx.depth + 1)
            typed = (p for p in ctx.spec.patterns(ctx.classes) if p.type is not None)
            extra = concrete(typed, declared_types(helper, ctx.syntax))
            inner.prefixes = ctx.prefixes + extra
            inner.roots = ctx.roots | _roots(extra)
            parameter_sources(helper, inner)
            _walk(helper, inner)
            if reads(value, inner):
                return True
        stack.extend(current.named_children)
    return False


def is_tainted(node: Node, classes: Iterable[str] = DEFAULT_CLASSES, language: str | None = None) -> bool:
    """True when ``node`` may hold data from a source of the given classes ('request' always)."""
    language = language or LANGUAGE.get() or guess_language(node)
    spec = spec_for(language)
    syntax = SYNTAX.get(language)
    if spec is None or syntax is None:
        return False
    ctx = Context(spec, syntax, DEFAULT_CLASSES | frozenset(classes), node)
    scopes = scopes_of(node, syntax)
    plain, typed, roots = _compiled_patterns(language, ctx.classes)
    ctx.prefixes = list(plain)
    ctx.roots = roots
    if typed and scopes:
        extra = concrete(typed, declared_types(scopes[0], syntax))
        ctx.prefixes += extra
        ctx.roots = roots | _roots(extra) if extra else roots
    for scope in scopes:
        parameter_sources(scope, ctx)
    if scopes:
        _walk(scopes[0], ctx)
    return reads(node, ctx)
