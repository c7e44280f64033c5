"""Scopes, parameters and declarations for the taint engine: which functions enclose a sink,
which names a binding or parameter introduces, which parameters a framework fills from a source,
and which names are declared with which type (for ``{Type}.member`` source patterns)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Literal, Protocol

from coderev.analyzers.taint.constants import Value
from coderev.analyzers.taint.containers import Container, Steps
from coderev.analyzers.taint.spec import Pattern, TaintSpec
from coderev.analyzers.taint.syntax import NAME_FIELDS, Node, Syntax, callee, children_except, text

_WHITESPACE = re.compile(r"\s+")
_SPLATS = frozenset({"list_splat_pattern", "dictionary_splat_pattern", "rest_pattern", "spread_parameter",
                     "variadic_parameter_declaration"})
UNNAMED_RECEIVERS = frozenset({"self", "this", "cls", "super"})
_DECLARATIONS = frozenset({"local_variable_declaration", "field_declaration"})


class Resolver(Protocol):
    """Answers calls of functions defined outside the unit (``taint.summaries``): the taint the
    call returns (Steps), None (clean), or False when the callee is not known."""

    # named functions of each top-level unit, by its byte range, for the run the resolver serves
    unit_memo: dict[tuple[int, int], dict[str, list[Node]]]

    def answer(self, call: Node, ctx: Context, reads: Callable[[Node], Steps | None]) -> Steps | Literal[False] | None:
        ...


@dataclass(slots=True)
class Context:
    """The state of one question "is this sink tainted?": the spec, what is tainted so far."""

    spec: TaintSpec
    syntax: Syntax
    classes: frozenset[str]
    sink: Node
    names: dict[str, Steps] = field(default_factory=dict)  # tainted names: how the taint got there
    prefixes: list[tuple[str, bool]] = field(default_factory=list)  # (dotted prefix, calls only)
    functions: dict[str, list[Node]] | None = None  # the unit's named functions (helpers), lazily
    roots: frozenset[str] = frozenset()  # first names of the prefixes
    depth: int = 0  # helper calls followed so far
    consts: dict[str, Value] = field(default_factory=dict)  # names bound to a folded constant
    containers: dict[str, Container] = field(default_factory=dict)  # key-sensitive locals
    certain: set[tuple[int, int, str]] = field(default_factory=set)  # branches known to run
    dead: bool = False  # the sink is unreachable (a constant condition, an earlier return)
    resolver: Resolver | None = None  # cross-unit function summaries, if any
    # the functions around the sink, outermost first (a node's ``parent`` costs a walk from the
    # root in tree-sitter: code that needs the scope of a node inside them looks here instead)
    scopes: list[Node] = field(default_factory=list)
    # walks a helper of the unit given its tainted parameters (the engine's, set by prepare)
    follow: Callable[[Node, dict[str, Steps], Context], Steps | None] | None = None


def _norm_type(value: str) -> str:
    value = _WHITESPACE.sub("", value).lstrip(":*&")
    return re.sub(r"<.*>", "", value)


def _type_matches(declared: str, wanted: str) -> bool:
    declared = _norm_type(declared)
    return declared == wanted or declared.endswith("." + wanted)


# --- scopes and declarations ---------------------------------------------------------------------


def scopes_around(node: Node, ctx: Context) -> list[Node]:
    """The functions of ``ctx.scopes`` that hold ``node``, outermost first."""
    return [s for s in ctx.scopes if s.start_byte <= node.start_byte and node.end_byte <= s.end_byte]


def scopes_of(node: Node, syntax: Syntax) -> list[Node]:
    """The function-like ancestors of ``node``, outermost first."""
    found: list[Node] = []
    current = node.parent
    while current is not None:
        if current.type in syntax.functions:
            found.append(current)
        current = current.parent
    return found[::-1]


def bound_names(node: Node, syntax: Syntax) -> list[str]:
    """The names an assignment target or parameter pattern binds (in source order; the walk
    keeps its own stack, so deeply nested patterns cost no Python recursion)."""
    out: list[str] = []
    stack = [node]
    while stack:
        current = stack.pop()
        kind = current.type
        if kind in syntax.names:
            out.append(text(current))
        elif kind in syntax.paths:
            root = current
            while root.named_child_count and root.type in syntax.paths:
                root = root.named_children[0]
            out.append(text(current))
            if root.type in syntax.names and text(root) not in UNNAMED_RECEIVERS:
                out.append(text(root))
        elif kind in syntax.subscripts:
            if current.named_child_count:
                stack.append(current.named_children[0])
        else:
            stack.extend(reversed(children_except(current, NAME_FIELDS)))
    return out


def parameters(function: Node, syntax: Syntax) -> list[tuple[Node, list[str], str]]:
    """(parameter node, names, declared type text) for each parameter of a function."""
    out: list[tuple[Node, list[str], str]] = []
    for field_name in syntax.parameter_lists:
        holder = function.child_by_field_name(field_name)
        if holder is None:
            continue
        params = [holder] if holder.type in syntax.names else holder.named_children
        for param in params:
            if param.type in syntax.comments:
                continue
            kind = param.child_by_field_name("type")
            names_nodes = param.children_by_field_name("name") or param.children_by_field_name("pattern")
            if param.type in syntax.names:
                names = [text(param)]
            elif names_nodes:
                names = [n for node in names_nodes for n in bound_names(node, syntax)]
            else:
                names = [text(c) for c in param.named_children if c.type in syntax.names][:1]
                if not names and param.type not in syntax.names:
                    names = bound_names(param, syntax)
            out.append((param, names, text(kind)))
    return out


def _function_name(function: Node) -> str:
    return text(function.child_by_field_name("name"))


def _annotations(param: Node) -> set[str]:
    """Java annotations (`@RequestParam String q`) and TypeScript parameter decorators
    (`@Query('q') q: string`) on a parameter: their last name segment."""
    found: set[str] = set()
    for child in param.children:
        if child.type == "modifiers":
            for mod in child.named_children:
                name = mod.child_by_field_name("name")
                if name is not None:
                    found.add(text(name).rsplit(".", 1)[-1])
        elif child.type == "decorator" and child.named_child_count:
            target = child.named_children[0]
            if target.type == "call_expression":
                target = target.child_by_field_name("function") or target
            found.add(text(target).rsplit(".", 1)[-1])
    return found


def parameter_sources(function: Node, ctx: Context) -> None:
    params = parameters(function, ctx.syntax)
    for rule in ctx.spec.parameters:
        if rule.source_class not in ctx.classes:
            continue
        skip: set[str] = set(rule.skip_names)
        if rule.decorators is not None:
            parent = function.parent
            if parent is None or parent.type != "decorated_definition":
                continue  # checked first: a plain function's parent is the module, with every unit as a child
            decorators = [d for d in parent.children if d.type == "decorator"]
            if not any(rule.decorators.search(text(d)) for d in decorators):
                continue
            if rule.typed_segments is not None:
                skip |= {m.group(1) for d in decorators for m in rule.typed_segments.finditer(text(d))}
        elif rule.functions and _function_name(function) not in rule.functions:
            continue
        for param, names, declared in params:
            if rule.annotations and not (_annotations(param) & rule.annotations):
                continue
            if rule.decorators is not None and param.type in _SPLATS:
                continue
            if rule.skip_types is not None and declared and rule.skip_types.match(_norm_type(declared)):
                continue
            default = param.child_by_field_name("value")
            if default is not None and default.type in ctx.syntax.calls and callee(default)[0] in rule.skip_defaults:
                continue
            for name in names:
                if name not in skip:
                    ctx.names[name] = ((f"source: parameter `{name}`", param),)


def declared_types(scope: Node, syntax: Syntax) -> dict[str, str]:
    """Names declared with a type anywhere in ``scope`` (parameters and local declarations)."""
    types: dict[str, str] = {}
    stack = [scope]
    while stack:
        current = stack.pop()
        if current.type in syntax.functions:
            for _, names, declared in parameters(current, syntax):
                if declared:
                    types.update(dict.fromkeys(names, declared))
        elif current.type in syntax.bindings or current.type == "enhanced_for_statement":
            declared_node = current.child_by_field_name("type")
            parent = current.parent
            if declared_node is None and parent is not None and parent.type in _DECLARATIONS:
                declared_node = parent.child_by_field_name("type")
            if declared_node is not None:
                for target in current.children_by_field_name(syntax.bindings.get(current.type, ("name", ""))[0]):
                    types.update(dict.fromkeys(bound_names(target, syntax), text(declared_node)))
        stack.extend(current.named_children)
    return types


def field_types(scope: Node, syntax: Syntax) -> dict[str, str]:
    """The fields declared with a type in the class around ``scope`` (a method): a wrapper keeps
    ``private HttpServletRequest request;`` and reads ``request.getParameter(p)``."""
    body = scope.parent
    if body is None or body.type != "class_body":
        return {}
    types: dict[str, str] = {}
    for member in body.named_children:
        if member.type == "field_declaration":
            declared = text(member.child_by_field_name("type"))
            for declarator in member.children_by_field_name("declarator"):
                types.update(dict.fromkeys(bound_names(declarator.child_by_field_name("name") or declarator, syntax),
                                           declared))
    return types


def concrete(patterns: Iterable[Pattern], types: dict[str, str]) -> list[tuple[str, bool]]:
    out: list[tuple[str, bool]] = []
    for pattern in patterns:
        if pattern.type is None:
            out.append((pattern.path, pattern.call))
            continue
        for name, declared in types.items():
            if _type_matches(declared, pattern.type):
                out.append((f"{name}.{pattern.path}" if pattern.path else name, pattern.call))
    return out
