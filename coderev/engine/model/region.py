"""The FIX region: the one syntax node a model answer replaces.

The region is the smallest named node that covers the finding's matched node and every edit of
the rule's fix (for a finding without a template fix, the finding's node). The model sees only
that node's text and answers its replacement, which is spliced back by byte offsets, so code
outside the region cannot change, whatever the model writes. Regions are short (a call, a
key-value pair, an assignment), so the model copies little and learns the fix itself.

The region's first line starts at the node, mid-line; its continuation lines (a multi-line call)
are dedented by the indentation of the line the node starts on, so the same call reads the same
at any nesting depth, and re-indented the same way when the answer is spliced back.
"""

from __future__ import annotations

from dataclasses import dataclass

import tree_sitter

from coderev.analyzers.finding import Finding


@dataclass(frozen=True, slots=True)
class Region:
    start: int  # byte offsets in the source
    end: int
    indent: str  # stripped from (and added back to) every continuation line


def covered_bytes(finding: Finding) -> tuple[int, int]:
    """The bytes the region must cover: the finding's node and every edit of its fix."""
    start, end = finding.span.start_byte, finding.span.end_byte
    if finding.fix is not None:
        for edit in finding.fix.edits:
            start, end = min(start, edit.span.start_byte), max(end, edit.span.end_byte)
    return start, end


def find_region(source: bytes, tree: tree_sitter.Tree, finding: Finding) -> Region:
    """The region of ``finding`` in ``source`` (parsed as ``tree``)."""
    start, end = covered_bytes(finding)
    node: tree_sitter.Node | None = tree.root_node.descendant_for_byte_range(start, end)
    while node is not None and (not node.is_named or node.start_byte > start or node.end_byte < end):
        node = node.parent
    if node is not None and node.parent is not None:
        start, end = node.start_byte, node.end_byte
    while end > start and source[end - 1 : end] in (b"\n", b"\r", b" ", b"\t"):
        end -= 1
    line_start = source.rfind(b"\n", 0, start) + 1
    line = source[line_start:start]
    indent = line[: len(line) - len(line.lstrip(b" \t"))].decode("utf-8")
    for continuation in source[start:end].decode("utf-8").split("\n")[1:]:
        if continuation.strip():
            lead = continuation[: len(continuation) - len(continuation.lstrip(" \t"))]
            while not lead.startswith(indent):
                indent = indent[:-1]
    return Region(start, end, indent)


def dedent(text: str, indent: str) -> str:
    """``text`` (a region) with ``indent`` removed from its continuation lines."""
    lines = text.split("\n")
    return "\n".join([lines[0], *(line[len(indent):] if line.strip() and line.startswith(indent) else line
                                     for line in lines[1:])])


def reindent(text: str, indent: str) -> str:
    """The inverse of :func:`dedent` for every non-blank continuation line."""
    lines = text.split("\n")
    return "\n".join([lines[0], *(indent + line if line.strip() else line for line in lines[1:])])


def rows_of(source: bytes, start: int, end: int) -> tuple[int, int]:
    """0-based rows (inclusive) of the bytes ``start..end``."""
    first = source.count(b"\n", 0, start)
    return first, first + source.count(b"\n", start, max(start, end))
