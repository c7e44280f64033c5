"""Contrast samples for REVIEW training: the same unit with a finding's statement minimally
changed, labelled again by the analyzers.

A small model judging one statement at a time learns whatever separates the vulnerable
statements it saw from the safe ones. If every ``subprocess.run(..., capture_output=True)`` it
saw had ``shell=True`` or ``shell=False`` next to it, it learns "``capture_output`` with no
``shell=False`` is a finding" and flags a plain ``subprocess.run([...], capture_output=True)``.
Two kinds of near neighbours of each finding teach which words make it:

- the **fixed look-alike**: the unit with the rule's fix applied (``hashlib.sha256(...)`` next to
  ``hashlib.md5(...)``);
- **pruned variants**: the unit with one keyword argument, object property or keyed element of
  the finding's statement deleted (``subprocess.run(cmd, capture_output=True)`` next to
  ``subprocess.run(cmd, shell=True, capture_output=True)``). Deleting ``shell=True`` removes a
  command-injection finding; deleting ``httponly=True`` creates a missing-HttpOnly one. The
  analyzers label every variant, so a variant teaches whichever is true.

Only the statement windows a variant changed become samples, and never one whose shape is a
held-out statement shape (``banned``), so the held-out evaluation still measures statements the
model has not seen.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator
from typing import Any

import tree_sitter

from coderev.analyzers.analysis import Analyzer
from coderev.analyzers.document import Document
from coderev.analyzers.finding import Finding, apply_edits
from coderev.analyzers.languages import get_language
from coderev.engine.model import prompt as fmt
from coderev.engine.model.placeholders import abstract
from coderev.engine.model.slot import prepare_review
from coderev.engine.training.decoys import shape
from coderev.engine.training.sample import Sample, review_items

# Syntax nodes that can be deleted from a call or literal and leave valid code, per grammar.
PRUNABLE = {
    "python": frozenset({"keyword_argument"}),
    "javascript": frozenset({"pair"}),
    "typescript": frozenset({"pair"}),
    "go": frozenset({"keyed_element"}),
}


def window_texts(source: str, language: str) -> list[str]:
    """The abstracted text of each statement window, in order."""
    text = abstract(source, language=language).text
    lines = text.split("\n")
    return ["\n".join(lines[a - 1 : b]).strip() for a, b in fmt.statement_windows(text)]


def variant_samples(source: str, variants: Iterable[str], analyzer: Analyzer, split: str, language: str, *,
                    banned: frozenset[str] = frozenset()) -> list[Sample]:
    """REVIEW samples of the statement windows each variant of ``source`` changed, labelled by
    the analyzers on the variant. Variants that do not parse are skipped, repeated ones taken once."""
    before = set(window_texts(source, language))
    out: list[Sample] = []
    for variant in dict.fromkeys(variants):
        document = Document(variant, get_language(language))
        if document.tree is None or document.tree.root_node.has_error:
            continue
        items = review_items(analyzer.analyze(document))
        request = prepare_review(variant, language, "statement")
        for ((first, last), prompt), text in zip(zip(request.windows, request.prompts, strict=True),
                                                 window_texts(variant, language), strict=True):
            if text in before or shape(text) in banned:
                continue
            inside = [i for i in items if first <= i.line <= last]
            out.append(Sample("review", "review", split, prompt, fmt.review_answer(inside), source=variant,
                              items=[[i.cwe, i.line, i.message] for i in inside], language=language))
    return out


def fixed_variants(source: str, findings: list[Finding]) -> Iterator[str]:
    """``source`` with each finding's rule fix applied (one variant per finding with a fix)."""
    data = source.encode("utf-8")
    for finding in findings:
        if finding.fix is not None and finding.fix.edits:
            yield apply_edits(data, finding.fix.edits).decode("utf-8")


def pruned_variants(source: str, findings: list[Finding], language: str, rng: random.Random,
                    per_finding: int = 2, *, tree: tree_sitter.Tree | None = None) -> Iterator[str]:
    """``source`` with one prunable node (:data:`PRUNABLE`) inside a finding deleted, at most
    ``per_finding`` variants per finding, chosen at random; a node two findings share is pruned
    once. ``tree`` is ``source``'s parse tree when the caller has it (else it is parsed here)."""
    kinds = PRUNABLE.get(language)
    if kinds is not None and tree is None:
        tree = Document(source, get_language(language)).tree
    if kinds is None or tree is None:
        return
    data = source.encode("utf-8")
    done: set[tuple[int, int]] = set()
    for finding in findings:
        node = tree.root_node.descendant_for_byte_range(finding.span.start_byte, finding.span.end_byte)
        if node is None:
            continue
        candidates = [n for n in _descendants(node) if n.type in kinds and (n.start_byte, n.end_byte) not in done]
        for prunable in rng.sample(candidates, min(per_finding, len(candidates))):
            done.add((prunable.start_byte, prunable.end_byte))
            start, end = _with_comma(prunable)
            yield (data[:start] + data[end:]).decode("utf-8")


def _descendants(node: Any) -> Iterator[Any]:
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(current.named_children)


def _with_comma(node: Any) -> tuple[int, int]:
    """The byte range that deletes ``node`` and one comma next to it (the following one, with the
    space after it, else the preceding one), so that the list it was in stays well formed."""
    following = node.next_sibling
    if following is not None and following.type == ",":
        after = following.next_sibling
        return node.start_byte, after.start_byte if after is not None else following.end_byte
    preceding = node.prev_sibling
    if preceding is not None and preceding.type == ",":
        return preceding.start_byte, node.end_byte
    return node.start_byte, node.end_byte
