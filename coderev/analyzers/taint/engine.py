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

import re
from collections.abc import Iterable, Mapping
from contextvars import ContextVar
from functools import lru_cache

from coderev.analyzers.taint import containers
from coderev.analyzers.taint.constants import UNKNOWN, live_branches, ternary_branch, value_of
from coderev.analyzers.taint.containers import Steps
from coderev.analyzers.taint.helpers import NOT_A_HELPER, extend, through_call
from coderev.analyzers.taint.scopes import (
    Context,
    Resolver,
    bound_names,
    concrete,
    declared_types,
    field_types,
    parameter_sources,
    parameters,
    scopes_of,
)
from coderev.analyzers.taint.spec import spec_for
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
# Answers calls of functions outside the unit (set by the analyzer when it has a project).
RESOLVER: ContextVar[Resolver | None] = ContextVar("coderev_taint_resolver", default=None)
DEFAULT_CLASSES = frozenset({"request"})
_WHITESPACE = re.compile(r"\s+")
_HEAD = re.compile(rb"\s*([A-Za-z_$][\w$]*)")
_BOUNDARY = frozenset(".[(?!")
_COMPARISON = re.compile(r"[!=]==?")
_SELF = ("self.", "this.")
# Fields whose value does not flow into the expression: names, and the test of `c ? a : b`.
_SKIPPED_FIELDS = NAME_FIELDS | {"condition"}
_BRANCHING = frozenset({"if_statement", "match_statement", "switch_expression", "switch_statement",
                        "expression_switch_statement"})
_EXITS = frozenset({"return_statement", "throw_statement", "raise_statement"})
_TRIES = frozenset({"try_statement", "try_with_resources_statement", "with_statement"})
_LOOPS = frozenset({"for_statement", "while_statement", "do_statement", "for_in_statement",
                    "enhanced_for_statement", "range_clause", "for_in_clause"})
_MEMBERSHIP = frozenset({"includes", "contains", "containsKey", "containsValue", "has", "Contains",
                         "indexOf", "__contains__"})


def _compact(node: Node, limit: int = 400) -> str:
    raw = (node.text or b"")[:limit].decode("utf-8", "replace")
    return _WHITESPACE.sub("", raw)


def _short(node: Node) -> str:
    value = " ".join(text(node).split())
    return value if len(value) <= 60 else value[:57] + "..."


@lru_cache(maxsize=64)
def _compiled_patterns(
    language: str, classes: frozenset[str]
) -> tuple[tuple[tuple[str, bool], ...], tuple[object, ...], frozenset[str]]:
    """A language's source patterns for some classes: (plain prefixes, typed patterns, roots)."""
    spec = spec_for(language)
    patterns = spec.patterns(classes) if spec is not None else ()
    plain = tuple((p.path, p.call) for p in patterns if p.type is None)
    return plain, tuple(p for p in patterns if p.type is not None), roots_of(plain)


def roots_of(prefixes: Iterable[tuple[str, bool]]) -> frozenset[str]:
    return frozenset(re.split(r"[.(\[]", prefix, maxsplit=1)[0] for prefix, _ in prefixes)


def _key(node: Node) -> tuple[int, int, str]:
    return node.start_byte, node.end_byte, node.type


# --- expressions --------------------------------------------------------------------------------


def _is_source(node: Node, ctx: Context) -> bool:
    raw = (node.text or b"")[:85]
    head = _HEAD.match(raw)
    if head is None:
        return False
    name = head.group(1).decode("utf-8", "replace")
    strip = 0
    if name in ("self", "this") and raw[head.end() : head.end() + 1] == b".":
        # a wrapper keeps the request in a field: self.request.args, this.req.query
        inner = _HEAD.match(raw, head.end() + 1)
        if inner is None:
            return False
        name, strip = inner.group(1).decode("utf-8", "replace"), len(name) + 1
    if name not in ctx.roots:
        return False  # no pattern starts with this name: skip building the compact text
    compact = _compact(node)[strip:]
    is_call = node.type in ctx.syntax.calls
    for prefix, calls_only in ctx.prefixes:
        if calls_only:
            if is_call and _WHITESPACE.sub("", callee(node)[1])[strip:] == prefix:
                return True
        elif compact.startswith(prefix) and (len(compact) == len(prefix) or compact[len(prefix)] in _BOUNDARY):
            return True
    return False


