"""How each grammar spells the constructs the taint engine needs (functions, bindings, calls).

This is grammar knowledge, not security knowledge: which sources, sanitizers and propagators
exist is data in the ``<language>.yaml`` specs.
"""

from __future__ import annotations

from dataclasses import dataclass

import tree_sitter

Node = tree_sitter.Node


@dataclass(frozen=True, slots=True)
class Syntax:
    functions: frozenset[str]  # function-like nodes: a scope boundary
    classes: frozenset[str]  # nested class bodies, skipped like functions
    # binding node type -> (target field, value field); the value must precede the sink
    bindings: dict[str, tuple[str, str]]
    augmented: frozenset[str]  # bindings that add to the old value (x += y)
    loops: frozenset[str]  # bindings whose value part alone must precede the sink (for x in y)
    ifs: frozenset[str]
    calls: frozenset[str]
    names: frozenset[str]  # identifiers
    paths: frozenset[str]  # member access: obj.attr
    subscripts: frozenset[str]  # obj[index]
    parameter_lists: tuple[str, ...]  # fields of a function node holding its parameters
    comments: frozenset[str]
    # Nodes that run their children only sometimes: a clean re-binding inside one of them (that
    # does not also hold the sink) leaves an earlier taint in place.
    branches: frozenset[str] = frozenset()


# Child fields that name a member rather than hold a value (obj.<attribute>, f(<name>=...)).
NAME_FIELDS = frozenset({"attribute", "property", "field", "name", "key", "type", "type_arguments", "decorator"})

PYTHON = Syntax(
    functions=frozenset({"function_definition"}),
    classes=frozenset({"class_definition"}),
    bindings={
        "assignment": ("left", "right"),
        "augmented_assignment": ("left", "right"),
        "named_expression": ("name", "value"),
        "for_statement": ("left", "right"),
        "for_in_clause": ("left", "right"),
    },
    augmented=frozenset({"augmented_assignment"}),
    loops=frozenset({"for_statement", "for_in_clause"}),
    ifs=frozenset({"if_statement", "elif_clause"}),
    calls=frozenset({"call"}),
    names=frozenset({"identifier"}),
    paths=frozenset({"attribute"}),
    subscripts=frozenset({"subscript"}),
    parameter_lists=("parameters",),
    comments=frozenset({"comment"}),
    branches=frozenset({"if_statement", "elif_clause", "else_clause", "for_statement", "while_statement",
                        "except_clause", "match_statement", "case_clause"}),
)

JAVASCRIPT = Syntax(
    functions=frozenset({"function_declaration", "function_expression", "arrow_function", "method_definition",
                         "generator_function_declaration", "generator_function", "function"}),
    classes=frozenset({"class_declaration", "class"}),
    bindings={
        "variable_declarator": ("name", "value"),
        "assignment_expression": ("left", "right"),
        "augmented_assignment_expression": ("left", "right"),
        "for_in_statement": ("left", "right"),
    },
    augmented=frozenset({"augmented_assignment_expression"}),
    loops=frozenset({"for_in_statement"}),
    ifs=frozenset({"if_statement"}),
    calls=frozenset({"call_expression", "new_expression"}),
    names=frozenset({"identifier", "shorthand_property_identifier", "shorthand_property_identifier_pattern"}),
    paths=frozenset({"member_expression"}),
    subscripts=frozenset({"subscript_expression"}),
    parameter_lists=("parameters", "parameter"),
    comments=frozenset({"comment"}),
    branches=frozenset({"if_statement", "else_clause", "switch_case", "switch_default", "for_statement",
                        "for_in_statement", "while_statement", "do_statement",
                        "catch_clause", "ternary_expression"}),
)

