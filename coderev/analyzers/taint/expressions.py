"""Expressions for the taint engine: whether an expression reads a source or a tainted name,
and how (the steps of the trace). See engine.py for the model."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from coderev.analyzers.taint.constants import ternary_branch, value_of
from coderev.analyzers.taint.containers import Steps, read_call
from coderev.analyzers.taint.helpers import NOT_A_HELPER, through_call
from coderev.analyzers.taint.scopes import Context
from coderev.analyzers.taint.spec import spec_for
from coderev.analyzers.taint.syntax import NAME_FIELDS, Node, Syntax, callee, children_except, text

_WHITESPACE = re.compile(r"\s+")
_NEVER_PATTERN = "(?!)"  # spec.py's regex for an empty list
_HEAD = re.compile(rb"\s*([A-Za-z_$][\w$]*)")
_BOUNDARY = frozenset(".[(?!")
# Fields whose value does not flow into the expression: names, and the test of `c ? a : b`.
_SKIPPED_FIELDS = NAME_FIELDS | {"condition"}


def _compact(node: Node, limit: int = 400) -> str:
    raw = (node.text or b"")[:limit].decode("utf-8", "replace")
    return _WHITESPACE.sub("", raw)


def _short(node: Node) -> str:
    value = " ".join(text(node).split())
    return value if len(value) <= 60 else value[:57] + "..."


@lru_cache(maxsize=64)
def compiled_patterns(
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
        if name.startswith("_") and name.lstrip("_") in ctx.roots:  # self._request.args
            strip += len(name) - len(name.lstrip("_"))
            name = name.lstrip("_")
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
    if kind in syntax.paths and ctx.spec.numeric_members:
        member = node.child_by_field_name("property") or node.child_by_field_name("field") \
            or node.child_by_field_name("attribute")
        owner = node.child_by_field_name("object") or node.child_by_field_name("operand")
        if (member is not None and text(member) in ctx.spec.numeric_members
                and not (owner is not None and _is_source(owner, ctx))):
            return None  # items.length is a number, whatever items holds (req.body.length is a field)
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


def _sanitizing_call(node: Node, ctx: Context) -> bool:
    """Whether the call's own text (arguments included, whitespace removed) matches the spec's
    ``sanitizer_calls``: ``filepath.Clean("/" + p)`` confines a path under its root."""
    if ctx.spec.sanitizer_call.pattern == _NEVER_PATTERN:
        return False
    head = (node.text or b"")[:300].decode("utf-8", "replace")
    return ctx.spec.sanitizer_call.search(_WHITESPACE.sub("", head)) is not None


def _call_reads(node: Node, ctx: Context, stack: list[Node]) -> Steps | None:
    name, full, receiver = callee(node)
    if ctx.spec.is_sanitizer(name, full) or _sanitizing_call(node, ctx):
        return None
    if receiver is not None:
        box = ctx.containers.get(text(receiver))
        if box is not None:
            found = read_call(box, node, lambda n: reads(n, ctx), ctx.consts)
            if found is not False:
                return found if found else None
    through = through_call(node, name, ctx, reads, ctx.follow or _no_helpers)
    if through is not NOT_A_HELPER:
        return through if through else None
    if not ctx.spec.propagate_all and name not in ctx.spec.propagators:
        return None
    if receiver is not None and name in ctx.spec.receiver_only:
        stack.append(receiver)  # names.slice(from, to): positions carry no text into the result
        return None
    stack.extend(reversed(children_except(node, _SKIPPED_FIELDS, ctx.syntax.comments)))
    return None


def _no_helpers(_helper: Node, _tainted: dict[str, Steps], _ctx: Context) -> Steps | None:
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