def reads(node: Node, ctx: Context) -> Steps | None:
    """How ``node`` reads a source or a tainted name with no sanitizer between (the steps from
    the source), or None when it does not. The walk keeps its own stack, so a 1,000-term
    concatenation or 5,000 nested parentheses cost no Python recursion."""
    stack = [node]
    while stack:
        found = _reads_here(stack.pop(), ctx, stack)
        if found:
            return found
    return None


def _reads_here(node: Node, ctx: Context, stack: list[Node]) -> Steps | None:
    """Whether ``node`` itself is a tainted read; the parts it takes its value from go onto
    ``stack`` (it is tainted when any of them is)."""
    syntax = ctx.syntax
    kind = node.type
    if kind in syntax.names or kind in syntax.paths:
        name = text(node)
        if name in ctx.names:
            return ctx.names[name]
        box = ctx.containers.get(name)
        if box is not None:
            return box.any()
        if kind in syntax.paths:
            owner = node.child_by_field_name("object")
            box = ctx.containers.get(text(owner)) if owner is not None else None
            if box is not None and box.kind == "map":  # o.key of a tracked object
                return box.get(text(node.child_by_field_name("property") or node.child_by_field_name("field")))
    if (kind in syntax.paths or kind in syntax.subscripts or kind in syntax.calls) and _is_source(node, ctx):
        return ((f"source: {_short(node)}", node),)
    if kind in syntax.calls:
        return _call_reads(node, ctx, stack)
    if kind in syntax.functions or kind in syntax.classes:
        return None
    if kind in syntax.subscripts:  # TABLE[key] holds the table's values, not the key
        if node.named_child_count > 0:
            base = node.named_children[0]
            box = ctx.containers.get(text(base))
            if box is not None:
                index = node.child_by_field_name("subscript") or node.child_by_field_name("index")
                return box.get(value_of(index, ctx.consts))
            stack.append(base)
        return None
    if kind in ("conditional_expression", "ternary_expression"):
        chosen = ternary_branch(node, ctx.consts)
        if chosen is not None:
            stack.append(chosen)
            return None
        if kind == "conditional_expression":  # Python: `a if test else b` holds a or b
            values = node.named_children
            stack.extend(values[2:3] + values[:1])
            return None
    # popped in source order, as the recursive walk visited them
    stack.extend(reversed(children_except(node, _SKIPPED_FIELDS, syntax.comments)))
    return None


def _call_reads(node: Node, ctx: Context, stack: list[Node]) -> Steps | None:
    name, full, receiver = callee(node)
    if ctx.spec.is_sanitizer(name, full):
        return None
    if receiver is not None:
        box = ctx.containers.get(text(receiver))
        if box is not None:
            found = containers.read_call(box, node, lambda n: reads(n, ctx), ctx.consts)
            if found is not False:
                return found if found else None
    through = through_call(node, name, ctx, reads, _follow)
    if through is not NOT_A_HELPER:
        return through if through else None
    if not ctx.spec.propagate_all and name not in ctx.spec.propagators:
        return None
    stack.extend(reversed(children_except(node, _SKIPPED_FIELDS, ctx.syntax.comments)))
    return None


def mentioned(node: Node, syntax: Syntax) -> set[str]:
    """Every name and member path mentioned in ``node``."""
    found: set[str] = set()
    stack = [node]
    while stack:
        current = stack.pop()
        if current.type in syntax.names or current.type in syntax.paths:
            found.add(text(current))
        stack.extend(current.named_children)
    return found


_mentioned = mentioned  # the name tests use


# --- statements ---------------------------------------------------------------------------------


def _bind(binding: Node, ctx: Context) -> None:
    syntax = ctx.syntax
    target_field, value_field = syntax.bindings[binding.type]
    targets = binding.children_by_field_name(target_field)
    values = binding.children_by_field_name(value_field)
    if not targets:
        return
    operator = binding.child_by_field_name("operator")
    augmented = binding.type in syntax.augmented or (operator is not None and text(operator) not in {"=", ":="})
    keeps = augmented or _conditional(binding, ctx)
    loops = binding.type in syntax.loops or _in_loop(binding, ctx)
    value = _single(values)
    target = _single(targets)
    if value is not None and target is not None and target.type in syntax.names and not augmented:
        if _appends(target, value, ctx):
            return
        box = containers.new_container(value, lambda n: reads(n, ctx), ctx.consts)
        if box is not None and not keeps:
            name = text(target)
            ctx.containers[name] = box
            ctx.names.pop(name, None)
            ctx.consts.pop(name, None)
            return
    tainted = next((t for t in (reads(v, ctx) for v in values) if t), None)
    for written in targets:
        # Go writes `m["k"] = v` as an expression list of one
        one = written.named_children[0] if written.type == "expression_list" and written.named_child_count == 1 \
            else written
        if _store(one, tainted, keeps, ctx):
            continue
        names = bound_names(one, syntax)
        for name in names:
            ctx.containers.pop(name, None)
            if tainted:
                ctx.names[name] = extend(tainted, (f"assigned to `{name}`", binding))
            elif not keeps:
                ctx.names.pop(name, None)
        if len(names) == 1 and value is not None and not augmented and not keeps and not loops:
            constant = value_of(value, ctx.consts)
            if constant is UNKNOWN:
                ctx.consts.pop(names[0], None)
            else:
                ctx.consts[names[0]] = constant
        else:
            for name in names:
                ctx.consts.pop(name, None)


