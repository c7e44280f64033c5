"""Identifier, string and expression abstraction: names become ``ID1, ID2, ...``, string words
``STR1, ...`` and expressions no rule is about ``EX1, ...``.

The small model never has to spell a name it has not seen: before prompting, every name that is
not kept verbatim (:mod:`coderev.engine.model.vocabulary`: rule vocabulary, fix-template words, keywords,
API names of the language) and every word inside a string literal that is not a known keyword is
replaced by a numbered placeholder, in order of first appearance; after generation the
placeholders are restored. Placeholders are whole words, so restoration is a word-boundary
substitution. Only non-newline runs are replaced, so line structure is preserved exactly.

An expression that mentions none of the names the rules are about
(:func:`coderev.engine.model.vocabulary.rule_names`) and no kept string word, such as ``self.items[0]``,
``await fetch(user)`` or ``a or b``, is opaque to every finding: a fix can only move it, never
change it. Such an expression, when it fits on one line, becomes one ``EX<n>`` placeholder, so
the model copies one token for it instead of spelling an argument shape it may never have seen
(docs/adr/0013). A fixed text is abstracted with ``new_expressions=False``: it reuses the
request's ``EX`` placeholders and never invents one, so a tuple a fix builds around a copied
expression stays visible as a tuple.

Which nodes are names and string contents depends on the grammar (``identifier`` and
``property_identifier`` in JavaScript, ``field_identifier`` and ``package_identifier`` in Go, ...),
so the language of the text is part of every call.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import tree_sitter

from coderev.analyzers.languages import get_language, parser_for
from coderev.engine.model.vocabulary import (
    IDENTIFIER_NODES,
    STRING_NODES,
    family,
    keep_names,
    keep_string_words,
    rule_names,
)

PLACEHOLDER = re.compile(r"\b(?:ID|STR|EX)\d+\b")
_WORD = re.compile(r"[^\s'\"`,()=<>{}$\\]+")


@dataclass
class Abstraction:
    """A text with placeholders and the mapping to restore it."""

    text: str
    names: dict[str, str] = field(default_factory=dict)  # placeholder -> original

    def restore(self, text: str) -> str:
        return PLACEHOLDER.sub(lambda m: self.names.get(m.group(0), m.group(0)), text)


def rule_vocabulary(language: str = "python") -> frozenset[str]:
    """The names of ``language`` that stay verbatim."""
    return keep_names(language)


def parse(text: str, language: str = "python") -> tree_sitter.Tree:
    spec = get_language(language) or get_language("python")
    assert spec is not None
    return parser_for(spec).parse(text.encode("utf-8"))


# Expression node types that may become one ``EX`` placeholder, per family.
EXPRESSION_NODES: dict[str, frozenset[str]] = {
    "python": frozenset({"call", "attribute", "subscript", "await", "boolean_operator", "binary_operator",
                         "unary_operator", "not_operator", "parenthesized_expression", "conditional_expression",
                         "tuple", "list", "dictionary", "comparison_operator"}),
    "javascript": frozenset({"call_expression", "member_expression", "subscript_expression", "await_expression",
                             "binary_expression", "unary_expression", "parenthesized_expression",
                             "ternary_expression", "array", "object", "new_expression", "as_expression",
                             "non_null_expression"}),
    "go": frozenset({"call_expression", "selector_expression", "index_expression", "slice_expression",
                     "unary_expression", "binary_expression", "parenthesized_expression", "type_conversion_expression",
                     "composite_literal"}),
    "java": frozenset({"method_invocation", "field_access", "array_access", "binary_expression", "unary_expression",
                       "parenthesized_expression", "cast_expression", "ternary_expression",
                       "object_creation_expression"}),
}


def _opaque(node: tree_sitter.Node, fam: str, names: frozenset[str], words: frozenset[str]) -> bool:
    """Whether ``node`` is a one-line expression that holds no rule name (as a name or a string
    word) and no kept string word."""
    if node.type not in EXPRESSION_NODES[fam] or node.start_point.row != node.end_point.row:
        return False
    id_nodes, str_nodes = IDENTIFIER_NODES[fam], STRING_NODES[fam]
    stack = [node]
    while stack:
        child = stack.pop()
        if child.type in id_nodes and (child.text or b"").decode("utf-8") in names:
            return False
        text = _WORD.findall((child.text or b"").decode("utf-8")) if child.type in str_nodes else ()
        if any(w in words or w in names for w in text):  # {"csrf": False}: the key is the finding
            return False
        stack.extend(child.children)
    return True


def spans(tree: tree_sitter.Tree, language: str, keep: frozenset[str], start: int = 0,
          end: int | None = None, *, expressions: frozenset[str] | None = None) -> list[tuple[int, int, str, str]]:
    """(start, end, kind, text) of the byte runs to abstract inside ``start..end``, in order.

    ``expressions``: when given, only opaque expressions with one of these texts become ``EX``
    runs (a fixed text reusing a request's placeholders); by default every opaque one does."""
    fam = family(language)
    id_nodes, str_nodes = IDENTIFIER_NODES[fam], STRING_NODES[fam]
    words = keep_string_words(language)
    names = rule_names(language)
    limit = tree.root_node.end_byte if end is None else end
    out: list[tuple[int, int, str, str]] = []
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        if node.end_byte <= start or node.start_byte >= limit:
            continue
        if node.start_byte >= start and node.end_byte <= limit and _opaque(node, fam, names, words):
            text = (node.text or b"").decode("utf-8")
            if expressions is None or text in expressions:
                out.append((node.start_byte, node.end_byte, "EX", text))
                continue
        if node.type in id_nodes and node.start_byte >= start and node.end_byte <= limit:
            name = (node.text or b"").decode("utf-8")
            if name not in keep and not PLACEHOLDER.fullmatch(name):
                out.append((node.start_byte, node.end_byte, "ID", name))
            continue
        if node.type in str_nodes:
            raw = (node.text or b"").decode("utf-8")
            base = node.start_byte
            for match in _WORD.finditer(raw):
                word = match.group(0)
                if word in words or PLACEHOLDER.fullmatch(word):
                    continue
                if word.isdigit() and raw[match.start() - 1 : match.start()] == "$":
                    continue  # an SQL parameter ($1): part of the fix, not a name
                first = base + len(raw[: match.start()].encode("utf-8"))
                last = first + len(word.encode("utf-8"))
                if first >= start and last <= limit:
                    out.append((first, last, "STR", word))
            continue
        stack.extend(reversed(node.children))
    out.sort()
    return out


def _kind(placeholder: str) -> str:
    return placeholder.rstrip("0123456789")


def abstract_spans(source: bytes, runs: list[tuple[int, int, str, str]], start: int, end: int,
                   seed: Abstraction | None = None) -> Abstraction:
    """The text of ``source[start:end]`` with ``runs`` replaced by placeholders, numbered in
    order of first appearance after those already in ``seed``."""
    names = dict(seed.names) if seed is not None else {}
    reverse = {f"{_kind(ph)}:{original}": ph for ph, original in names.items()}
    counters = {"ID": 0, "STR": 0, "EX": 0}
    for ph in names:
        counters[_kind(ph)] = max(counters[_kind(ph)], int(ph[len(_kind(ph)):]))
    pieces: list[bytes] = []
    cursor = start
    for first, last, kind, word in runs:
        if first < cursor or last > end:
            continue
        placeholder = reverse.get(f"{kind}:{word}")
        if placeholder is None:
            counters[kind] += 1
            placeholder = f"{kind}{counters[kind]}"
            reverse[f"{kind}:{word}"] = placeholder
            names[placeholder] = word
        pieces.append(source[cursor:first])
        pieces.append(placeholder.encode("utf-8"))
        cursor = last
    pieces.append(source[cursor:end])
    return Abstraction(b"".join(pieces).decode("utf-8"), names)


def abstract_range(source: bytes, tree: tree_sitter.Tree, start: int, end: int, *, language: str,
                   seed: Abstraction | None = None, new_expressions: bool = True) -> Abstraction:
    """Abstract the bytes ``start..end`` of ``source`` using its full parse ``tree``, so that a
    fragment that would not parse alone (a JavaScript ``key: value`` pair) is still read right.
    ``new_expressions=False`` (a fixed text): only the seed's ``EX`` placeholders are used."""
    known = None
    if not new_expressions:
        known = frozenset(t for p, t in (seed.names.items() if seed else ()) if _kind(p) == "EX")
    runs = spans(tree, language, keep_names(language), start, end, expressions=known)
    return abstract_spans(source, runs, start, end, seed)


def abstract(text: str, seed: Abstraction | None = None, *, keep: frozenset[str] | None = None,
             language: str = "python") -> Abstraction:
    """Replace names and string words in ``text`` (a whole unit of ``language``) by placeholders.

    ``seed`` supplies an existing mapping, so the same name gets the same placeholder in a
    request and in its answer.
    """
    keep = keep_names(language) if keep is None else keep
    source = text.encode("utf-8")
    runs = spans(parse(text, language), language, keep)
    return abstract_spans(source, runs, 0, len(source), seed)
