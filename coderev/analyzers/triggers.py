"""Literal prefilter: which rules can possibly match a text, decided without compiling them.

Compiling a language's combined query costs about 1.6 ms per pattern (tree-sitter analyses
every pattern against the grammar), so the 160 Python patterns take about 270 ms: the largest
single cost between starting the server and the first diagnostics. Most patterns carry a text
predicate on a capture that every match has, such as ``(#any-of? @method "execute" "raw")``: a
match needs one of those words in the text. So a document that contains none of a pattern's
required words cannot match that pattern, and a rule none of whose patterns can match is left
out of the document's first, smaller query (docs/adr/0010, ``RuleSet.compiled_for``).

Soundness is the point: a rule is left out only when it provably cannot match. A requirement
is derived only from ``#eq?`` and ``#any-of?`` with string arguments on a capture that is
present in every match of its pattern (not under ``?`` or ``*``, and on every branch of an
alternation); everything else (``#match?``, negations, custom predicates) adds no requirement,
so such a pattern always counts as possible. The test suite checks on every rule example and
fixture that prefiltered analysis equals full analysis.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_TOKEN = re.compile(r'"(?:\\.|[^"\\])*"|;[^\n]*|[()\[\]]|[?*+]|@[\w.-]+|#[\w?!-]+|[^\s()\[\]"?*+;]+')
_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "0": "\0"}


@dataclass
class _Node:
    """A parenthesised node ``(...)``, an alternation ``[...]`` or a quantified atom."""

    kind: str  # "(", "[" or "atom"
    items: list[_Node | str] = field(default_factory=list)
    quantifier: str = ""


def _unquote(token: str) -> str:
    body = token[1:-1]
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(1)), body)


def _parse(query: str) -> list[_Node | str]:
    root = _Node("(")
    stack = [root]
    for match in _TOKEN.finditer(query):
        token = match.group(0)
        if token.startswith(";"):
            continue
        if token in ("(", "["):
            node = _Node(token)
            stack[-1].items.append(node)
            stack.append(node)
        elif token in (")", "]"):
            if len(stack) > 1:
                stack.pop()
        elif token in ("?", "*", "+"):
            items = stack[-1].items
            if items:
                last = items[-1]
                if isinstance(last, _Node):
                    last.quantifier = token
                else:
                    items[-1] = _Node("atom", [last], token)
        else:
            stack[-1].items.append(token)
    return root.items


def _is_predicate(node: _Node) -> bool:
    return node.kind == "(" and bool(node.items) and isinstance(node.items[0], str) and node.items[0].startswith("#")


def _groups(items: list[_Node | str]) -> list[tuple[_Node | str, list[str]]]:
    """Each item with the captures written right after it (``(call) @c``: the call's capture)."""
    groups: list[tuple[_Node | str, list[str]]] = []
    for item in items:
        if isinstance(item, str) and item.startswith("@"):
            if groups:
                groups[-1][1].append(item)
            continue
        groups.append((item, []))
    return groups


def _always_captured(item: _Node | str, captures: list[str]) -> set[str]:
    """Captures present in every match of ``item`` written with ``captures`` after it.

    Computed bottom-up with explicit stacks (a user's query may nest deeper than Python's
    recursion limit): a node's children leave their results on ``values``, which the node then
    combines into its own."""
    values: list[set[str]] = []
    stack: list[tuple[_Node | str, list[str], int]] = [(item, captures, -1)]
    while stack:
        current, caps, children = stack.pop()
        if isinstance(current, str):
            values.append(set(caps))
            continue
        if current.quantifier in ("?", "*") or _is_predicate(current):
            values.append(set())
            continue
        if children < 0:
            groups = _groups(current.items)
            stack.append((current, caps, len(groups)))
            stack.extend((child, child_caps, -1) for child, child_caps in groups)
            continue
        branches = values[len(values) - children :]
        del values[len(values) - children :]
        alternation = current.kind == "["  # an alternation: only what every branch captures
        inner = set().union(*branches) if not alternation else set.intersection(*branches) if branches else set()
        values.append(set(caps) | inner)
    return values[0]


def _predicates(node: _Node | str, out: list[list[str]]) -> None:
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, str):
            continue
        if _is_predicate(current):
            out.append([i for i in current.items if isinstance(i, str)])
            continue
        stack.extend(reversed(current.items))


Requirements = tuple[tuple[frozenset[str], ...], ...]
_KNOWN: dict[str, Requirements] = {}  # query -> requirements (computed, or restored by seed())


def seed(known: dict[str, Requirements]) -> None:
    """Take requirements computed by an earlier process (the built-in rule cache,
    :mod:`coderev.analyzers.rule_cache`): parsing every query again costs a start-up tens of ms."""
    _KNOWN.update(known)


def requirements(query: str) -> Requirements:
    """Per top-level pattern of ``query``: the word sets of which the text must contain at least
    one word each for the pattern to match (an empty tuple: no requirement known)."""
    known = _KNOWN.get(query)
    if known is None:
        known = _KNOWN[query] = _requirements(query)
    return known


def _requirements(query: str) -> Requirements:
    out: list[tuple[frozenset[str], ...]] = []
    for pattern, captures in _groups(_parse(query)):
        if isinstance(pattern, str):
            continue
        captured = _always_captured(pattern, captures)
        found: list[list[str]] = []
        _predicates(pattern, found)
        needs = [
            frozenset(_unquote(arg) for arg in p[2:])
            for p in found
            if p[0] in ("#eq?", "#any-of?")
            and len(p) >= 3
            and p[1] in captured
            and all(arg.startswith('"') for arg in p[2:])
        ]
        out.append(tuple(needs))
    return tuple(out)


def may_match(query: str, text: bytes) -> bool:
    """False only when no pattern of ``query`` can match anywhere in ``text``."""
    patterns = requirements(query)
    if not patterns:
        return True
    return any(all(any(word.encode("utf-8") in text for word in words) for words in needs) for needs in patterns)