def _single(nodes: list[Node]) -> Node | None:
    """The one node of a field, through Go's expression lists."""
    if len(nodes) != 1:
        return None
    node = nodes[0]
    if node.type == "expression_list":
        return node.named_children[0] if node.named_child_count == 1 else None
    return node


def _appends(target: Node, value: Node, ctx: Context) -> bool:
    """Go: ``s = append(s, v)`` on a tracked list."""
    box = ctx.containers.get(text(target))
    if box is None or value.type != "call_expression" or callee(value)[0] != "append":
        return False
    arguments = value.child_by_field_name("arguments")
    args = arguments.named_children if arguments is not None else []
    if not args or text(args[0]) != text(target):
        return False
    for arg in args[1:]:
        box.items.append(reads(arg, ctx)) if not _conditional(value, ctx) else box.put(UNKNOWN, reads(arg, ctx), True)
    return True


def _store(target: Node, tainted: Steps | None, keeps: bool, ctx: Context) -> bool:
    """A write into a tracked container (``m[k] = v``, ``o.k = v``); False when ``target`` is
    not one."""
    syntax = ctx.syntax
    if target.type in syntax.subscripts and target.named_child_count:
        box = ctx.containers.get(text(target.named_children[0]))
        if box is None:
            return False
        index = target.child_by_field_name("subscript") or target.child_by_field_name("index")
        box.put(value_of(index, ctx.consts), tainted, keeps)
        return True
    if target.type in syntax.paths:
        owner = target.child_by_field_name("object")
        box = ctx.containers.get(text(owner)) if owner is not None else None
        if box is None or box.kind != "map":
            return False
        member = target.child_by_field_name("property") or target.child_by_field_name("field")
        box.put(text(member), tainted, keeps)
        return True
    return False


def _conditional(node: Node, ctx: Context) -> bool:
    """Whether ``node`` runs only on some paths to the sink (in a branch or loop without it that
    is not known to run)."""
    sink = ctx.sink.start_byte
    current = node.parent
    while current is not None and current.type not in ctx.syntax.functions:
        if (current.type in ctx.syntax.branches and not current.start_byte <= sink < current.end_byte
                and _key(current) not in ctx.certain):
            return True
        current = current.parent
    return False


def _in_loop(node: Node, ctx: Context) -> bool:
    current = node.parent
    while current is not None and current.type not in ctx.syntax.functions:
        if current.type in _LOOPS:
            return True
        current = current.parent
    return False


def _always_runs(node: Node, ctx: Context) -> bool:
    """Whether ``node`` runs whenever its function does (no branch, loop or try around it that
    is not known to run)."""
    current = node.parent
    while current is not None and current.type not in ctx.syntax.functions:
        if current.type in _TRIES or current.type in _LOOPS:
            return False
        if current.type in ctx.syntax.branches and _key(current) not in ctx.certain:
            return False
        if current.type in _BRANCHING and _key(current) not in ctx.certain:
            return False
        current = current.parent
    return True


def _call(call: Node, ctx: Context) -> None:
    name, _, receiver = callee(call)
    arguments = call.child_by_field_name("arguments")
    if arguments is None:
        return
    spec = ctx.spec
    box = ctx.containers.get(text(receiver)) if receiver is not None else None
    if box is not None:
        containers.mutate(box, call, lambda n: reads(n, ctx), ctx.consts, _conditional(call, ctx))
    elif spec.validators.search(name):
        for gone in mentioned(arguments, ctx.syntax):
            ctx.names.pop(gone, None)
    elif name in spec.mutators and receiver is not None:
        tainted = reads(arguments, ctx)
        if not tainted:
            return
        while receiver.type in ctx.syntax.calls:  # sb.append(a).append(b)
            inner = callee(receiver)[2]
            if inner is None:
                return
            receiver = inner
        for owner in bound_names(receiver, ctx.syntax):
            ctx.names[owner] = extend(tainted, (f"added to `{owner}`", call))
    elif name in spec.out_arguments:
        tainted = reads(call, ctx)
        if not tainted:
            return
        for argument in arguments.named_children:
            target = argument
            if argument.type == "unary_expression" and argument.named_children:  # &v
                target = argument.named_children[-1]
            if target.type in ctx.syntax.names:
                ctx.names[text(target)] = extend(tainted, (f"written into `{text(target)}`", call))


