"""Running a compiled query inside one unit, in bounded pieces.

tree-sitter's query cursor keeps an in-progress state for every pattern that started at an
ancestor of the node it is visiting, and advances all of them at every node. In an expression
nested thousands deep (``x := a + a + ...`` is a left-leaning chain of binary expressions, as
are long method chains, ``else if`` ladders and nested parentheses) that is one state per level
for each pattern rooted at that node type: work quadratic in the depth, all inside one C call
that holds the GIL (8k / 16k / 32k terms: 1.5 / 6 / 24 s for one pattern).

So a unit is matched in slices of :data:`MAX_START_DEPTH` levels: each cursor may only *start*
matches within that many levels below the node it runs on (it still descends as deep as a
started match needs), and the nodes at the last level start the next slices. Slices overlap by
that one level, so a pattern of several sibling nodes is still found below the boundary; a
match starting on a boundary node is found twice and kept once. Matches are exactly those of
one whole-unit cursor (the test suite checks this with tiny slices on every rule example and
fixture); real code nests about 50 levels at most, so it takes one slice. Each slice is a short C
call, and the budget is checked between slices and before each structural predicate.

A slice can still be slow when text predicates look at huge nodes (``#match? @receiver`` on each
link of a 3,000-link method chain reads the whole chain's text at every link): when one takes
longer than :data:`SLICE_SECONDS`, the next ones get half as many levels, so no single call
holds the GIL for long while the budget runs out.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Final

import tree_sitter

from coderev.analyzers.budget import Budget

MAX_START_DEPTH: Final = 64
SLICE_SECONDS: Final = 0.02
Match = tuple[int, dict[str, list[tree_sitter.Node]]]
Captures = dict[str, list[tree_sitter.Node]]
Predicate = Callable[[str, Sequence[tuple[str, str]], int, Captures], bool]
_MatchKey = tuple[int, tuple[tuple[str, tuple[int, ...]], ...]]


def unit_matches(
    query: tree_sitter.Query,
    unit: tree_sitter.Node,
    evaluate: Predicate,
    budget: Budget,
    depth: int = MAX_START_DEPTH,
) -> list[Match] | None:
    """Every match of ``query`` inside ``unit`` (as ``QueryCursor.matches`` gives them, with
    ``evaluate`` deciding the predicates tree-sitter does not know), or None when ``budget`` ran
    out first (the matches found so far may be incomplete)."""
    stopped = False

    def checked(predicate: str, args: Sequence[tuple[str, str]], pattern_index: int, captures: Captures) -> bool:
        nonlocal stopped
        if stopped or budget.exhausted():
            stopped = True
            return False
        return evaluate(predicate, args, pattern_index, captures)

    out: list[Match] = []
    seen: set[_MatchKey] | None = None  # identities of the matches so far, once there is a second slice
    stack = [unit]
    first = True
    while stack:
        node = stack.pop()
        if budget.exhausted():
            return None
        levels = depth
        cursor = tree_sitter.QueryCursor(query)
        cursor.set_max_start_depth(levels)
        started = time.perf_counter()
        found = cursor.matches(node, checked)
        if depth > 1 and time.perf_counter() - started > SLICE_SECONDS:
            depth //= 2  # for the slices still to come: any depth gives the same matches
        if stopped:
            return None
        if first:
            out.extend(found)
        else:
            if seen is None:
                seen = {_key(m) for m in out}
            for match in found:
                key = _key(match)
                if key not in seen:
                    seen.add(key)
                    out.append(match)
        first = False
        stack.extend(reversed(_boundary(node, levels)))
    return out


def _key(match: Match) -> _MatchKey:
    pattern, captures = match
    return pattern, tuple(sorted((name, tuple(n.id for n in nodes)) for name, nodes in captures.items()))


def _boundary(node: tree_sitter.Node, depth: int) -> list[tree_sitter.Node]:
    """The nodes ``depth`` levels below ``node`` that have children (where the next slices start),
    in source order. Subtrees too small to reach that far are not walked: a node at level ``d``
    reaches level ``depth + 1`` only with at least ``depth + 2 - d`` nodes (itself included)."""
    out: list[tree_sitter.Node] = []
    if node.descendant_count < depth + 2:
        return out
    stack = [(node, 0)]
    while stack:
        current, level = stack.pop()
        if level == depth:
            out.append(current)
            continue
        stack.extend((child, level + 1) for child in reversed(current.children)
                     if child.descendant_count >= depth + 1 - level)
    return out
