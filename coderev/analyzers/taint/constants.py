"""Constant folding for the taint engine: the value of an expression built from literals and
names bound to constants, and which operand of a ternary a constant condition picks (which
branches of an ``if``, ``switch`` or ``match`` run is :mod:`branches`).

Values are Python ``int``, ``float``, ``str``, ``bool`` or ``None`` (for ``None``/``null``/
``nil``); :data:`UNKNOWN` is anything else. Folding is exact or gives up: arithmetic, comparison
and boolean operators on known values, parentheses, string indexing (``"ABC"[1]``,
``"ABC".charAt(1)``), concatenation of strings, ``len``/``length`` of a known string. Grammar
spellings are tables here; what is a *source* or a *sanitizer* stays in the specs.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any, Final

from coderev.analyzers.literals import string_value
from coderev.analyzers.taint.syntax import Node, text


class _Unknown:
    __slots__ = ()

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Final = _Unknown()
Value = object  # int | float | str | bool | None | UNKNOWN

_INTEGERS = frozenset({"integer", "decimal_integer_literal", "int_literal", "hex_integer_literal",
                       "octal_integer_literal", "binary_integer_literal"})
_FLOATS = frozenset({"float", "decimal_floating_point_literal", "float_literal"})
_STRINGS = frozenset({"string", "string_literal", "interpreted_string_literal", "raw_string_literal",
                      "template_string"})
_CHARS = frozenset({"character_literal", "rune_literal"})
_TRUE = frozenset({"true"})
_FALSE = frozenset({"false"})
_NONE = frozenset({"none", "null", "null_literal", "nil", "undefined"})
_PARENS = frozenset({"parenthesized_expression"})
_NAMES = frozenset({"identifier"})
_BINARY = frozenset({"binary_operator", "binary_expression", "boolean_operator"})
_UNARY = frozenset({"unary_operator", "unary_expression", "not_operator"})
_TERNARY = frozenset({"conditional_expression", "ternary_expression"})
_CASTS = frozenset({"cast_expression"})


def _div(a: object, b: object) -> object:
    if isinstance(a, int) and isinstance(b, int) and not isinstance(a, bool):
        return UNKNOWN if b == 0 else int(a / b)  # C-family integer division truncates
    return UNKNOWN if b == 0 else operator.truediv(a, b)


_OPERATORS: dict[str, Callable[[Any, Any], object]] = {
    "+": operator.add, "-": operator.sub, "*": operator.mul, "/": _div,
    "//": lambda a, b: UNKNOWN if b == 0 else operator.floordiv(a, b),
    "%": lambda a, b: UNKNOWN if b == 0 or isinstance(a, str) else operator.mod(a, b),
    "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
    "==": operator.eq, "!=": operator.ne, "===": operator.eq, "!==": operator.ne, "<>": operator.ne,
    "&&": lambda a, b: bool(a) and bool(b), "||": lambda a, b: bool(a) or bool(b),
    "and": lambda a, b: b if a else a, "or": lambda a, b: a if a else b,
    "&": operator.and_, "|": operator.or_, "^": operator.xor, "<<": operator.lshift, ">>": operator.rshift,
    "is": operator.is_, "is not": operator.is_not, "in": lambda a, b: operator.contains(b, a),
    "not in": lambda a, b: not operator.contains(b, a),
}
_MAX_DEPTH = 64


def _number(raw: str, kind: str) -> Value:
    raw = raw.replace("_", "").rstrip("lLfFdD")
    try:
        if kind in _FLOATS:
            return float(raw)
        return int(raw, 0)
    except ValueError:
        try:
            return int(raw, 8) if raw.isdigit() else UNKNOWN  # C-family octal: 017
        except ValueError:
            return UNKNOWN


def _char(raw: str) -> Value:
    inner = raw[1:-1]
    if len(inner) == 1:
        return inner
    return {"\\n": "\n", "\\t": "\t", "\\'": "'", '\\"': '"', "\\\\": "\\", "\\0": "\0"}.get(inner, UNKNOWN)


def value_of(node: Node | None, env: dict[str, Value], depth: int = 0) -> Value:
    """The constant value of ``node``, or :data:`UNKNOWN`. ``env`` holds the names bound to a
    constant so far."""
    if node is None or depth > _MAX_DEPTH:
        return UNKNOWN
    kind = node.type
    if kind in _INTEGERS or kind in _FLOATS or kind == "number":
        raw = text(node)
        return _number(raw, "float" if kind == "number" and any(c in raw for c in ".eE") and
                       not raw.startswith(("0x", "0X")) else kind)
    if kind in _STRINGS:
        if kind == "template_string" and any(c.type == "template_substitution" for c in node.named_children):
            return UNKNOWN
        if any(c.type == "interpolation" for c in node.named_children):
            return UNKNOWN
        value = string_value(node)
        return UNKNOWN if value is None else value
    if kind in _CHARS:
        return _char(text(node))
    if kind in _TRUE:
        return True
    if kind in _FALSE:
        return False
    if kind in _NONE:
        return None
    if kind in _NAMES:
        return env.get(text(node), UNKNOWN)
    if kind in _PARENS or kind in _CASTS:
        inner = node.child_by_field_name("value") or (node.named_children[-1] if node.named_children else None)
        return value_of(inner, env, depth + 1)
    if kind in _UNARY:
        return _unary(node, env, depth)
    if kind in _BINARY:
        return _binary(node, env, depth)
    if kind == "comparison_operator":
        return _comparison(node, env, depth)
    if kind in _TERNARY:
        return _ternary_value(node, env, depth)
    if kind in ("subscript", "index_expression"):
        return _index(node.child_by_field_name("value") or node.child_by_field_name("operand"),
                      node.child_by_field_name("subscript") or node.child_by_field_name("index"), env, depth)
    if kind in ("method_invocation", "call_expression", "call"):
        return _call_value(node, env, depth)
    return UNKNOWN


def _unary(node: Node, env: dict[str, Value], depth: int) -> Value:
    argument = node.child_by_field_name("argument") or node.child_by_field_name("operand")
    if argument is None and node.named_children:
        argument = node.named_children[-1]
    value = value_of(argument, env, depth + 1)
    if value is UNKNOWN:
        return UNKNOWN
    op = node.child_by_field_name("operator")
    symbol = text(op) if op is not None else ("not" if node.type == "not_operator" else text(node.children[0]))
    try:
        if symbol in ("not", "!"):
            return not value
        if symbol == "-":
            return -value  # type: ignore[operator]
        if symbol == "+":
            return +value  # type: ignore[operator]
        if symbol == "~":
            return ~value  # type: ignore[operator]
    except TypeError:
        return UNKNOWN
    return UNKNOWN


def _binary(node: Node, env: dict[str, Value], depth: int) -> Value:
    left = value_of(node.child_by_field_name("left"), env, depth + 1)
    op = node.child_by_field_name("operator")
    symbol = text(op) if op is not None else ""
    if symbol in ("and", "&&") and left is not UNKNOWN and not left:
        return left if symbol == "and" else False  # short circuit: the right side never runs
    if symbol in ("or", "||") and left is not UNKNOWN and left:
        return left if symbol == "or" else True
    right = value_of(node.child_by_field_name("right"), env, depth + 1)
    return _apply(symbol, left, right)


def _apply(symbol: str, left: Value, right: Value) -> Value:
    function = _OPERATORS.get(symbol)
    if function is None or left is UNKNOWN or right is UNKNOWN:
        return UNKNOWN
    if symbol == "+" and (isinstance(left, str) != isinstance(right, str)):
        return str(left) + str(right) if not isinstance(left, bool) and not isinstance(right, bool) else UNKNOWN
    try:
        result = function(left, right)
    except (TypeError, ValueError, ArithmeticError):
        return UNKNOWN
    if isinstance(result, str) and len(result) > 10_000:
        return UNKNOWN
    return result


def _comparison(node: Node, env: dict[str, Value], depth: int) -> Value:
    """Python's chained comparisons: ``1 < x < 3``."""
    operands = node.named_children
    operators = [text(c) for c in node.children if not c.is_named]
    symbols: list[str] = []
    for op in operators:  # `not in` and `is not` come as two tokens
        if symbols and ((symbols[-1] == "not" and op == "in") or (symbols[-1] == "is" and op == "not")):
            symbols[-1] = "not in" if op == "in" else "is not"
        else:
            symbols.append(op)
    if len(symbols) != len(operands) - 1:
        return UNKNOWN
    values = [value_of(o, env, depth + 1) for o in operands]
    for index, symbol in enumerate(symbols):
        result = _apply(symbol, values[index], values[index + 1])
        if result is UNKNOWN:
            return UNKNOWN
        if not result:
            return False
    return True