def _guard(statement: Node, ctx: Context) -> None:
    """An ``if`` whose condition checks values protects the code inside its body when the check
    is positive, and the code after it when the body leaves early."""
    condition = statement.child_by_field_name("condition")
    body = statement.child_by_field_name("consequence")
    if condition is None or body is None:
        return
    spec, at = ctx.spec, ctx.sink.start_byte
    condition_text = text(condition)
    if not spec.guards.search(condition_text) or _untrusted_allow_list(condition, ctx):
        return
    names = mentioned(condition, ctx.syntax)
    if body.start_byte <= at < body.end_byte:
        if not spec.negation.search(condition_text):
            _clear(names, ctx)
    elif at >= statement.end_byte:
        if spec.exits.search(text(body)):
            _clear(names, ctx)
        elif spec.guards.search(_COMPARISON.sub(" ", condition_text)):
            # `if not safe(x): x = DEFAULT` replaces a value that fails a check (a comparison
            # alone, such as `x.length === 0`, only picks a default)
            for gone in names & _rebound(body, ctx):
                ctx.names.pop(gone, None)


def _untrusted_allow_list(condition: Node, ctx: Context) -> bool:
    """Whether a membership test in ``condition`` checks against a list that is itself tainted
    (``if name in request.form.getlist("x")``): such a check proves nothing."""
    stack = [condition]
    while stack:
        node = stack.pop()
        if node.type == "comparison_operator" and any(not c.is_named and text(c) == "in" for c in node.children):
            if node.named_child_count >= 2 and reads(node.named_children[-1], ctx):
                return True
        elif node.type in ctx.syntax.calls:
            name, _, receiver = callee(node)
            if name in _MEMBERSHIP:
                arguments = node.child_by_field_name("arguments")
                holder = receiver
                if receiver is None or text(receiver) in ("slices", "sort", "Arrays", "Collections"):
                    holder = arguments.named_children[0] if arguments is not None and arguments.named_children \
                        else None
                if holder is not None and reads(holder, ctx):
                    return True
        stack.extend(node.named_children)
    return False


def _clear(names: set[str], ctx: Context) -> None:
    """A check passed: the names it mentions are clean, and an object whose origin it checked
    (``event.origin``) no longer counts as a source."""
    for gone in names:
        ctx.names.pop(gone, None)
    trusted = {m.rsplit(".", 1)[0] for m in names if m.rsplit(".", 1)[-1] in ctx.spec.trusting_members}
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
    if node.type in syntax.ifs or node.type in _BRANCHING:
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
        if kind in syntax.bindings or kind in syntax.ifs or kind in syntax.calls or kind in _BRANCHING:
            limit = _limit(current, syntax)
            if limit is not None and limit.end_byte <= sink.start_byte:
                if kind in syntax.bindings:
                    _bind(current, ctx)
                elif kind in syntax.calls:
                    _call(current, ctx)
                elif kind in syntax.ifs:
                    _guard(current, ctx)
                if kind in _BRANCHING:
                    children = _live(current, limit, holds_sink, ctx) or children
        elif kind in _EXITS and current.end_byte <= sink.start_byte and _always_runs(current, ctx):
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
    ctx.certain.add(_key(node))
    ctx.certain.update(_key(n) for n in live)
    for branch in live:  # Python's `else:` / JS `else` wrap the block that runs
        if branch.type in ("else_clause", "elif_clause"):
            inner = branch.child_by_field_name("body") or branch.child_by_field_name("consequence")
            if inner is not None:
                ctx.certain.add(_key(inner))
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
                            depth=ctx.depth + 1, resolver=ctx.resolver)
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
    ctx = Context(spec, syntax, DEFAULT_CLASSES | frozenset(classes), node, resolver=RESOLVER.get())
    scopes = scopes_of(node, syntax)
    if sources:
        plain, typed, roots = _compiled_patterns(language, ctx.classes)
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
