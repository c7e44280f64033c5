"""Synthetic training and held-out data: FIX pairs and REVIEW functions, labelled by the analyzers.

A unit (function or class) is rendered by one language generator (:mod:`coderev.engine.training.langs`)
from context shapes, filler statements and vulnerable statements, with identifiers in one of
several naming styles. The real analyzers label it: every finding whose rule fix verifies (the
finding is gone, nothing new appears) gives a FIX pair over the finding's region
(:mod:`coderev.engine.model.region`), and the list of findings gives the REVIEW answer. A pair is kept
only when the gold answer, pushed through the very runtime path the model's answers take
(parse, restore, re-indent, splice), reproduces the rule's fixed source byte for byte.

Training data uses only training shapes and words; held-out data uses only held-out statement
wrappers, argument expressions, call layouts, context shapes, filler statements and identifier
words.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Iterator, Sequence
from dataclasses import asdict
from pathlib import Path
from types import ModuleType

from coderev.analyzers.analysis import Analyzer
from coderev.analyzers.document import Document
from coderev.analyzers.finding import Finding, apply_edits
from coderev.analyzers.fixcheck import verify_fix
from coderev.analyzers.languages import get_language
from coderev.analyzers.paramstyle import ParamStyle, param_style
from coderev.engine.model import prompt as fmt
from coderev.engine.model.placeholders import abstract_range, parse
from coderev.engine.model.region import dedent
from coderev.engine.model.slot import FixRequest, prepare_fix, prepare_review, splice
from coderev.engine.training import statements
from coderev.engine.training.contrast import fixed_variants, pruned_variants, variant_samples
from coderev.engine.training.decoys import decoys, held_out_shapes, window_shapes, wrapped
from coderev.engine.training.langs import go, java, javascript, python
from coderev.engine.training.sample import Sample, review_items

STYLES = (ParamStyle.QMARK, ParamStyle.FORMAT, ParamStyle.NUMERIC)
# (generator, share of the units, whether REVIEW samples are made for it)
GENERATORS: tuple[tuple[ModuleType, float, bool], ...] = (
    (python, 0.62, True), (javascript, 0.14, True), (go, 0.11, True), (java, 0.13, True),
)


def gold_replacement(request: FixRequest, fixed: str) -> str | None:
    """The abstracted, dedented text that replaces the request's region in ``fixed`` (the rule's
    fix applied), or None when it names something the request does not (the model could not
    know that name) or when it does not survive the runtime round trip exactly."""
    data, original = fixed.encode("utf-8"), request.source.encode("utf-8")
    start, end = request.span
    end += len(data) - len(original)
    if data[:start] != original[:start] or data[end:] != original[request.span[1]:]:
        return None
    answer = abstract_range(data, parse(fixed, request.language), start, end, language=request.language,
                            seed=request.abstraction, new_expressions=False)
    if set(answer.names) - set(request.abstraction.names):
        return None
    replacement = dedent(answer.text, request.indent)
    return replacement if splice(request, replacement)[1] == fixed and replacement != request.region else None


def fix_sample(source: str, finding: Finding, analyzer: Analyzer, split: str, before: list[Finding], *,
               style: ParamStyle | None = None, fixed: str | None = None) -> Sample | None:
    """A FIX pair from a finding whose rule fix passes every fix check (structure and the fix
    family's semantic check, :mod:`coderev.analyzers.fixcheck`), or None. ``style`` is the
    placeholder style the unit's SQL fixes were rendered in (the prompt says it). ``fixed``: the
    fixed source to learn instead of the rule's fix (an accepted fix), under the same checks."""
    if fixed is None:
        if finding.fix is None or not finding.fix.edits:
            return None
        fixed = apply_edits(source.encode("utf-8"), finding.fix.edits).decode("utf-8")
    request = prepare_fix(source, finding, style)
    replacement = gold_replacement(request, fixed)
    if replacement is None:
        return None
    try:
        hunks = fmt.edit_hunks(request.region, replacement)
    except ValueError:
        return None
    first = request.rows[0]
    last = first + replacement.count("\n")
    language = get_language(finding.language)
    assert language is not None
    if not verify_fix(source, fixed, finding, analyzer, (first, last), language=language, style=style,
                      before=before).verified:
        return None
    rule = finding.rule_id
    return Sample("fix", rule, split, request.prompt, fmt.fix_answer(hunks), source=source, rule_id=rule,
                  rows=request.rows, expected=fixed, language=finding.language, span=request.span,
                  style=style.value if style is not None else "")


def review_sample(source: str, findings: list[Finding], split: str, language: str = "python") -> Sample:
    """A held-out REVIEW: the whole function and its findings (the evaluation prompts it the way
    the slot asks, :func:`coderev.engine.model.slot.prepare_review`)."""
    items = review_items(findings)
    prompt = prepare_review(source, language, "function").prompts[0]
    return Sample("review", "review", split, prompt, fmt.review_answer(items), source=source,
                  items=[[i.cwe, i.line, i.message] for i in items], language=language)


def review_window_samples(source: str, findings: list[Finding], split: str, language: str, *,
                          rng: random.Random, negatives: int = 2, decoys: Sequence[str] = (),
                          banned: frozenset[str] = frozenset()) -> list[Sample]:
    """Training REVIEWs, one per statement window (what a ``review_windows: statement`` slot is
    asked): every window with a finding, every window holding one of ``decoys`` (random statements,
    :mod:`coderev.engine.training.decoys`) unless its shape is ``banned`` (a held-out shape), and up to
    ``negatives`` other windows without a finding."""
    items = review_items(findings)
    request = prepare_review(source, language, "statement")
    lines = source.split("\n")
    decoy_starts = {i for i, line in enumerate(lines, start=1)
                    if line.strip() and any(line.strip() == d.split("\n")[0].strip() for d in decoys)}
    shapes = window_shapes(source, language) if decoys else {}
    positive: list[Sample] = []
    negative: list[Sample] = []
    for (first, last), prompt in zip(request.windows, request.prompts, strict=True):
        inside = [i for i in items if first <= i.line <= last]
        sample = Sample("review", "review", split, prompt, fmt.review_answer(inside), source=source,
                        items=[[i.cwe, i.line, i.message] for i in inside], language=language)
        if first in decoy_starts:
            if shapes.get((first, last)) not in banned:
                positive.append(sample)
        else:
            (positive if inside else negative).append(sample)
    return positive + rng.sample(negative, min(negatives, len(negative)))


def _negative(sample: Sample) -> Sample:
    """Already-fixed code asked to be fixed again must come back unchanged."""
    region = sample.prompt.split("\n", 1)[1].rsplit(f"\n{fmt.ANSWER}\n", 1)[0]
    replacement = fmt.apply_fix(region, sample.answer) or ""
    hint = sample.prompt.split("\n", 1)[0].removeprefix(f"FIX {sample.rule_id}").strip()
    return Sample("fix", f"negative:{sample.rule_id}", sample.split, fmt.fix_prompt(sample.rule_id, replacement, hint),
                  fmt.fix_answer([]), source=sample.expected, rule_id=sample.rule_id,
                  language=sample.language)


def _generator(rng: random.Random) -> tuple[ModuleType, bool]:
    roll = rng.random()
    for module, share, review in GENERATORS:
        roll -= share
        if roll < 0:
            return module, review
    return GENERATORS[0][0], GENERATORS[0][2]


def generate(split: str, n_functions: int, seed: int, *, review_fraction: float = 0.4,
             negative_fraction: float = 0.12) -> Iterator[Sample]:
    """Samples of one split; deterministic for a given seed. ``review_fraction`` is the share of
    the units of a REVIEW language that become REVIEW samples."""
    rng = random.Random(f"{seed}:{split}")  # noqa: S311 - reproducible synthetic data
    analyzer = Analyzer()
    counters: dict[str, int] = {}
    for _ in range(n_functions):
        module, reviews = _generator(rng)
        review = reviews and rng.random() < review_fraction
        kinds: list[str] = module.KINDS
        if review:
            vulnerable = rng.sample(kinds, rng.choice((0, 0, 1, 1, 1, 2)))
            n_filler = rng.randint(1, 12)
        else:
            index = counters.get(module.LANGUAGE, 0)
            counters[module.LANGUAGE] = index + 1
            vulnerable = [kinds[index % len(kinds)]]
            n_filler = rng.randint(0, 4)
        extra = decoys(rng, module.LANGUAGE, rng.randint(1, 2)) if review and split == "train" else []
        if module is python and review and split == "train" and rng.random() < 0.5:
            core, is_statement = statements.core(rng.choice(statements.KINDS), rng, split)
            templates = [] if is_statement else [wrapped(rng, "python", core)]
            source, language = python.render(rng, split, vulnerable, n_filler, extra, templates=templates)
        else:
            source, language = module.render(rng, split, vulnerable, n_filler, extra)
        document = Document(source, get_language(language))
        tree = document.tree
        if tree is None or tree.root_node.has_error:
            continue
        # FIX units of Python play in a file of one of the drivers' placeholder styles (a generator
        # of its own, so the rest of the data stays as it was)
        style = None
        if not review and language == "python":
            style = random.Random(f"{seed}:style:{source}").choice(STYLES)  # noqa: S311 - reproducible
        with param_style(style):
            findings = analyzer.analyze(document)
        if review and split == "train":
            banned = held_out_shapes(module)
            yield from review_window_samples(source, findings, split, language, rng=rng, negatives=1, decoys=extra,
                                             banned=banned)
            # a generator of its own, so that the contrast samples leave the rest of the data as it was
            pruning = random.Random(f"{seed}:prune:{source}")  # noqa: S311 - reproducible synthetic data
            pruned = pruned_variants(source, findings, language, pruning, tree=tree)
            variants = [*fixed_variants(source, findings), *pruned]
            yield from variant_samples(source, variants, analyzer, split, language, banned=banned)
            continue
        if review:
            yield review_sample(source, findings, split, language)
            continue
        for finding in findings:
            with param_style(style):
                sample = fix_sample(source, finding, analyzer, split, findings, style=style)
            if sample is None:
                continue
            yield sample
            if rng.random() < negative_fraction:
                yield _negative(sample)


def write_jsonl(samples: list[Sample], path: Path) -> str:
    """Write samples; returns the sha256 of the file (the training data digest)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "".join(json.dumps(asdict(s), sort_keys=True) + "\n" for s in samples)
    path.write_text(text, encoding="utf-8")
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def read_jsonl(path: Path) -> list[Sample]:
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        raw = json.loads(line)
        raw["rows"] = tuple(raw["rows"])
        raw["span"] = tuple(raw.get("span", (0, 0)))
        out.append(Sample(**raw))
    return out