def _ternary_value(node: Node, env: dict[str, Value], depth: int) -> Value:
    chosen = ternary_branch(node, env)
    return UNKNOWN if chosen is None else value_of(chosen, env, depth + 1)


def _index(base: Node | None, index: Node | None, env: dict[str, Value], depth: int) -> Value:
    container, key = value_of(base, env, depth + 1), value_of(index, env, depth + 1)
    if isinstance(container, str) and isinstance(key, int) and not isinstance(key, bool) \
            and -len(container) <= key < len(container):
        return container[key]
    return UNKNOWN


def _call_value(node: Node, env: dict[str, Value], depth: int) -> Value:
    from coderev.analyzers.taint.syntax import callee

    name, _, receiver = callee(node)
    arguments = node.child_by_field_name("arguments")
    args = [a for a in arguments.named_children if "comment" not in a.type] if arguments is not None else []
    if name == "charAt" and receiver is not None and len(args) == 1:
        return _index(receiver, args[0], env, depth)
    if name in ("len", "length") and len(args) == (1 if receiver is None else 0):
        value = value_of(args[0] if receiver is None else receiver, env, depth + 1)
        return len(value) if isinstance(value, str) else UNKNOWN
    return UNKNOWN


def truth(node: Node | None, env: dict[str, Value]) -> bool | None:
    """Whether a condition is constantly true (True), false (False) or not known (None)."""
    value = value_of(node, env)
    return None if value is UNKNOWN else bool(value)


def ternary_branch(node: Node, env: dict[str, Value]) -> Node | None:
    """The one operand of ``c ? a : b`` / ``a if c else b`` that a constant ``c`` selects."""
    if node.type == "conditional_expression":  # Python: a if test else b
        values = node.named_children
        if len(values) != 3:
            return None
        chosen = truth(values[1], env)
        return None if chosen is None else values[0 if chosen else 2]
    chosen = truth(node.child_by_field_name("condition"), env)
    if chosen is None:
        return None
    return node.child_by_field_name("consequence" if chosen else "alternative")
