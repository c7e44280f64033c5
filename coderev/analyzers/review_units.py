"""Review units: the pieces of code a model reviews one at a time.

Every function-like node at any depth is a unit of its own: a function or method, a view nested
in an app factory (``def init(app): @app.route(...) def view(): ...``), a route handler passed to
``app.get(...)``, a Go func literal, a Java lambda with a block body. The editor's AI review sends
these, and training and evaluation take their functions the same way, so the model is judged on
what it is shown. A nested function is also part of its outer function's text when that one is
short enough to be a unit too.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from typing import Final

import tree_sitter

from coderev.analyzers.languages import LanguageSpec

MAX_LINES: Final = 120  # longer functions are not reviewed (the model's context is short)

_JS_UNITS: Final = """[(function_declaration) (generator_function_declaration) (method_definition)
                       (function_expression) (generator_function) (arrow_function body: (statement_block))] @unit"""
UNIT_QUERIES: Final = {
    "python": "(function_definition) @unit",
    "javascript": _JS_UNITS,
    "typescript": _JS_UNITS,
    "tsx": _JS_UNITS,
    "go": "[(function_declaration) (method_declaration) (func_literal)] @unit",
    "java": "[(method_declaration) (constructor_declaration) (lambda_expression body: (block))] @unit",
}
# Function values (callbacks, literals, lambdas) on one line are expressions, not units.
_VALUES: Final = frozenset({"function_expression", "generator_function", "arrow_function", "func_literal",
                            "lambda_expression"})


@lru_cache(maxsize=16)
def _unit_query(grammar: tree_sitter.Language, language: str) -> tree_sitter.Query:
    return tree_sitter.Query(grammar, UNIT_QUERIES[language])


def review_units(roots: Iterable[tree_sitter.Node], language: LanguageSpec,
                 max_lines: int = MAX_LINES) -> list[tree_sitter.Node]:
    """The review units under ``roots`` (a tree's root node, or a document's analysis units), in
    source order, each shorter than ``max_lines`` lines; none for a language without units."""
    if language.id not in UNIT_QUERIES:
        return []
    query = _unit_query(language.grammar, language.id)
    found: dict[tuple[int, int], tree_sitter.Node] = {}
    for root in roots:
        for node in tree_sitter.QueryCursor(query).captures(root).get("unit", ()):
            rows = node.end_point.row - node.start_point.row
            if rows < max_lines and (rows > 0 or node.type not in _VALUES):
                found[(node.start_byte, node.end_byte)] = node
    return [found[k] for k in sorted(found)]
