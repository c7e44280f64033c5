"""What every family check starts from: the flagged statement or call before and after the fix,
and the tokens the fix changed in it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import tree_sitter

from coderev.analyzers.document import Document
from coderev.analyzers.finding import Finding
from coderev.analyzers.languages import LanguageSpec
from coderev.analyzers.paramstyle import ParamStyle

Node = tree_sitter.Node

# Nodes a fix may rewrite inside: a call, an object creation, an assignment. The smallest one that
# holds the finding and every changed byte is the "sink"; nothing outside it may change.
SINK_TYPES = frozenset({
    "call", "assignment", "augmented_assignment", "expression_statement",  # python
    "call_expression", "new_expression", "assignment_expression",  # javascript, go
    "composite_literal", "assignment_statement", "keyed_element",  # go
    "method_invocation", "object_creation_expression",  # java
})
ARGUMENT_LISTS = frozenset({"argument_list", "arguments", "literal_value", "object"})
_WORD = re.compile(r"[A-Za-z_]\w*|\d+")


def text(node: Node) -> str:
    return (node.text or b"").decode("utf-8", "replace")


def leaves(node: Node) -> Iterator[Node]:
    """The node's tokens in order (comments left out)."""
    stack = [node]
    while stack:
        current = stack.pop()
        if current.type == "comment":
            continue
        if current.child_count == 0 or current.type in {"string_content", "string_fragment"}:
            yield current
        else:
            stack.extend(reversed(current.children))


_CLOSING = frozenset({")", "]", "}"})


def _tokens(node: Node) -> list[Node]:
    """The node's tokens, without trailing commas (a layout choice, like line breaks)."""
    out = list(leaves(node))
    return [t for i, t in enumerate(out) if not (text(t) == "," and i + 1 < len(out) and text(out[i + 1]) in _CLOSING)]


def words(value: str) -> set[str]:
    return set(_WORD.findall(value))


_QUALIFIED = re.compile(r"[A-Za-z_]\w*(?:\s*(?:\.|::)\s*[A-Za-z_]\w*)+")


def vetted(value: str) -> set[str]:
    """The words of a rule's fix text and its qualified names (``java.security.SecureRandom``,
    without whitespace): what a fix of the same finding may write."""
    return words(value) | {"".join(m.split()) for m in _QUALIFIED.findall(value)}


@dataclass(frozen=True, slots=True)
class Change:
    """A fix of one unit: its text and tree before and after, the sink in both, and the tokens
    that differ inside it (``old`` replaced by ``new``)."""

    before: Node  # the sink, original tree
    after: Node  # the sink, fixed tree
    old: tuple[Node, ...]
    new: tuple[Node, ...]
    finding: Finding
    language: LanguageSpec
    style: ParamStyle | None
    allowed: frozenset[str]  # the words and qualified names the rule's own fix writes (the vetted values)

    @property
    def added(self) -> set[str]:
        """The words the fix writes that the replaced tokens did not have."""
        return set().union(*(words(text(n)) for n in self.new)) - set().union(*(words(text(n)) for n in self.old))


def changed_bytes(a: bytes, b: bytes) -> tuple[int, int, int]:
    """(start, end in a, end in b): the smallest window outside which ``a`` and ``b`` agree."""
    limit = min(len(a), len(b))
    start = 0
    while start < limit and a[start] == b[start]:
        start += 1
    suffix = 0
    while suffix < limit - start and a[len(a) - 1 - suffix] == b[len(b) - 1 - suffix]:
        suffix += 1
    return start, len(a) - suffix, len(b) - suffix


def _sink(root: Node, lo: int, hi: int) -> Node | None:
    node: Node | None = root.descendant_for_byte_range(lo, max(lo, hi))
    while node is not None and not (node.type in SINK_TYPES and node.start_byte <= lo and hi <= node.end_byte):
        node = node.parent
    if node is not None and node.type == "expression_statement" and node.named_child_count == 1:
        inner = node.named_children[0]
        if inner.type in SINK_TYPES and inner.start_byte <= lo and hi <= inner.end_byte:
            return inner
    return node


def _exact(root: Node, start: int, end: int, kind: str) -> Node | None:
    node: Node | None = root.descendant_for_byte_range(start, end)
    while node is not None and (node.start_byte, node.end_byte) == (start, end) and node.type != kind:
        node = node.parent
    if node is None or (node.start_byte, node.end_byte, node.type) != (start, end, kind):
        return None
    return node


def locate(
    original: str, fixed: str, finding: Finding, language: LanguageSpec, *, style: ParamStyle | None,
    allowed: frozenset[str],
) -> Change | str:
    """The fix's :class:`Change`, or why it cannot be read as an edit of the flagged statement."""
    a, b = original.encode("utf-8"), fixed.encode("utf-8")
    start, end_a, _ = changed_bytes(a, b)
    if start == len(a) == len(b):
        return "the fix changes nothing"
    tree_a, tree_b = Document(original, language).tree, Document(fixed, language).tree
    if tree_a is None or tree_b is None:
        return "no parser for the language"
    lo = min(start, finding.span.start_byte)
    hi = max(end_a, finding.span.end_byte)
    before = _sink(tree_a.root_node, lo, hi)
    after = None
    while before is not None:  # the smallest sink that is still there, reshaped, after the fix
        after = _exact(tree_b.root_node, before.start_byte, before.end_byte + len(b) - len(a), before.type)
        if after is not None:
            break
        before = before.parent
        while before is not None and before.type not in SINK_TYPES:
            before = before.parent
    if before is None:
        return "the fix changes code outside the flagged statement"
    if after is None:
        return "the flagged statement no longer has the same shape"
    old, new = _tokens(before), _tokens(after)
    prefix = 0
    while prefix < min(len(old), len(new)) and text(old[prefix]) == text(new[prefix]):
        prefix += 1
    suffix = 0
    while suffix < min(len(old), len(new)) - prefix and text(old[-1 - suffix]) == text(new[-1 - suffix]):
        suffix += 1
    return Change(before, after, tuple(old[prefix:len(old) - suffix]), tuple(new[prefix:len(new) - suffix]),
                  finding, language, style, allowed)


def arguments(call: Node) -> list[Node]:
    """The argument nodes of a call (positional and keyword, in order), or []."""
    args = call.child_by_field_name("arguments")
    if args is None:
        return []
    return [c for c in args.named_children if c.type != "comment"]


def keyword(arg: Node) -> str | None:
    """The name of a Python keyword argument, else None."""
    if arg.type != "keyword_argument":
        return None
    name = arg.child_by_field_name("name")
    return text(name) if name is not None else None


def same_tokens(a: Node, b: Node) -> bool:
    """Equal up to whitespace, line breaks and comments."""
    return [text(n) for n in leaves(a)] == [text(n) for n in leaves(b)]
