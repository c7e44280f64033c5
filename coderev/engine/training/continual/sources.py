"""New data for ``coderev model learn``: FIX samples, accepted-fix pairs, or a team's rules.

- ``--data``: a JSONL of :class:`~coderev.engine.training.sample.Sample` (``write_jsonl``).
- ``--pairs``: the accepted-fix pairs :func:`coderev.engine.learning.pairs.export_jsonl` writes;
  each becomes a FIX sample through the slot's own prompt builder, kept only when the accepted
  code is what the analyzers verify as a fix of that finding (:func:`..data.fix_sample`). A pair
  is analysed in its top-level unit when it carries one (a taint finding's source is often lines
  above the fixed sink), else as the fixed lines alone.
- ``--rules``: a rule directory; each rule's ``bad`` examples, with their identifiers renamed
  from the training (or, for the held-out split, the held-out) word pool, labelled by the
  analyzers with those rules loaded, give FIX samples of the rule's own fix template.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Iterator
from pathlib import Path

from coderev.analyzers.analysis import Analyzer
from coderev.analyzers.document import Document
from coderev.analyzers.languages import get_language
from coderev.analyzers.paramstyle import ParamStyle, infer_param_style, param_style
from coderev.analyzers.ruleset import load_rules
from coderev.engine.model.placeholders import parse
from coderev.engine.model.vocabulary import keep_names
from coderev.engine.training.data import fix_sample
from coderev.engine.training.langs.common import Names
from coderev.engine.training.sample import Sample


def analyzer_for(rules: Path | None) -> Analyzer:
    """The built-in rules, plus a team's rule directory when given."""
    return Analyzer(load_rules([rules]) if rules is not None else None)


def fix_samples_of(source: str, language: str, analyzer: Analyzer, split: str, *, rule_id: str | None = None,
                   fixed: str | None = None, style: str = "") -> list[Sample]:
    """FIX samples of ``source``'s findings (only ``rule_id``'s, with ``fixed`` as the answer when
    given); ``style``: the file's SQL placeholder style (a unit alone shows no imports), else
    inferred from ``source``."""
    spec = get_language(language)
    if spec is None:
        return []
    document = Document(source, spec)
    if document.tree is None or document.tree.root_node.has_error:
        return []
    known = ParamStyle(style) if style in ParamStyle.__members__.values() else infer_param_style(source, language)
    with param_style(known):
        before = analyzer.analyze(document)
        out = []
        for finding in before:
            if rule_id is not None and finding.rule_id != rule_id:
                continue
            sample = fix_sample(source, finding, analyzer, split, before, fixed=fixed, style=known)
            if sample is not None:
                out.append(sample)
    return out


def from_pairs(path: Path, analyzer: Analyzer) -> list[Sample]:
    """FIX samples of the accepted-fix pairs whose accepted code verifies as the fix."""
    out: list[Sample] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        pair = json.loads(line)
        found: list[Sample] = []
        unit = pair.get("unit") or ""
        if pair["before"] and pair["before"] in unit:  # the fix's lines in their unit, as the editor saw them
            found = fix_samples_of(unit, pair["language"], analyzer, "train", rule_id=pair["rule_id"],
                                   fixed=unit.replace(pair["before"], pair["after"], 1), style=pair.get("style", ""))
        if not found:  # no unit recorded (older pairs), or the unit alone does not show the finding
            found = fix_samples_of(pair["before"], pair["language"], analyzer, "train", rule_id=pair["rule_id"],
                                   fixed=pair["after"], style=pair.get("style", ""))
        out += found[:1]
    return out


def _identifiers(source: str, language: str, protected: str) -> list[str]:
    """Identifiers of ``source`` that neither the rule's query nor the abstraction's kept names
    (keywords, builtins, the APIs rules are about) name: a user's names, safe to rename."""
    kept = keep_names(language)
    tree = parse(source, language)
    names: list[str] = []
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        if node.type in ("identifier", "property_identifier", "field_identifier") and node.text is not None:
            name = node.text.decode("utf-8")
            if name not in kept and name not in protected and name not in names:
                names.append(name)
        stack.extend(node.children)
    return sorted(names)


def renamed(source: str, language: str, protected: str, rng: random.Random, split: str) -> str:
    """``source`` with every renameable identifier replaced by a fresh name of ``split``'s pool."""
    fresh = Names(rng, split, language if language in ("python", "go", "java") else "javascript")
    mapping = {name: fresh() for name in _identifiers(source, language, protected)}
    if not mapping:
        return source
    pattern = re.compile(r"\b(" + "|".join(re.escape(n) for n in sorted(mapping, key=len, reverse=True)) + r")\b")
    return pattern.sub(lambda m: mapping[m.group(1)], source)


def from_rules(directory: Path, split: str, per_example: int, seed: int) -> Iterator[Sample]:
    """FIX samples of the rules in ``directory``: ``per_example`` renamed variants of each bad example."""
    rules = load_rules([directory], builtin=False)
    analyzer = analyzer_for(directory)
    for rule in sorted(rules, key=lambda r: r.id):
        rng = random.Random(f"{seed}:{split}:{rule.id}")  # noqa: S311 - reproducible
        for example in rule.examples:
            if example.kind != "bad":
                continue
            for _ in range(per_example):
                variant = renamed(example.code, example.language, rule.query, rng, split)
                yield from fix_samples_of(variant, example.language, analyzer, split, rule_id=rule.id)