GO = Syntax(
    functions=frozenset({"function_declaration", "method_declaration", "func_literal"}),
    classes=frozenset(),
    bindings={
        "short_var_declaration": ("left", "right"),
        "assignment_statement": ("left", "right"),
        "var_spec": ("name", "value"),
        "range_clause": ("left", "right"),
    },
    augmented=frozenset(),
    loops=frozenset({"range_clause"}),
    ifs=frozenset({"if_statement"}),
    calls=frozenset({"call_expression"}),
    names=frozenset({"identifier"}),
    paths=frozenset({"selector_expression"}),
    subscripts=frozenset({"index_expression", "slice_expression"}),
    parameter_lists=("parameters",),
    comments=frozenset({"comment"}),
    branches=frozenset({"if_statement", "expression_case", "default_case", "type_case", "communication_case",
                        "for_statement"}),
)

JAVA = Syntax(
    functions=frozenset({"method_declaration", "constructor_declaration", "lambda_expression"}),
    classes=frozenset({"class_declaration", "class_body"}),
    bindings={
        "variable_declarator": ("name", "value"),
        "assignment_expression": ("left", "right"),
        "enhanced_for_statement": ("name", "value"),
    },
    augmented=frozenset(),
    loops=frozenset({"enhanced_for_statement"}),
    ifs=frozenset({"if_statement"}),
    calls=frozenset({"method_invocation", "object_creation_expression"}),
    names=frozenset({"identifier"}),
    paths=frozenset({"field_access"}),
    subscripts=frozenset({"array_access"}),
    parameter_lists=("parameters",),
    comments=frozenset({"line_comment", "block_comment"}),
    branches=frozenset({"if_statement", "switch_block_statement_group", "switch_rule", "for_statement",
                        "enhanced_for_statement", "while_statement", "do_statement",
                        "catch_clause", "ternary_expression"}),
)

SYNTAX: dict[str, Syntax] = {
    "python": PYTHON,
    "javascript": JAVASCRIPT,
    "typescript": JAVASCRIPT,
    "tsx": JAVASCRIPT,
    "go": GO,
    "java": JAVA,
}

_ROOTS = {"module": "python", "source_file": "go"}
_JAVA_ONLY = frozenset({"method_declaration", "class_body", "local_variable_declaration", "method_invocation",
                        "package_declaration", "import_declaration", "field_declaration"})


def text(node: Node | None) -> str:
    return (node.text or b"").decode("utf-8", "replace") if node is not None else ""


def children_except(node: Node, fields: frozenset[str], types: frozenset[str] = frozenset()) -> list[Node]:
    """The named children of ``node`` that are not in one of ``fields`` nor of one of ``types``,
    in source order (walked with a cursor: asking a node for each child's field name costs a scan
    of its children each time, quadratic for a call with thousands of arguments)."""
    out: list[Node] = []
    cursor = node.walk()
    if not cursor.goto_first_child():
        return out
    while True:
        child = cursor.node
        if child is not None and child.is_named and child.type not in types and cursor.field_name not in fields:
            out.append(child)
        if not cursor.goto_next_sibling():
            return out


def guess_language(node: Node) -> str:
    """The language family of a node's tree, from its node types (when no caller said)."""
    current: Node | None = node
    root = node
    while current is not None:
        if current.type in _JAVA_ONLY:
            return "java"
        root = current
        current = current.parent
    if root.type in _ROOTS:
        return _ROOTS[root.type]
    if any(child.type in _JAVA_ONLY for child in root.children):
        return "java"
    return "javascript"


def callee(node: Node) -> tuple[str, str, Node | None]:
    """(last name, callee text, receiver node) of a call node of any grammar."""
    if node.type == "method_invocation":
        obj = node.child_by_field_name("object")
        name = text(node.child_by_field_name("name"))
        return name, (text(obj) + "." + name) if obj is not None else name, obj
    target = (
        node.child_by_field_name("function")
        or node.child_by_field_name("constructor")
        or node.child_by_field_name("type")
    )
    if target is None:
        return "", "", None
    receiver = target.child_by_field_name("object") or target.child_by_field_name("operand")
    for field in ("attribute", "property", "field", "name"):
        inner = target.child_by_field_name(field)
        if inner is not None:
            return text(inner), text(target), receiver
    return text(target), text(target), receiver
