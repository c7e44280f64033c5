"""Reading source literals off tree-sitter nodes: node text and spans, plain string values."""

from __future__ import annotations

import re

import tree_sitter

from coderev.analyzers.finding import Span

Node = tree_sitter.Node
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


def python_string_parts(node: Node) -> tuple[str, str, str] | None:
    """(prefix, quote, body) of a Python string literal without interpolation, or None."""
    if node.type != "string" or any(c.type == "interpolation" for c in node.children):
        return None
    match = re.match(r"^([A-Za-z]*)('''|\"\"\"|'|\")(.*)\2$", node_text(node), re.S)
    if match is None:
        return None
    return match.group(1), match.group(2), match.group(3)


def string_value(node: Node) -> str | None:
    """The value of a plain (non-bytes, non-f, escape-free) string literal."""
    parts = python_string_parts(node)
    if parts is None:
        if node.type in {"string_literal", "interpreted_string_literal"}:
            text = node_text(node)
            return text[1:-1] if "\\" not in text else None
        return None
    prefix, _, body = parts
    if not _PLAIN_PREFIX.match(prefix) or ("\\" in body and prefix.lower() != "r"):
        return None
    return body
