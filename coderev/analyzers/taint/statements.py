"""Statements for the taint engine: bindings (names, constants, containers), calls that
mutate, validate or write out-arguments, and ``if`` guards. See engine.py for the model."""

from __future__ import annotations

import re

from coderev.analyzers.taint.constants import UNKNOWN, value_of
from coderev.analyzers.taint.containers import Steps, mutate, new_container
from coderev.analyzers.taint.expressions import mentioned, reads
from coderev.analyzers.taint.helpers import extend
from coderev.analyzers.taint.scopes import Context, bound_names
from coderev.analyzers.taint.syntax import Node, callee, text

_COMPARISON = re.compile(r"[!=]==?")
BRANCHING = frozenset({"if_statement", "match_statement", "switch_expression", "switch_statement",
                       "expression_switch_statement"})
_TRIES = frozenset({"try_statement", "try_with_resources_statement", "with_statement"})
_LOOPS = frozenset({"for_statement", "while_statement", "do_statement", "for_in_statement",
                    "enhanced_for_statement", "range_clause", "for_in_clause"})
_MEMBERSHIP = frozenset({"includes", "contains", "containsKey", "containsValue", "has", "Contains",
                         "indexOf", "__contains__"})


def key(node: Node) -> tuple[int, int, str]:
    return node.start_byte, node.end_byte, node.type


# --- statements ---------------------------------------------------------------------------------


def bind(binding: Node, ctx: Context) -> None:
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
        box = new_container(value, lambda n: reads(n, ctx), ctx.consts)
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
        names = _attached(one, bound_names(one, syntax), ctx)
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


def _attached(target: Node, names: list[str], ctx: Context) -> list[str]:
    """``names`` less the owners a write into a detached member leaves alone: writing
    ``resp.headers["X"]`` changes the headers, not the response body ``resp`` stands for."""
    detached = ctx.spec.detached_members
    if not detached or len(names) < 2:
        return names
    path = text(target)
    return [n for n in names if not any(path.startswith(f"{n}.{m}") for m in detached)]


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
                and key(current) not in ctx.certain):
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


def always_runs(node: Node, ctx: Context) -> bool:
    """Whether ``node`` runs whenever its function does (no branch, loop or try around it that
    is not known to run)."""
    current = node.parent
    while current is not None and current.type not in ctx.syntax.functions:
        if current.type in _TRIES or current.type in _LOOPS:
            return False
        if current.type in ctx.syntax.branches and key(current) not in ctx.certain:
            return False
        if current.type in BRANCHING and key(current) not in ctx.certain:
            return False
        current = current.parent
    return True


def call(call: Node, ctx: Context) -> None:
    name, _, receiver = callee(call)
    arguments = call.child_by_field_name("arguments")
    if arguments is None:
        return
    spec = ctx.spec
    box = ctx.containers.get(text(receiver)) if receiver is not None else None
    if box is not None:
        mutate(box, call, lambda n: reads(n, ctx), ctx.consts, _conditional(call, ctx))
    elif spec.validators.search(name):
        if _fails_check(call, ctx):
            return
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
        for owner in _attached(receiver, bound_names(receiver, ctx.syntax), ctx):
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


def _fails_check(call: Node, ctx: Context) -> bool:
    """Whether the sink sits in the body of an ``if`` whose negated condition holds this
    validating call (``if !isValid(x) { sink(x) }``): there the value failed the check."""
    current = call.parent
    while current is not None and current.type not in ctx.syntax.functions:
        if current.type in ctx.syntax.ifs:
            condition = current.child_by_field_name("condition")
            body = current.child_by_field_name("consequence")
            return (condition is not None and body is not None
                    and condition.start_byte <= call.start_byte < condition.end_byte
                    and body.start_byte <= ctx.sink.start_byte < body.end_byte
                    and bool(ctx.spec.negation.search(text(condition))))
        current = current.parent
    return False


def guard(statement: Node, ctx: Context) -> None:
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
