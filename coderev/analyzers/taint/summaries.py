"""Function summaries: what a call of a project function means for taint, computed from the
function's own tree.

A summary says whether the function returns data from a source (with the steps inside it),
which of its parameters reach its return value (a function that passes none on, and returns no
source, is a sanitizer for the engine), and which class a call returns an instance of
(``return Wrapper(request)``), so that ``wrap(request).query("id")`` finds ``Wrapper.query``.
Summaries depend only on the function's text (and its file's path, for the trace), so they are
cached by that text; the engine computes one the first time a call needs it.
"""

from __future__ import annotations

from dataclasses import dataclass

from coderev.analyzers.finding import TraceStep
from coderev.analyzers.literals import span_of
from coderev.analyzers.taint.containers import Step, Steps
from coderev.analyzers.taint.engine import RESOLVER, flow_to, parameter_names
from coderev.analyzers.taint.syntax import SYNTAX, Node, callee, text

MAX_PARAMETERS = 8  # parameters checked one by one; a function with more passes all of them on
_CLASS_CALLS = frozenset({"new_expression", "object_creation_expression"})


@dataclass(frozen=True, slots=True)
class Summary:
    name: str
    path: str  # the function's file, workspace-relative ("" when it is in the analyzed file)
    source: Steps | None  # the function returns data from a source: how (placed in ``path``)
    passes: frozenset[int]  # positional parameters (after self/this) whose value reaches a return
    returns_class: str  # the class of the instance the function returns, when it builds one
    span: TraceStep | None = None  # where the function is defined (for the trace)


def _returns(function: Node, language: str) -> list[Node]:
    """The returned expressions of ``function`` (not of functions nested in it)."""
    syntax = SYNTAX[language]
    found: list[Node] = []
    stack = [function.child_by_field_name("body")]
    while stack:
        current = stack.pop()
        if current is None or (current.type in syntax.functions and current != function):
            continue
        if current.type == "return_statement" and current.named_children:
            value = current.named_children[0]
            if value.type == "expression_list":
                found.extend(value.named_children)
            else:
                found.append(value)
            continue
        stack.extend(current.named_children)
    body = function.child_by_field_name("body")
    if function.type == "arrow_function" and body is not None and body.type != "statement_block":
        found.append(body)  # (x) => x.trim()
    return found


def _placed(steps: Steps, path: str) -> Steps:
    out: list[Step] = []
    for label, where in steps:
        out.append((label, where if isinstance(where, TraceStep) else TraceStep(label, span_of(where), path)))
    return tuple(out)


def _class_built(value: Node) -> str:
    """``Wrapper(request)`` (Python, capitalized) or ``new Wrapper(req)``: "Wrapper"."""
    if value.type in _CLASS_CALLS:
        target = value.child_by_field_name("constructor") or value.child_by_field_name("type")
        return text(target).rsplit(".", 1)[-1].split("<", 1)[0]
    if value.type == "call":
        name = callee(value)[0]
        if name[:1].isupper():
            return name
    return ""


def summarize(function: Node, language: str, path: str) -> Summary:
    """The summary of one function (its node in a parsed file at ``path``), from its own body:
    calls of functions outside its unit are not followed from here (one level across units, so
    neither recursion nor a long chain of helpers can run away)."""
    token = RESOLVER.set(None)
    try:
        return _summarize(function, language, path)
    finally:
        RESOLVER.reset(token)


def _summarize(function: Node, language: str, path: str) -> Summary:
    name = text(function.child_by_field_name("name"))
    values = _returns(function, language)
    where = TraceStep(f"{name}() defined here", span_of(function.child_by_field_name("name") or function), path)
    if not values:
        return Summary(name, path, None, frozenset(), "", where)
    source = None
    for value in values:
        steps = flow_to(value, language)
        if steps:
            label = f"returned by {name}()"
            source = (*_placed(steps, path), (label, TraceStep(label, span_of(value), path)))
            break
    params = parameter_names(function, language)
    passes: set[int] = set()
    if len(params) > MAX_PARAMETERS:
        passes = set(range(len(params)))
    else:
        for index, (param, node) in enumerate(params):
            if not param:
                continue
            seed = {param: ((f"parameter `{param}` of {name}()", TraceStep(
                f"parameter `{param}` of {name}()", span_of(node), path)),)}
            if any(flow_to(v, language, seeds=seed, sources=False) for v in values):
                passes.add(index)
    built = next((c for c in (_class_built(v) for v in values) if c), "")
    return Summary(name, path, source, frozenset(passes), built, where)


_CACHE: dict[tuple[str, str, str], Summary] = {}
_CACHE_SIZE = 8192


def summary_of(function: Node, language: str, path: str, digest: str) -> Summary:
    """:func:`summarize`, cached by the function's file, name and text digest."""
    key = (language, path, digest)
    found = _CACHE.get(key)
    if found is None:
        if len(_CACHE) >= _CACHE_SIZE:
            _CACHE.clear()
        found = _CACHE[key] = summarize(function, language, path)
    return found
