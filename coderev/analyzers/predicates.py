"""Custom query predicates, evaluated by tree-sitter's predicate callback.

Built-in text predicates (#eq?, #match?, #any-of? and their not- forms) are handled by
tree-sitter itself; the ones here look at structure, which text alone cannot decide:

- ``#dynamic? @x`` / ``#not-dynamic? @x``: the value may come from outside the program text.
- ``#tainted? @x`` / ``#not-tainted? @x``: the value may hold data from a source (the HTTP
  request, by default) in the enclosing function, by the taint engine in ``coderev/analyzers/taint``
  driven by ``coderev/analyzers/taint/<language>.yaml``; ``(#tainted? @x "cli" "env")`` also counts the
  other source classes named (console input and command-line arguments, the environment).
- ``#lacks-argument? @args "name" ...``: no keyword argument of those names (nor ``**kwargs``).
- ``#int-below? @n "2048"``: an integer literal below the limit.
- ``#bound-match? @x "regex"``: ``@x`` is a name whose last plain binding before it, in the
  Python function or Java method around it, has a value matching the regex (``sql = "SELECT
  ..." % name`` before ``cursor.execute(sql)``): a statement built on an earlier line and run here.

Note: tree-sitter's own ``#not-any-of?`` with several values does not negate correctly in
py-tree-sitter 0.26; use ``#not-match? @x "^(a|b)$"`` instead.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import tree_sitter

from coderev.analyzers.taint import is_tainted

BUILTIN = frozenset(
    {"eq?", "not-eq?", "any-eq?", "any-not-eq?", "match?", "not-match?", "any-match?",
     "any-not-match?", "any-of?", "not-any-of?", "is?", "is-not?", "set!", "select-adjacent!",
     "strip!"}
)

# Identifiers written like constants are taken as constants: CONSTANT_QUERY, MAX_ROWS.
_CONSTANT_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")
_CONSTANT_WORD = re.compile(r"(?<![\w.])[A-Z][A-Z0-9_]*(?![\w(])")
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
# Calls that quote or escape their argument for the language it is embedded in (SQL identifiers,
# shell words, URL components), so the result cannot change the surrounding statement.
_QUOTING = re.compile(r"^(?:quote(?:_\w+)?|\w*_quote|escape_(?:string|identifier|literal)|Identifier)$")
# Calls whose result is built only from their receiver and arguments (string methods, str(),
# translation of a literal): dynamic exactly when one of those is.
_TRANSPARENT = frozenset(
    {"join", "format", "replace", "strip", "lstrip", "rstrip", "lower", "upper", "title", "encode",
     "decode", "str", "repr", "_", "gettext", "gettext_lazy", "ngettext", "pgettext", "toString",
     "concat", "trim", "toLowerCase", "toUpperCase", "String", "Sprintf", "Join"}
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


def is_dynamic(node: tree_sitter.Node, constants: frozenset[str] = frozenset(),
               variables: frozenset[str] = frozenset()) -> bool:
    """True when the value of ``node`` may come from outside the program text.

    Literals, constant-style names (unless in ``variables``), names in ``constants`` and numeric
    conversions are static; any other name, call result, attribute of a dynamic object, or
    string interpolation of one of these is dynamic. The walk keeps its own stack: a 5,000-deep
    expression is as fine as a shallow one (Python's recursion limit is about 1,000 frames).
    """
    stack = [node]
    while stack:
        if _dynamic_here(stack.pop(), constants, variables, stack):
            return True
    return False


def _dynamic_here(node: tree_sitter.Node, constants: frozenset[str], variables: frozenset[str],
                  stack: list[tree_sitter.Node]) -> bool:
    """Whether ``node`` itself is dynamic; the parts whose dynamism it takes on go onto ``stack``
    (the value is dynamic when any of them is)."""
    kind = node.type
    if kind in _IDENTIFIERS:
        text = (node.text or b"").decode("utf-8", "replace")
        if text in variables:
            return True
        return not (_CONSTANT_NAME.match(text) or text in _CONSTANT_WORDS or text in constants)
    if kind in _REFERENCES:
        return True
    if kind in _CALLS:
        name = _call_name(node)
        if name not in _TRANSPARENT:
            return name not in _NUMERIC and not _QUOTING.match(name)
        function = node.child_by_field_name("function")
        owner = function if function is not None else node  # Java puts `object` on the call
        receiver = owner.child_by_field_name("object") or owner.child_by_field_name("operand")
        arguments = node.child_by_field_name("arguments")
        stack.extend(part for part in (arguments, receiver) if part is not None)  # receiver first
        return False
    if kind == "conditional_expression":  # `a if test else b` holds a or b, never the test
        values = node.named_children
        stack.extend(values[2:3] + values[:1])
        return False
    cursor = node.walk()
    if not cursor.goto_first_child():
        return False
    parts: list[tree_sitter.Node] = []
    while True:
        child = cursor.node
        if (
            child is not None
            and child.is_named
            and cursor.field_name not in _NAME_FIELDS
            and cursor.field_name != "condition"
            and child.type != "comment"
        ):
            parts.append(child)
        if not cursor.goto_next_sibling():
            stack.extend(reversed(parts))  # popped in source order
            return False


def local_constants(node: tree_sitter.Node) -> frozenset[str]:
    """Python (and Java) names that, in the function around ``node``, are bound only to static
    values before it (``cmd = "ls -l"``, ``String cmd = "ls -l";``). Parameters and names bound any
    other way are not included."""
    return frozenset(n for n, ok in _local_bindings(node).items() if ok)


def local_dynamic_constants(node: tree_sitter.Node) -> frozenset[str]:
    """Constant-style names (``RESPONSE``, ``SQL``) that the function around ``node`` binds to a
    non-constant value before it: a name is a constant by what it holds, not by its case."""
    return frozenset(n for n, ok in _local_bindings(node).items() if not ok and _CONSTANT_NAME.match(n))


def _local_bindings(node: tree_sitter.Node) -> dict[str, bool]:
    """The names the function around ``node`` binds before it (parameters included), each with
    whether every one of those bindings is to a static value."""
    scope = _function_of(node)
    if scope is None:
        return {}
    static: dict[str, bool] = dict.fromkeys(_parameter_names(scope), False)
    body = scope.child_by_field_name("body")
    stack = [body] if body is not None else []
    while stack:
        current = stack.pop()
        if current.start_byte >= node.start_byte or current.type in _SCOPE_BREAKS:
            continue
        kind = current.type
        if kind in {"assignment", "augmented_assignment", "named_expression", "assignment_expression",
                    "variable_declarator"}:
            left = current.child_by_field_name("left") or current.child_by_field_name("name")
            right = current.child_by_field_name("right") or current.child_by_field_name("value")
            if left is not None:
                known = frozenset(n for n, ok in static.items() if ok)
                shadowed = frozenset(n for n, ok in static.items() if not ok and _CONSTANT_NAME.match(n))
                value = (
                    left.type == "identifier"
                    and right is not None
                    and right.end_byte <= node.start_byte
                    and not is_dynamic(right, known, shadowed)
                )
                for name in _targets(left):
                    static[name] = static.get(name, True) and value
        elif kind in {"for_statement", "for_in_clause", "as_pattern_target", "import_from_statement",
                      "import_statement", "global_statement", "nonlocal_statement", "enhanced_for_statement",
                      "catch_formal_parameter"}:
            target = current.child_by_field_name("left") or current
            for name in _targets_in(target):
                static[name] = False
        stack.extend(reversed(current.named_children))
    return static


def bindings_before(node: tree_sitter.Node) -> list[tree_sitter.Node]:
    """The bindings (``name = value``, ``name += value``, ``Type name = value``) that gave identifier
    ``node``'s name a value before it, in the Python function or Java method around it, in source
    order: none for a parameter, a loop variable or a name bound only at module level."""
    if node.type != "identifier":
        return []
    scope = _function_of(node)
    body = scope.child_by_field_name("body") if scope is not None else None
    name, found = _text(node), []
    stack = [body] if body is not None else []
    while stack:
        current = stack.pop()
        if current.start_byte >= node.start_byte or current.type in _SCOPE_BREAKS:
            continue
        if current.type in {"assignment", "augmented_assignment", "variable_declarator"}:
            left = current.child_by_field_name("left") or current.child_by_field_name("name")
            right = current.child_by_field_name("right") or current.child_by_field_name("value")
            if (left is not None and left.type == "identifier" and _text(left) == name and right is not None
                    and right.end_byte <= node.start_byte):
                found.append(current)
        stack.extend(current.named_children)
    return sorted(found, key=lambda b: b.start_byte)


def binding_before(node: tree_sitter.Node) -> tree_sitter.Node | None:
    """The last plain binding (not ``+=``) of :func:`bindings_before`, or None."""
    plain = [b for b in bindings_before(node) if b.type != "augmented_assignment"]
    return plain[-1] if plain else None


def bound_value(node: tree_sitter.Node) -> tree_sitter.Node | None:
    """The value of :func:`binding_before` (its right-hand side)."""
    binding = binding_before(node)
    if binding is None:
        return None
    return binding.child_by_field_name("right") or binding.child_by_field_name("value")


def _bound_match(args: Args, captures: Captures) -> bool:
    patterns = [re.compile(p) for p in _strings(args)]
    for n in _nodes(args, captures):
        value = bound_value(n)
        if value is not None and all(p.search(_text(value)) for p in patterns):
            return True
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


_SCOPE_BREAKS = frozenset({"function_definition", "class_definition", "lambda_expression", "class_body"})
# Functions whose local bindings ``local_constants`` reads: Python, and Java methods and constructors.
_FUNCTIONS = frozenset({"function_definition", "method_declaration", "constructor_declaration"})


def _text(node: tree_sitter.Node) -> str:
    return (node.text or b"").decode("utf-8", "replace")


def _targets(node: tree_sitter.Node) -> list[str]:
    """Names bound by an assignment target: ``x``, ``a, b``, ``self.path`` (in source order)."""
    found: list[str] = []
    stack = [node]
    while stack:
        current = stack.pop()
        if current.type in {"identifier", "attribute"}:
            found.append(_text(current))
        else:
            stack.extend(reversed(current.named_children))
    return found


def _targets_in(node: tree_sitter.Node) -> set[str]:
    """Every name and attribute path mentioned in ``node``."""
    found: set[str] = set()
    stack = [node]
    while stack:
        current = stack.pop()
        if current.type in {"identifier", "attribute"}:
            found.add(_text(current))
        stack.extend(current.named_children)
    return found


def _function_of(node: tree_sitter.Node) -> tree_sitter.Node | None:
    """The innermost Python function or Java method containing ``node`` (None at module level)."""
    scope = node.parent
    while scope is not None and scope.type not in _FUNCTIONS:
        scope = scope.parent
    return scope


def _parameter_name(param: tree_sitter.Node) -> tree_sitter.Node | None:
    if param.type == "identifier":
        return param
    name = param.child_by_field_name("name")
    return name or next((c for c in param.named_children if c.type == "identifier"), None)


def _parameter_names(function: tree_sitter.Node) -> list[str]:
    params = function.child_by_field_name("parameters")
    names = (_parameter_name(p) for p in (params.named_children if params is not None else []))
    return [_text(n) for n in names if n is not None]


Captures = dict[str, list[tree_sitter.Node]]
Args = Sequence[tuple[str, str]]


def _nodes(args: Args, captures: Captures) -> list[tree_sitter.Node]:
    return [n for value, kind in args if kind == "capture" for n in captures.get(value, [])]


def _strings(args: Args) -> list[str]:
    return [value for value, kind in args if kind == "string"]


def _dynamic(args: Args, captures: Captures) -> bool:
    for n in _nodes(args, captures):
        variables = local_dynamic_constants(n) if _CONSTANT_WORD.search(_text(n)) else frozenset()
        if is_dynamic(n, frozenset(), variables) and is_dynamic(n, local_constants(n), variables):
            return True
    return False


def _lacks_argument(args: Args, captures: Captures) -> bool:
    wanted = set(_strings(args))
    for node in _nodes(args, captures):
        present = _keyword_names(node)
        if "**" in present or wanted & present:
            return False
    return True


def _tainted(args: Args, captures: Captures) -> bool:
    classes = _strings(args)  # 'request' is always on unless a rule names "-request"
    return any(is_tainted(n, classes) for n in _nodes(args, captures))


def _int_below(args: Args, captures: Captures) -> bool:
    limits = [int(s) for s in _strings(args)]
    values = [_int_value(n) for n in _nodes(args, captures)]
    return bool(limits) and all(v is not None and v < limits[0] for v in values)


CUSTOM: dict[str, Callable[[Args, Captures], bool]] = {
    "dynamic?": _dynamic,
    "not-dynamic?": lambda a, c: not _dynamic(a, c),
    "lacks-argument?": _lacks_argument,
    "int-below?": _int_below,
    "bound-match?": _bound_match,
    "tainted?": _tainted,
    "not-tainted?": lambda a, c: not _tainted(a, c),
}

KNOWN = BUILTIN | frozenset(CUSTOM)
_PREDICATE = re.compile(r"\(#([A-Za-z][\w-]*[?!])")


def unknown_predicates(query: str) -> list[str]:
    """Predicate names used in ``query`` that neither tree-sitter nor coderev knows."""
    return sorted({name for name in _PREDICATE.findall(query) if name not in KNOWN})


def evaluate(name: str, args: Args, _pattern: int, captures: Captures) -> bool:
    """The callback handed to ``QueryCursor.matches`` for predicates tree-sitter leaves to us.

    py-tree-sitter 0.26.1 never frees the capture lists it builds for this callback (fixed
    upstream by py-tree-sitter PR #471), and each node in them keeps its whole tree alive: a
    language server analyzing on every keystroke lost a tree each time (42 MB over 20 analyses of
    a 2,600-line file). Each call gets lists of its own, so they are emptied once the check is
    done; only the empty lists leak."""
    check = CUSTOM.get(name)
    try:
        return True if check is None else check(args, captures)
    finally:
        for nodes in captures.values():
            nodes.clear()
