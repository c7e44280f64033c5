"""Synthetic training and held-out data: FIX pairs and REVIEW functions, labelled by the analyzers.

A function is rendered from a context shape, filler statements and vulnerable statements
(:mod:`engine.training.shapes`), with identifiers drawn in one of several naming styles. The
real analyzers label it: every finding with a rule fix whose application verifies (the finding
is gone, nothing new appears) gives a FIX pair, and the list of findings gives the REVIEW answer.
Training data uses only training shapes and words; held-out data uses only held-out statement
wrappers (:mod:`engine.training.statements`), held-out context shapes, held-out filler statements
and held-out identifier words.
"""

from __future__ import annotations

import hashlib
import json
import random
import textwrap
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

from analyzers.analysis import Analyzer
from analyzers.document import Document
from analyzers.finding import Finding, apply_edits
from analyzers.languages import get_language
from engine.model import prompt as fmt
from engine.model.placeholders import abstract
from engine.training import shapes
from engine.training.statements import KINDS
from engine.training.statements import statement as vulnerable_statement


@dataclass
class Sample:
    task: str  # "fix" or "review"
    kind: str  # the rule id for FIX (or "negative:<rule>"); "review" for REVIEW
    split: str  # "train" or "test"
    prompt: str
    answer: str
    source: str = ""  # the original function (for verification at evaluation)
    rule_id: str = ""
    rows: tuple[int, int] = (0, 0)  # region rows in ``source`` (inclusive)
    expected: str = ""  # FIX: expected fixed source
    items: list[list[object]] = field(default_factory=list)  # REVIEW: [cwe, line, message]


def _style_name(rng: random.Random, words: list[str], style: str) -> str:
    parts = rng.sample(words, rng.choice((1, 1, 2)))
    if style == "camel":
        return parts[0] + "".join(p.title() for p in parts[1:])
    if style == "short":
        return "".join(p[:3] for p in parts)
    if style == "prefixed":
        return "_" + "_".join(parts)
    return "_".join(parts)


class _Names:
    """Distinct identifiers for one function, in one naming style."""

    def __init__(self, rng: random.Random, words: list[str]) -> None:
        self.rng, self.words = rng, words
        self.style = rng.choice(("snake", "snake", "camel", "short", "prefixed"))
        self.used: set[str] = set()

    def __call__(self) -> str:
        for _ in range(50):
            name = _style_name(self.rng, self.words, self.style)
            if name not in self.used and name.isidentifier():
                self.used.add(name)
                return name
        name = f"{_style_name(self.rng, self.words, 'snake')}_{len(self.used)}"
        self.used.add(name)
        return name


def _holes(rng: random.Random, split: str) -> dict[str, str]:
    words = shapes.HELD_OUT_WORDS if split == "test" else shapes.TRAIN_WORDS
    cmds = shapes.CMD_HELD_OUT if split == "test" else shapes.CMD_TRAIN
    tables = shapes.TABLE_HELD_OUT if split == "test" else shapes.TABLE_TRAIN
    names = _Names(rng, words)
    holes = {k: names() for k in ("v", "w", "x", "fn", "conn", "cur")}
    holes["cls"] = "".join(p.title() for p in names().strip("_").split("_"))
    holes["q"] = rng.choice(('"', '"', "'"))
    holes["tbl"] = rng.choice(tables)
    holes["col"], holes["col2"] = (n.strip("_") for n in (names(), names()))
    flags = ("-l", "-h", "-a", "/tmp", "-v")  # noqa: S108 - words of a generated shell command
    holes["cmd"] = " ".join(rng.sample(cmds, 1) + [rng.choice(flags)][: rng.randint(0, 1)])
    holes["cmdword"], holes["cmdword2"] = rng.sample(cmds, 2)
    holes["path"] = rng.choice((holes["x"], f"{holes['q']}{holes['col']}.yaml{holes['q']}"))
    holes["url"] = rng.choice(shapes.URL_FORMS).format(**holes)
    return holes


def _pick(templates: list[str], held_out: int, split: str, rng: random.Random) -> str:
    pool = templates[-held_out:] if split == "test" else templates[:-held_out]
    return rng.choice(pool)


