"""Identifier and string abstraction: names become ``ID1, ID2, ...`` and string words ``STR1, ...``.

The small model never has to spell a name it has not seen: before prompting, every name that is
not kept verbatim (:mod:`engine.model.vocabulary`: rule vocabulary, fix-template words, keywords,
API names of the language) and every word inside a string literal that is not a known keyword is
replaced by a numbered placeholder, in order of first appearance; after generation the
placeholders are restored. Placeholders are whole words, so restoration is a word-boundary
substitution. Only non-newline runs are replaced, so line structure is preserved exactly.

Which nodes are names and string contents depends on the grammar (``identifier`` and
``property_identifier`` in JavaScript, ``field_identifier`` and ``package_identifier`` in Go, ...),
so the language of the text is part of every call.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import tree_sitter

from analyzers.languages import get_language, parser_for
from engine.model.vocabulary import IDENTIFIER_NODES, STRING_NODES, family, keep_names, keep_string_words

PLACEHOLDER = re.compile(r"\b(?:ID|STR)\d+\b")
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


def spans(tree: tree_sitter.Tree, language: str, keep: frozenset[str], start: int = 0,
          end: int | None = None) -> list[tuple[int, int, str, str]]:
    """(start, end, kind, text) of the byte runs to abstract inside ``start..end``, in order."""
    fam = family(language)
    id_nodes, str_nodes = IDENTIFIER_NODES[fam], STRING_NODES[fam]
    words = keep_string_words(language)
    limit = tree.root_node.end_byte if end is None else end
    out: list[tuple[int, int, str, str]] = []
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        if node.end_byte <= start or node.start_byte >= limit:
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
                first = base + len(raw[: match.start()].encode("utf-8"))
                last = first + len(word.encode("utf-8"))
                if first >= start and last <= limit:
                    out.append((first, last, "STR", word))
            continue
        stack.extend(reversed(node.children))
    out.sort()
    return out


def _kind(placeholder: str) -> str:
    return "STR" if placeholder.startswith("STR") else "ID"


def abstract_spans(source: bytes, runs: list[tuple[int, int, str, str]], start: int, end: int,
                   seed: Abstraction | None = None) -> Abstraction:
    """The text of ``source[start:end]`` with ``runs`` replaced by placeholders, numbered in
    order of first appearance after those already in ``seed``."""
    names = dict(seed.names) if seed is not None else {}
    reverse = {f"{_kind(ph)}:{original}": ph for ph, original in names.items()}
    counters = {"ID": 0, "STR": 0}
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
                   seed: Abstraction | None = None) -> Abstraction:
    """Abstract the bytes ``start..end`` of ``source`` using its full parse ``tree``, so that a
    fragment that would not parse alone (a JavaScript ``key: value`` pair) is still read right."""
    runs = spans(tree, language, keep_names(language), start, end)
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
