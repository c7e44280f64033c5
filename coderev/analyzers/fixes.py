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

from coderev.analyzers.finding import Edit, Fix
from coderev.analyzers.literals import node_text, span_of, string_value
from coderev.analyzers.paramstyle import PARAM_STYLE, ParamStyle
from coderev.analyzers.sqlquery import python_query_parts
from coderev.analyzers.sqlquery import render as render_query

Node = tree_sitter.Node
Filter = Callable[[Node], str | None]

_HOLE = re.compile(r"\{\{\s*([A-Za-z_][\w.-]*)\s*(?:\|\s*([a-z_]+)\s*)?\}\}")
# A script run by name: without a #! line only a shell runs it (exec gives ENOEXEC).
SHELL_SCRIPT = re.compile(r"\.(?:sh|bash|zsh|ksh|csh|command)$")
SHELL_META = re.compile(r"[|&;<>()$`\\\"'*?\[\]#~=%{}\n]")


# Commands the shell runs itself (POSIX sh/bash and cmd.exe): there is no program of that name to
# start without a shell, so such a command cannot become an argument list.
SHELL_BUILTINS = frozenset(
    {".", ":", "alias", "bg", "bind", "break", "builtin", "cd", "command", "continue", "declare",
     "dirs", "eval", "exec", "exit", "export", "fg", "hash", "history", "jobs", "let", "local",
     "logout", "popd", "pushd", "read", "readonly", "return", "set", "shift", "shopt", "source",
     "times", "trap", "type", "typeset", "ulimit", "umask", "unalias", "unset", "wait", "getopts",
     "caller", "compgen", "complete", "disown", "enable", "help", "mapfile", "readarray", "suspend",
     # reserved words: the shell's grammar, not programs
     "!", "[[", "]]", "{", "}", "case", "coproc", "do", "done", "elif", "else", "esac", "fi", "for",
     "function", "if", "in", "select", "then", "time", "until", "while", "cls",
     "copy", "del", "dir", "md", "mklink", "rd", "ren", "start", "ver", "vol"}
)


def shell_to_list(node: Node) -> str | None:
    """A literal shell command as a Python argument list, when the shell adds nothing to it."""
    value = string_value(node)
    if value is None or not value.strip() or SHELL_META.search(value):
        return None
    words = shlex.split(value)
    if words[0] in SHELL_BUILTINS or SHELL_SCRIPT.search(words[0]):
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


def sql_params(node: Node) -> str | None:
    """A query built from pieces (f-string, ``%``, ``.format``, ``+``) as ``"<sql>", <parameters>``
    in the placeholder style of the file's driver (``PARAM_STYLE``; ``%s`` when it is unknown,
    and then the fix is not verified). None when a value does not stand where a parameter can."""
    following = node.next_named_sibling
    while following is not None and following.type == "comment":
        following = following.next_named_sibling
    if following is not None and following.type != "keyword_argument":
        return None  # the call already passes parameters, for placeholders the query keeps
    parts = python_query_parts(node)
    return None if parts is None else render_query(parts, PARAM_STYLE.get() or ParamStyle.FORMAT)


def fstring_to_params(node: Node) -> str | None:
    """``f"... {a} ..."`` -> ``"... ?", (a,)``: :func:`sql_params` for f-strings only."""
    return sql_params(node) if node.type == "string" else None


def strong_hash(node: Node) -> str | None:
    """A weak hash's name as a string literal -> SHA-256 in the same spelling (``"SHA-1"`` ->
    ``"SHA-256"``: WebCrypto knows only dashed names; ``'md5'`` -> ``'sha256'``). None for
    anything but a string literal (``md5(data)``, a helper function, has no name to swap)."""
    text = node_text(node)
    if node.type not in {"string", "string_literal"} or len(text) < 2 or text[0] not in "'\"" or text[-1] != text[0]:
        return None
    name = "SHA-256" if "-" in text else "sha256"
    return f"{text[0]}{name}{text[0]}"


FILTERS: Mapping[str, Filter] = {
    "shell_to_list": shell_to_list,
    "as_tuple": as_tuple,
    "sql_percent_query": sql_percent_query,
    "fstring_to_params": fstring_to_params,
    "sql_params": sql_params,
    "strong_hash": strong_hash,
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