def render_function(rng: random.Random, split: str, vulnerable: list[str], n_filler: int) -> str:
    """One function with the given vulnerable statement kinds among ``n_filler`` safe ones."""
    holes = _holes(rng, split)
    statements = [_pick(shapes.SAFE, shapes.SAFE_HELD_OUT, split, rng) for _ in range(n_filler)]
    for kind in vulnerable:
        statements.insert(rng.randint(0, len(statements)), vulnerable_statement(kind, rng, split))
    body = "\n".join(s.format(**holes) for s in statements) or "pass"
    context = _pick(shapes.CONTEXTS, shapes.CONTEXT_HELD_OUT, split, rng)
    if "WTF_CSRF_ENABLED = False" in body and rng.random() < 0.5:
        context = "class {cls}:\n{body}"
    return context.format(body=textwrap.indent(body, "    "), body2=textwrap.indent(body, "        "), **holes) + "\n"


def _lines(text: str, first: int, last: int) -> str:
    return "".join(text.splitlines(keepends=True)[first : last + 1])


def fix_sample(source: str, finding: Finding, analyzer: Analyzer, split: str) -> Sample | None:
    """A FIX pair from a finding whose rule fix verifies, or None."""
    if finding.fix is None or not finding.fix.edits:
        return None
    from engine.model.verify import verify_source

    fixed = apply_edits(source.encode("utf-8"), finding.fix.edits).decode("utf-8")
    first, last = fix_rows(finding)
    delta = fixed.count("\n") - source.count("\n")
    before = analyzer.analyze(Document(source, get_language("python")))
    if not verify_source(fixed, finding, before, analyzer, (first, last + delta), original=source).ok:
        return None
    a_src = abstract(source)
    a_fixed = abstract(fixed, a_src)
    indent, region = fmt.dedent_region(_lines(a_src.text, first, last))
    replacement = _strip_indent(_lines(a_fixed.text, first, last + delta), indent)
    rule = finding.rule_id
    return Sample("fix", rule, split, fmt.fix_prompt(rule, region), fmt.fix_answer(replacement),
                  source=source, rule_id=rule, rows=(first, last), expected=fixed)


def fix_rows(finding: Finding) -> tuple[int, int]:
    """The rows (0-based, inclusive) that a finding's rule fix edits."""
    assert finding.fix is not None
    return (min(e.span.start_row for e in finding.fix.edits), max(e.span.end_row for e in finding.fix.edits))


def _strip_indent(text: str, indent: str) -> str:
    return "".join(line[len(indent):] if line.startswith(indent) else line for line in text.splitlines(keepends=True))


def review_items(findings: list[Finding], unit_start_row: int = 0) -> list[fmt.ReviewItem]:
    items = {
        fmt.ReviewItem(f.cwe[0] if f.cwe else 0, f.span.start_row - unit_start_row + 1, f.category)
        for f in findings
    }
    return sorted(items, key=lambda i: (i.line, i.cwe, i.message))


def review_sample(source: str, findings: list[Finding], split: str) -> Sample:
    items = review_items(findings)
    prompt = fmt.review_prompt(abstract(source).text)
    return Sample("review", "review", split, prompt, fmt.review_answer(items), source=source,
                  items=[[i.cwe, i.line, i.message] for i in items])


def generate(split: str, n_functions: int, seed: int, *, review_fraction: float = 0.3,
             negative_fraction: float = 0.12) -> Iterator[Sample]:
    """Samples of one split; deterministic for a given seed."""
    rng = random.Random(f"{seed}:{split}")  # noqa: S311 - reproducible synthetic data
    analyzer = Analyzer()
    kinds = list(KINDS)
    language = get_language("python")
    for index in range(n_functions):
        review = rng.random() < review_fraction
        if review:
            vulnerable = rng.sample(kinds, rng.choice((0, 0, 1, 1, 1, 2)))
            n_filler = rng.randint(1, 12)
        else:
            vulnerable = [kinds[index % len(kinds)]]
            n_filler = rng.randint(0, 4)
        source = render_function(rng, split, vulnerable, n_filler)
        document = Document(source, language)
        tree = document.tree
        if tree is None or tree.root_node.has_error:
            continue
        findings = analyzer.analyze(document)
        if review:
            yield review_sample(source, findings, split)
            continue
        for finding in findings:
            sample = fix_sample(source, finding, analyzer, split)
            if sample is None:
                continue
            yield sample
            if rng.random() < negative_fraction:
                yield _negative(sample, rng)


def _negative(sample: Sample, rng: random.Random) -> Sample:
    """Already-fixed code asked to be fixed again must come back unchanged."""
    replacement = fmt.parse_fix(sample.answer) or ""
    del rng
    return Sample("fix", f"negative:{sample.rule_id}", sample.split, fmt.fix_prompt(sample.rule_id, replacement),
                  fmt.fix_answer(replacement), source=sample.expected, rule_id=sample.rule_id)


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
        out.append(Sample(**raw))
    return out
