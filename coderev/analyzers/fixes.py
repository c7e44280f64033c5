"""Fix templates: turn a rule's ``fix`` section and a match's captures into edits.

A template is text with ``{{capture}}`` or ``{{capture|filter}}`` holes. A filter that cannot
transform its input mechanically returns None, and then no fix is offered: a fix that might be
wrong is worse than none.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable, Mapping

import tree_sitter

from coderev.analyzers.finding import Edit, Fix, Span

Node = tree_sitter.Node
Filter = Callable[[Node], str | None]

_HOLE = re.compile(r"\{\{\s*([A-Za-z_][\w.-]*)\s*(?:\|\s*([a-z_]+)\s*)?\}\}")
_SHELL_META = re.compile(r"[|&;<>()$`\\\"'*?\[\]#~=%{}\n]")
_PLAIN_PREFIX = re.compile(r"^[rRuU]?$")


def node_text(node: Node) -> str:
    return (node.text or b"").decode("utf-8", "replace")


def span_of(node: Node) -> Span:
    return Span(
        node.start_byte,
        node.end_byte,
        node.start_point.row,
        node.start_point.column,
        node.end_point.row,
        node.end_point.column,
    )


def _python_string_parts(node: Node) -> tuple[str, str, str] | None:
    """(prefix, quote, body) of a plain Python string literal, or None if it is not plain."""
    if node.type != "string" or any(c.type == "interpolation" for c in node.children):
        return None
    match = re.match(r"^([A-Za-z]*)('''|\"\"\"|'|\")(.*)\2$", node_text(node), re.S)
    if match is None:
        return None
    return match.group(1), match.group(2), match.group(3)


def string_value(node: Node) -> str | None:
    """The value of a plain (non-bytes, non-f, escape-free) string literal."""
    parts = _python_string_parts(node)
    if parts is None:
        if node.type in {"string_literal", "interpreted_string_literal"}:
            text = node_text(node)
            return text[1:-1] if "\\" not in text else None
        return None
    prefix, _, body = parts
    if not _PLAIN_PREFIX.match(prefix) or ("\\" in body and prefix.lower() != "r"):
        return None
    return body


# Commands the shell runs itself (POSIX sh/bash and cmd.exe): there is no program of that name to
# start without a shell, so such a command cannot become an argument list.
_SHELL_BUILTINS = frozenset(
    {".", ":", "alias", "bg", "bind", "break", "builtin", "cd", "command", "continue", "declare",
     "dirs", "eval", "exec", "exit", "export", "fg", "hash", "history", "jobs", "let", "local",
     "logout", "popd", "pushd", "read", "readonly", "return", "set", "shift", "shopt", "source",
     "times", "trap", "type", "typeset", "ulimit", "umask", "unalias", "unset", "wait", "cls",
     "copy", "del", "dir", "md", "mklink", "rd", "ren", "start", "ver", "vol"}
)


def shell_to_list(node: Node) -> str | None:
    """A literal shell command as a Python argument list, when the shell adds nothing to it."""
    value = string_value(node)
    if value is None or not value.strip() or _SHELL_META.search(value):
        return None
    words = shlex.split(value)
    if words[0] in _SHELL_BUILTINS:
        return None
    return "[" + ", ".join(repr(arg) for arg in words) + "]"


def as_tuple(node: Node) -> str | None:
    """Query parameters as a sequence or mapping: ``x`` -> ``(x,)``; tuples and dicts kept."""
    text = node_text(node)
    if node.type in {"tuple", "list", "dictionary"}:
        return text
    if node.type == "parenthesized_expression":
        return f"({text[1:-1].strip()},)"
    return f"({text},)"


_PERCENT = re.compile(r"%(\([^)]*\))?([a-zA-Z%])")
# A placeholder stands for a value only after an operator, a parenthesis, a comma or one of these
# keywords; elsewhere (quoted, a table or column name, part of a LIKE pattern) a driver parameter
# would change the query, so no fix is offered.
_VALUE_BEFORE = re.compile(
    r"(?:[=<>(,]|\b(?:LIKE|ILIKE|IN|IS|LIMIT|OFFSET|BETWEEN|AND|VALUES|THEN|ELSE|WHEN))\s*$", re.I
)
_VALUE_AFTER = re.compile(r"^(?:\s|[),;]|$)")


def _value_position(before: str, after: str) -> bool:
    return bool(_VALUE_BEFORE.search(before)) and bool(_VALUE_AFTER.match(after))


def sql_percent_query(node: Node) -> str | None:
    """A %-format SQL string whose placeholders are all ``%s`` / ``%(name)s`` (DB-API pyformat),
    each standing where a value goes (not quoted, not a name)."""
    value = string_value(node)
    if value is None:
        return None
    matches = list(_PERCENT.finditer(value))
    kinds = {m.group(2) for m in matches}
    if not kinds or not kinds <= {"s", "%"} or "s" not in kinds:
        return None
    for m in matches:
        if m.group(2) == "s" and not _value_position(value[: m.start()], value[m.end() :]):
            return None
    return node_text(node)


def fstring_to_params(node: Node) -> str | None:
    """``f"... {a} ..."`` -> ``"... %s ...", (a,)`` when every hole is a plain expression."""
    if node.type != "string":
        return None
    head = node_text(node)
    match = re.match(r"^([A-Za-z]*)('''|\"\"\"|'|\")", head)
    if match is None or "f" not in match.group(1).lower() or "b" in match.group(1).lower():
        return None
    quote = match.group(2)
    pieces: list[str] = []
    params: list[str] = []
    holes: list[int] = []  # index in ``pieces`` of each placeholder
    for child in node.children:
        if child.type == "string_content":
            text = node_text(child)
            if "%" in text or "{{" in text or "}}" in text:
                return None
            pieces.append(text)
        elif child.type == "interpolation":
            expr = child.child_by_field_name("expression")
            if expr is None or any(
                c.type in {"format_specifier", "type_conversion"} for c in child.children
            ):
                return None
            holes.append(len(pieces))
            pieces.append("%s")
            params.append(node_text(expr))
        elif child.type == "escape_sequence":
            pieces.append(node_text(child))
    if not params:
        return None
    for hole in holes:
        if not _value_position("".join(pieces[:hole]), "".join(pieces[hole + 1 :])):
            return None
    prefix = match.group(1).replace("f", "").replace("F", "")
    literal = f"{prefix}{quote}{''.join(pieces)}{quote}"
    return f"{literal}, ({', '.join(params)},)"


FILTERS: Mapping[str, Filter] = {
    "shell_to_list": shell_to_list,
    "as_tuple": as_tuple,
    "sql_percent_query": sql_percent_query,
    "fstring_to_params": fstring_to_params,
    "string_value": string_value,
}


def template_holes(template: str) -> list[tuple[str, str | None]]:
    """The (capture, filter) pairs a template uses."""
    return [(m.group(1), m.group(2)) for m in _HOLE.finditer(template)]


def render(template: str, captures: Mapping[str, list[Node]]) -> str | None:
    """Fill a template from captures; None when a capture is missing or a filter declines."""
    failed = False

    def fill(match: re.Match[str]) -> str:
        nonlocal failed
        nodes = captures.get(match.group(1))
        if not nodes:
            failed = True
            return ""
        name = match.group(2)
        value = FILTERS[name](nodes[0]) if name else node_text(nodes[0])
        if value is None:
            failed = True
            return ""
        return value

    out = _HOLE.sub(fill, template)
    return None if failed else out


def build_fix(
    description: str,
    safe: bool,
    edits: tuple[tuple[str, str], ...],
    captures: Mapping[str, list[Node]],
) -> Fix | None:
    """The concrete fix for one match, or None if any edit cannot be made mechanically."""
    made: list[Edit] = []
    for capture, template in edits:
        nodes = captures.get(capture)
        text = render(template, captures)
        if not nodes or text is None:
            return None
        made.append(Edit(span_of(nodes[0]), text))
    return Fix(description, safe, tuple(made))
