"""SQL parameterization fixes: ``cur.execute(f"... = '{x}'")`` -> ``cur.execute("... = ?", (x,))``.

Verified when the driver's placeholder style is known from the file's imports and the fixed call
passes a constant SQL text whose placeholders are all in that style, none inside quotes (where
they are text, not parameters); as many placeholders as parameters; the parameters are the
values that were pasted in, in order; and the SQL text is the original's with each pasted value
(and the quotes that made it a string literal) replaced by one placeholder.
"""

from __future__ import annotations

import re

from coderev.analyzers.finding import Verification, failed
from coderev.analyzers.fixcheck.common import Change, Node, arguments, keyword, same_tokens, text
from coderev.analyzers.literals import string_value
from coderev.analyzers.paramstyle import ParamStyle, driver_names
from coderev.analyzers.sqlquery import normalized, placeholders, python_query_parts, with_holes

_FORMAT_PERCENT = re.compile(r"%(?:\([A-Za-z_]\w*\))?s|%%")
_OTHER_MARKS = re.compile(r"\?|%s|\$\d+")


def _constant(node: Node) -> str | None:
    if node.type == "concatenated_string":
        values = [string_value(c) for c in node.named_children]
        return None if any(v is None for v in values) else "".join(v for v in values if v is not None)
    return string_value(node)


def _parameters(style: ParamStyle, rest: list[Node], names: list[str]) -> tuple[list[str], list[Node]] | str:
    """(the parameter expressions in placeholder order, the arguments after them), or a problem."""
    if style is ParamStyle.NUMERIC:  # asyncpg: positional arguments after the query
        count = len(names)
        values = rest[:count]
        if len(values) < count or any(keyword(v) is not None for v in values):
            return "fewer parameters than placeholders"
        if sorted(set(names), key=lambda n: int(n[1:])) != [f"${i}" for i in range(1, len(set(names)) + 1)]:
            return "the $n placeholders are not numbered 1, 2, ..."
        return [normalized(values[int(n[1:]) - 1]) for n in names], rest[count:]
    if not rest or keyword(rest[0]) is not None:
        return "no parameters are passed"
    params, after = rest[0], rest[1:]
    if params.type in {"tuple", "list"}:
        if any(n.startswith(("%(", ":")) for n in names):
            return "named placeholders with a sequence of parameters"
        items = [c for c in params.named_children if c.type != "comment"]
        if len(items) != len(names):
            return f"{len(names)} placeholder(s) but {len(items)} parameter(s)"
        return [normalized(i) for i in items], after
    if params.type == "dictionary":
        mapping: dict[str, str] = {}
        for pair in params.named_children:
            key, value = pair.child_by_field_name("key"), pair.child_by_field_name("value")
            if pair.type != "pair" or key is None or value is None or string_value(key) is None:
                return "the parameter mapping has keys that are not plain strings"
            mapping[str(string_value(key))] = normalized(value)
        keys = [n[2:-2] if n.startswith("%(") else n[1:] for n in names]
        if any(k not in mapping for k in keys) or set(mapping) - set(keys):
            return "the parameter names do not match the placeholders"
        return [mapping[k] for k in keys], after
    return "the parameters are not a tuple, list or mapping"


def check_sql(change: Change) -> Verification:
    style = change.style
    if style is None:
        return failed("the database driver, and so its placeholder style, cannot be told from the file's "
                      f"imports (known: {driver_names(change.language.id)})")
    before, after = change.before, change.after
    if change.language.id != "python" or before.type != "call" or after.type != "call":
        return failed(f"no SQL parameter check for {change.language.id} yet")
    function_a, function_b = before.child_by_field_name("function"), after.child_by_field_name("function")
    if function_a is None or function_b is None or text(function_a) != text(function_b):
        return failed("the fix calls a different function")
    args_a, args_b = arguments(before), arguments(after)
    if not args_a or not args_b:
        return failed("the query is not passed to the call")
    if any(keyword(a) is None for a in args_a[1:]):
        return failed("the call already passes parameters, for placeholders the query keeps")
    parts = python_query_parts(args_a[0])
    held = with_holes(parts) if parts is not None else None
    if held is None or not held[1]:
        return failed("the original query pastes values where a parameter cannot stand")
    original, values = held
    sql = _constant(args_b[0])
    if sql is None:
        return failed("the new query is not a constant string")
    marked = sum(m.group(0).count("%") for m in _FORMAT_PERCENT.finditer(sql))
    if style is ParamStyle.FORMAT and sql.count("%") != marked:
        return failed("a lone % in the SQL (the driver reads it as a placeholder; write %%)")
    marks = placeholders(sql, style)
    if marks.quoted:
        return failed(f"placeholder {marks.quoted[0]} inside quotes is text, not a parameter")
    if not marks.names:
        wrong = _OTHER_MARKS.findall(sql)
        return failed(f"{wrong[0]} is not a placeholder for this driver; it expects {style.example}" if wrong
                      else "the new query has no placeholders")
    found = _parameters(style, args_b[1:], marks.names)
    if isinstance(found, str):
        return failed(found)
    params, rest_b = found
    if marks.text != original:
        return failed("the SQL text differs from the original beyond the placeholders")
    if params != [v.expr for v in values]:
        return failed("the parameters are not the values that were pasted into the query, in order")
    rest_a = args_a[1:]
    if len(rest_a) != len(rest_b) or not all(same_tokens(x, y) for x, y in zip(rest_a, rest_b, strict=True)):
        return failed("the fix changes other arguments")
    return Verification(True, (
        f"{style.example} placeholders, the style of the file's driver, none inside quotes",
        f"{len(params)} parameter(s): the pasted values, in order",
        "the rest of the SQL text unchanged",
    ))
