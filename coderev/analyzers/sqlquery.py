"""SQL built from pieces: what a query's text is before the values go in, and where the
placeholders of a parameterized query are.

A dynamic query (f-string, ``%``, ``.format``, ``+``) is read as :data:`Parts`: literal SQL text and
the expressions pasted into it. The SQL fix templates render Parts in the driver's placeholder
style, and the fix check reads the fixed query back with :func:`placeholders`, so the two agree
only when the fix is right.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import tree_sitter

from coderev.analyzers.literals import node_text, string_value
from coderev.analyzers.paramstyle import ParamStyle

Node = tree_sitter.Node
HOLE = "\x00"


@dataclass(frozen=True, slots=True)
class Value:
    """An expression pasted into the SQL text."""

    expr: str  # its source text, whitespace-normalized
    node: Node
    name: str | None = None  # the key of a ``%(name)s`` placeholder it filled


Parts = list[str | Value]

_PERCENT = re.compile(r"%(?:\(([A-Za-z_]\w*)\))?([sdi%])|%")
_FORMAT_FIELD = re.compile(r"\{\{|\}\}|\{([A-Za-z_]\w*|\d*)\}|\{|\}")
# A value stands after an operator, a parenthesis, a comma or one of these keywords, and before
# whitespace, a closing parenthesis, a comma or the end: elsewhere (a table or column name, part
# of a LIKE pattern) a driver parameter would change the query.
_VALUE_BEFORE = re.compile(
    r"(?:[=<>(,]|\b(?:LIKE|ILIKE|IS|LIMIT|OFFSET|BETWEEN|AND|OR|VALUES|THEN|ELSE|WHEN|SET))\s*$", re.I
)
_VALUE_AFTER = re.compile(r"^(?:\s|[),;]|$)")
_IN_LIST = re.compile(r"\bIN\s*\([^()]*$", re.I)


def normalized(node: Node) -> str:
    return " ".join(node_text(node).split())


def _fstring(node: Node) -> Parts | None:
    head = re.match(r"^([A-Za-z]*)('''|\"\"\"|'|\")", node_text(node))
    if head is None or "b" in head.group(1).lower():
        return None
    if "f" not in head.group(1).lower():
        value = string_value(node)
        return None if value is None else [value]
    parts: Parts = []
    for child in node.children:
        if child.type == "string_content":
            parts.append(node_text(child).replace("{{", "{").replace("}}", "}"))
        elif child.type == "interpolation":
            expr = child.child_by_field_name("expression")
            if expr is None or any(c.type in {"format_specifier", "type_conversion"} for c in child.children):
                return None
            parts.append(Value(normalized(expr), expr))
        elif child.type in {"escape_sequence", "escape_interpolation"}:
            if child.type == "escape_sequence":
                return None  # \n and friends: the value is not the source text
            parts.append(node_text(child)[0])
    return parts


def _percent(template: Node, operand: Node) -> Parts | None:
    value = string_value(template)
    if value is None:
        return None
    if operand.type == "parenthesized_expression" and operand.named_child_count == 1:
        operand = operand.named_children[0]
    if operand.type == "tuple":
        positional = [c for c in operand.named_children if c.type != "comment"]
        named: dict[str, Node] = {}
    elif operand.type == "dictionary":
        positional = []
        named = {}
        for pair in operand.named_children:
            key, val = pair.child_by_field_name("key"), pair.child_by_field_name("value")
            if pair.type != "pair" or key is None or val is None or string_value(key) is None:
                return None
            named[str(string_value(key))] = val
    else:
        positional, named = [operand], {}
    parts: Parts = []
    last = 0
    for match in _PERCENT.finditer(value):
        parts.append(value[last : match.start()])
        last = match.end()
        name, kind = match.group(1), match.group(2)
        if kind == "%" and name is None:
            parts.append("%")
        elif kind in {"s", "d", "i"} and name is None and positional:
            node = positional.pop(0)
            parts.append(Value(normalized(node), node))
        elif kind in {"s", "d", "i"} and name is not None and name in named:
            parts.append(Value(normalized(named[name]), named[name], name))
        else:
            return None
    parts.append(value[last:])
    return parts if not positional else None


def _format(template: Node, args: Node) -> Parts | None:
    value = string_value(template)
    if value is None:
        return None
    positional = [a for a in args.named_children if a.type not in {"keyword_argument", "comment"}]
    named: dict[str, Node | None] = {}
    for a in args.named_children:
        name = a.child_by_field_name("name")
        if a.type == "keyword_argument" and name is not None:
            named[node_text(name)] = a.child_by_field_name("value")
    if any(a.type in {"list_splat", "dictionary_splat"} for a in args.named_children):
        return None
    parts: Parts = []
    last, auto = 0, 0
    for match in _FORMAT_FIELD.finditer(value):
        parts.append(value[last : match.start()])
        last = match.end()
        token = match.group(0)
        if token in {"{{", "}}"}:
            parts.append(token[0])
            continue
        field = match.group(1)
        if field is None:
            return None
        node = None
        if field == "":
            node, auto = (positional[auto] if auto < len(positional) else None), auto + 1
        elif field.isdigit():
            node = positional[int(field)] if int(field) < len(positional) else None
        else:
            node = named.get(field)
        if node is None:
            return None
        parts.append(Value(normalized(node), node))
    parts.append(value[last:])
    return parts


def _concatenation(node: Node) -> Parts | None:
    """The parts of ``a + "..." + b``, left to right (an explicit stack: a generated query may
    chain more ``+`` than Python's recursion limit)."""
    parts: Parts = []
    stack = [node]
    while stack:
        current = stack.pop()
        operator = current.child_by_field_name("operator") if current.type == "binary_operator" else None
        if operator is not None and node_text(operator) == "+":
            left, right = current.child_by_field_name("left"), current.child_by_field_name("right")
            if left is None or right is None:
                return None
            stack += [right, left]
        elif current.type in {"string", "concatenated_string"}:
            sub = python_query_parts(current)
            if sub is None:
                return None
            parts += sub
        elif current.type == "parenthesized_expression" and current.named_child_count == 1:
            stack.append(current.named_children[0])
        else:
            parts.append(Value(normalized(current), current))
    return parts


def python_query_parts(node: Node) -> Parts | None:
    """The SQL text and pasted values of a Python query expression, or None when it is not one
    of the forms read here (or uses one in a way a parameter cannot express)."""
    if node.type == "string":
        return _fstring(node)
    if node.type == "concatenated_string":
        parts: Parts = []
        for child in node.named_children:
            sub = _fstring(child) if child.type == "string" else None
            if sub is None:
                return None
            parts += sub
        return parts
    if node.type == "binary_operator":
        operator = node_text(node.child_by_field_name("operator") or node)
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        if left is None or right is None:
            return None
        if operator == "%" and left.type == "string":
            return _percent(left, right)
        if operator == "+":
            return _concatenation(node)
        return None
    if node.type == "call":
        function, args = node.child_by_field_name("function"), node.child_by_field_name("arguments")
        if function is not None and function.type == "attribute" and args is not None:
            obj, attr = function.child_by_field_name("object"), function.child_by_field_name("attribute")
            if obj is not None and attr is not None and node_text(attr) == "format" and obj.type == "string":
                return _format(obj, args)
    return None


def with_holes(parts: Parts) -> tuple[str, list[Value]] | None:
    """The SQL text with :data:`HOLE` for each value, and the values, when every value stands
    where a value goes. A value written inside single quotes (``'{name}'``) is a string literal
    that a parameter replaces whole, quotes included; any other quoted value (``'%{x}%'``, a
    double-quoted identifier) or a value that names a table or column is refused."""
    text = ""
    values: list[Value] = []
    for part in parts:
        if isinstance(part, Value):
            text += HOLE
            values.append(part)
        else:
            if HOLE in part:
                return None
            text += part
    text = re.sub(rf"'{HOLE}'", HOLE, text)
    pieces = text.split(HOLE)
    for i in range(1, len(pieces)):
        if not (_VALUE_BEFORE.search(pieces[i - 1]) and _VALUE_AFTER.match(pieces[i])):
            return None
        if _IN_LIST.search(pieces[i - 1]):
            return None  # IN ({ids}): usually a pasted list, which one parameter cannot stand for
    return text, values


def _names(values: list[Value]) -> list[str]:
    names: list[str] = []
    for i, value in enumerate(values, 1):
        name = value.expr.rsplit(".", 1)[-1] if re.fullmatch(r"[A-Za-z_][\w.]*", value.expr) else f"p{i}"
        names.append(name if name not in names else f"{name}_{i}")
    return names


def render(parts: Parts, style: ParamStyle, quote: str = '"') -> str | None:
    """``"<sql with placeholders>", <parameters>`` in ``style``, as Python source, or None."""
    held = with_holes(parts)
    if held is None or not held[1]:
        return None
    text, values = held
    if style is ParamStyle.FORMAT:
        text = text.replace("%", "%%")
    pieces = text.split(HOLE)
    varargs = style is ParamStyle.NUMERIC  # asyncpg: conn.fetch(sql, *args)
    if style is ParamStyle.FORMAT and all(v.name is not None for v in values):  # pyformat: keep the names
        marks = [f"%({v.name})s" for v in values]
        unique = dict.fromkeys((str(v.name), v.expr) for v in values)
        params = "{" + ", ".join(f'"{n}": {e}' for n, e in unique) + "}"
    elif style is ParamStyle.NAMED:
        names = _names(values)
        marks = [f":{n}" for n in names]
        params = "{" + ", ".join(f"{n!r}: {v.expr}" for n, v in zip(names, values, strict=True)) + "}"
    else:
        marks = [{"qmark": "?", "format": "%s", "numeric": f"${i}"}[style.value] for i in range(1, len(values) + 1)]
        joined = ", ".join(v.expr for v in values)
        params = joined if varargs else f"({joined},)" if len(values) == 1 else f"({joined})"
    sql = pieces[0] + "".join(m + p for m, p in zip(marks, pieces[1:], strict=True))
    if "\\" in sql or "\n" in sql or quote in sql:
        quote = '"""' if '"""' not in sql and not sql.endswith('"') and "\\" not in sql else ""
        if not quote:
            return None
    return f"{quote}{sql}{quote}, {params}"


@dataclass(frozen=True, slots=True)
class Placeholders:
    """The placeholders of a parameterized SQL text, read as the driver reads it."""

    text: str  # the SQL with HOLE for each placeholder (and %% read as % for FORMAT)
    names: list[str]  # the placeholder as written, in order ("?", "%s", "$1", ":name", "%(name)s")
    quoted: list[str]  # placeholder-looking text inside quotes or comments (a literal, not a parameter)


_MARK = {
    ParamStyle.QMARK: re.compile(r"\?"),
    ParamStyle.FORMAT: re.compile(r"%\([A-Za-z_]\w*\)s|%s|%%"),
    ParamStyle.NUMERIC: re.compile(r"\$\d+"),
    ParamStyle.NAMED: re.compile(r"(?<!:):[A-Za-z_]\w*"),
}
_ANY_MARK = re.compile(r"\?|%\(?[A-Za-z_]*\)?s|\$\d+|(?<!:):[A-Za-z_]\w*")
_QUOTED = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|--[^\n]*|/\*.*?\*/", re.S)


def placeholders(sql: str, style: ParamStyle) -> Placeholders:
    out, names, quoted = "", list[str](), list[str]()
    last = 0
    mark = _MARK[style]
    for literal in _QUOTED.finditer(sql):
        out += _marks(sql[last : literal.start()], mark, names)
        quoted += _ANY_MARK.findall(literal.group(0).replace("%%", ""))
        # a format driver reads % everywhere, quotes or not: %% is one literal %
        out += literal.group(0).replace("%%", "%") if style is ParamStyle.FORMAT else literal.group(0)
        last = literal.end()
    out += _marks(sql[last:], mark, names)
    return Placeholders(out, names, quoted)


def _marks(chunk: str, mark: re.Pattern[str], names: list[str]) -> str:
    def swap(m: re.Match[str]) -> str:
        if m.group(0) == "%%":
            return "%"
        names.append(m.group(0))
        return HOLE

    return mark.sub(swap, chunk)
