"""Calls of the project's own functions, for the taint engine.

A call of a helper defined in the same top-level unit (``helper(x)``, ``self.helper(x)``,
``new Helper().run(x)``) is followed into the helper's body, two levels deep. A call of a
function defined elsewhere in the workspace is answered by that function's summary, when the
analysis was given a resolver (:mod:`coderev.analyzers.taint.summaries`): it returns a source, it
passes on some of its parameters, or it returns neither (a project sanitizer).

This module knows nothing of how a body is walked: the engine passes its ``reads`` and
``follow`` functions in, so the modules import each other in one direction only.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final, Literal

from coderev.analyzers.taint.containers import Step, Steps
from coderev.analyzers.taint.scopes import UNNAMED_RECEIVERS, Context, parameters
from coderev.analyzers.taint.syntax import Node, callee, text

NOT_A_HELPER: Final[Literal[False]] = False  # through_call's answer for a call it does not know
_MAX_STEPS = 16

Reads = Callable[[Node, Context], "Steps | None"]
Follow = Callable[[Node, dict[str, Steps], Context], "Steps | None"]


def extend(steps: Steps, step: Step) -> Steps:
    """``steps`` with one more step; a long trace keeps its source and its latest steps."""
    if len(steps) >= _MAX_STEPS:
        steps = steps[:1] + steps[-(_MAX_STEPS - 2):]
    return (*steps, step)


def arguments_of(call: Node, ctx: Context) -> list[Node]:
    arguments = call.child_by_field_name("arguments")
    return [a for a in (arguments.named_children if arguments is not None else []) if a.type not in ctx.syntax.comments]


def unit_functions(node: Node, ctx: Context) -> dict[str, list[Node]]:
    """The named functions of the top-level unit around ``node`` (helpers the engine may follow),
    collected once per unit and run: many questions are asked about one unit."""
    if ctx.functions is None:
        unit = ctx.scopes[0] if ctx.scopes else node  # walk up from the outermost function only
        while unit.parent is not None and unit.parent.parent is not None:
            unit = unit.parent
        memo = ctx.resolver.unit_memo if ctx.resolver is not None else {}
        key = (unit.start_byte, unit.end_byte)
        found = memo.get(key)
        if found is None:
            found = {}
            stack = [unit]
            while stack:
                current = stack.pop()
                if current.type in ctx.syntax.functions:
                    name = current.child_by_field_name("name")
                    if name is not None:
                        found.setdefault(text(name), []).append(current)
                stack.extend(current.named_children)
            memo[key] = found
        ctx.functions = found
    return ctx.functions


def through_call(call: Node, name: str, ctx: Context, reads: Reads, follow: Follow) -> Steps | Literal[False] | None:
    """The taint a call of a project function returns: Steps, None (clean), or NOT_A_HELPER."""
    local = _through_local(call, name, ctx, reads, follow)
    if local is not NOT_A_HELPER:
        return local
    resolver = ctx.resolver
    if resolver is None or not name or ctx.depth >= 2:
        return NOT_A_HELPER
    return resolver.answer(call, ctx, lambda n: reads(n, ctx))


def _through_local(call: Node, name: str, ctx: Context, reads: Reads, follow: Follow) -> Steps | Literal[False] | None:
    receiver = callee(call)[2]
    if ctx.depth >= 2 or not name or (
        receiver is not None
        and text(receiver) not in UNNAMED_RECEIVERS
        and receiver.type not in ctx.syntax.calls
        and not text(receiver)[:1].isupper()
    ):
        return NOT_A_HELPER
    helpers = [f for f in unit_functions(call, ctx).get(name, ()) if not f.start_byte <= call.start_byte < f.end_byte]
    if not helpers:
        return NOT_A_HELPER
    args = arguments_of(call, ctx)
    for helper in helpers:
        params = [names[0] if names else "" for _, names, _ in parameters(helper, ctx.syntax)]
        if params[:1] in (["self"], ["cls"]):
            params = params[1:]
        tainted: dict[str, Steps] = {}
        for index, arg in enumerate(args):
            keyword = arg.child_by_field_name("name") if arg.type == "keyword_argument" else None
            value = arg.child_by_field_name("value") if keyword is not None else arg
            target = text(keyword) if keyword is not None else (params[index] if index < len(params) else "")
            found = reads(value, ctx) if target and value is not None else None
            if found:
                tainted[target] = extend(found, (f"passed to {name}() as `{target}`", arg))
        returned = follow(helper, tainted, ctx)
        if returned:
            return extend(returned, (f"returned by {name}()", call))
    return None
