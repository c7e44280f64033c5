"""Custom query predicates, evaluated by tree-sitter's predicate callback.

Built-in text predicates (#eq?, #match?, #any-of? and their not- forms) are handled by
tree-sitter itself; the ones here look at structure, which text alone cannot decide.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import tree_sitter

BUILTIN = frozenset(
    {"eq?", "not-eq?", "any-eq?", "any-not-eq?", "match?", "not-match?", "any-match?",
     "any-not-match?", "any-of?", "not-any-of?", "is?", "is-not?", "set!", "select-adjacent!",
     "strip!"}
)

# Identifiers written like constants are taken as constants: CONSTANT_QUERY, MAX_ROWS.
_CONSTANT_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")
_CONSTANT_WORDS = frozenset({"None", "True", "False", "undefined", "null", "nil", "NaN", "iota"})
_IDENTIFIERS = frozenset({"identifier", "shorthand_property_identifier"})
_CALLS = frozenset({"call", "call_expression", "method_invocation", "new_expression"})
_REFERENCES = frozenset({"this", "self", "super"})
# Calls whose result is a number (or a length), so cannot carry an injection payload.
_NUMERIC = frozenset(
    {"int", "float", "len", "bool", "abs", "round", "Number", "parseInt", "parseFloat",
     "Atoi", "ParseInt", "ParseFloat", "Itoa", "FormatInt", "valueOf", "parseLong", "parseDouble",
     "uuid4", "count"}
)
# Child fields that name a member rather than hold a value (obj.<attribute>, f(<name>=...)).
_NAME_FIELDS = frozenset({"attribute", "property", "field", "name", "key", "type"})


def _call_name(node: tree_sitter.Node) -> str:
    target = node.child_by_field_name("function") or node.child_by_field_name("name")
    if target is None:
        target = node.child_by_field_name("constructor")
    if target is None:
        return ""
    for field in ("attribute", "property", "field", "name"):
        inner = target.child_by_field_name(field)
        if inner is not None:
            target = inner
            break
    return (target.text or b"").decode("utf-8", "replace")


def is_dynamic(node: tree_sitter.Node) -> bool:
    """True when the value of ``node`` may come from outside the program text.

    Literals, constant-style names and numeric conversions are static; any other name, call
    result, attribute of a dynamic object, or string interpolation of one of these is dynamic.
    """
    kind = node.type
    if kind in _IDENTIFIERS:
        text = (node.text or b"").decode("utf-8", "replace")
        return not (_CONSTANT_NAME.match(text) or text in _CONSTANT_WORDS)
    if kind in _REFERENCES:
        return True
    if kind in _CALLS:
        return _call_name(node) not in _NUMERIC
    cursor = node.walk()
    if not cursor.goto_first_child():
        return False
    while True:
        child = cursor.node
        if (
            child is not None
            and child.is_named
            and cursor.field_name not in _NAME_FIELDS
            and child.type != "comment"
            and is_dynamic(child)
        ):
            return True
        if not cursor.goto_next_sibling():
            return False


def _keyword_names(args: tree_sitter.Node) -> set[str]:
    names: set[str] = set()
    for child in args.named_children:
        if child.type == "keyword_argument":
            name = child.child_by_field_name("name")
            if name is not None and name.text is not None:
                names.add(name.text.decode("utf-8", "replace"))
        elif child.type in {"dictionary_splat", "list_splat"}:
            names.add("**")  # unknown keywords: assume any may be present
    return names


def _int_value(node: tree_sitter.Node) -> int | None:
    text = (node.text or b"").decode("utf-8", "replace").replace("_", "").rstrip("lL")
    try:
        return int(text, 0)
    except ValueError:
        return None


Captures = dict[str, list[tree_sitter.Node]]
Args = Sequence[tuple[str, str]]


def _nodes(args: Args, captures: Captures) -> list[tree_sitter.Node]:
    return [n for value, kind in args if kind == "capture" for n in captures.get(value, [])]


def _strings(args: Args) -> list[str]:
    return [value for value, kind in args if kind == "string"]


def _dynamic(args: Args, captures: Captures) -> bool:
    return any(is_dynamic(n) for n in _nodes(args, captures))


def _lacks_argument(args: Args, captures: Captures) -> bool:
    wanted = set(_strings(args))
    for node in _nodes(args, captures):
        present = _keyword_names(node)
        if "**" in present or wanted & present:
            return False
    return True


def _int_below(args: Args, captures: Captures) -> bool:
    limits = [int(s) for s in _strings(args)]
    values = [_int_value(n) for n in _nodes(args, captures)]
    return bool(limits) and all(v is not None and v < limits[0] for v in values)


CUSTOM: dict[str, Callable[[Args, Captures], bool]] = {
    "dynamic?": _dynamic,
    "not-dynamic?": lambda a, c: not _dynamic(a, c),
    "lacks-argument?": _lacks_argument,
    "int-below?": _int_below,
}

KNOWN = BUILTIN | frozenset(CUSTOM)
_PREDICATE = re.compile(r"\(#([A-Za-z][\w-]*[?!])")


def unknown_predicates(query: str) -> list[str]:
    """Predicate names used in ``query`` that neither tree-sitter nor coderev knows."""
    return sorted({name for name in _PREDICATE.findall(query) if name not in KNOWN})


def evaluate(name: str, args: Args, _pattern: int, captures: Captures) -> bool:
    """The callback handed to ``QueryCursor.matches`` for predicates tree-sitter leaves to us."""
    check = CUSTOM.get(name)
    return True if check is None else check(args, captures)
