"""Loading a model slot and asking it for fixes and reviews, verified by the analyzers.

No torch here: a slot is a CTranslate2 model, its sentencepiece tokenizer and a manifest. Requests
are abstracted (:mod:`engine.model.placeholders`), prompted in the one line format
(:mod:`engine.model.prompt`), generated greedily, parsed, restored and verified
(:mod:`engine.model.verify`); an output that fails any step is dropped.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import ctranslate2
import sentencepiece as spm

from analyzers.analysis import Analyzer
from analyzers.document import Document
from analyzers.errors import CoderevError
from analyzers.finding import Finding
from analyzers.languages import get_language
from engine.model import prompt as fmt
from engine.model.compute import auto_compute
from engine.model.manifest import read_manifest, verify_slot
from engine.model.placeholders import Abstraction, abstract
from engine.model.verify import Verdict, verify_source

TOKENIZER = "tokenizer.model"


def default_slot_path() -> Path:
    """The slot shipped with the package (``engine/models/default``)."""
    return Path(str(resources.files("engine") / "models" / "default"))


@dataclass(frozen=True, slots=True)
class FixRequest:
    """A prepared FIX request: the prompt plus what is needed to turn the answer into code."""

    source: str
    finding: Finding
    rows: tuple[int, int]  # rows of ``source`` the replacement covers (inclusive)
    indent: str
    abstraction: Abstraction
    prompt: str


@dataclass(frozen=True, slots=True)
class FixResult:
    fixed_source: str | None  # the whole unit after the fix; None when the output was dropped
    replacement: str | None  # the restored replacement of ``rows``
    verdict: Verdict
    raw: str


def _lines(text: str, first: int, last: int) -> str:
    return "".join(text.splitlines(keepends=True)[first : last + 1])


def fix_rows(finding: Finding) -> tuple[int, int]:
    """The rows a fix for ``finding`` may replace: the rows of the rule's fix edits if any,
    else the rows of the finding."""
    if finding.fix is not None and finding.fix.edits:
        return (min(e.span.start_row for e in finding.fix.edits), max(e.span.end_row for e in finding.fix.edits))
    return finding.span.start_row, finding.span.end_row


def prepare_fix(source: str, finding: Finding) -> FixRequest:
    abstraction = abstract(source)
    first, last = fix_rows(finding)
    indent, region = fmt.dedent_region(_lines(abstraction.text, first, last))
    return FixRequest(source, finding, (first, last), indent, abstraction, fmt.fix_prompt(finding.rule_id, region))


def finish_fix(request: FixRequest, answer: str, analyzer: Analyzer, before: list[Finding] | None = None) -> FixResult:
    """Parse, restore, splice and verify one FIX answer."""
    replacement = fmt.parse_fix(answer)
    if replacement is None:
        return FixResult(None, None, Verdict(False, "answer does not follow the format"), answer)
    restored = fmt.reindent(request.abstraction.restore(replacement), request.indent)
    lines = request.source.splitlines(keepends=True)
    first, last = request.rows
    fixed = "".join(lines[:first]) + restored + "".join(lines[last + 1 :])
    language = get_language(request.finding.language) or get_language("python")
    if before is None:
        before = analyzer.analyze(Document(request.source, language))
    new_last = first + max(0, restored.count("\n") - 1)
    verdict = verify_source(fixed, request.finding, before, analyzer, (first, new_last), language=language,
                           original=request.source)
    return FixResult(fixed if verdict.ok else None, restored, verdict, answer)


def prepare_review(function: str) -> tuple[Abstraction, str]:
    abstraction = abstract(function)
    return abstraction, fmt.review_prompt(abstraction.text)


class ModelSlot:
    """One loaded slot. Thread-safe for concurrent ``generate`` calls (CTranslate2 queues them)."""

    def __init__(
        self,
        path: Path | None = None,
        *,
        device: str = "cpu",
        compute_type: str | None = None,
        intra_threads: int = 1,
        inter_threads: int = 1,
        verify_hashes: bool = True,
        model_dir: str | None = None,
    ) -> None:
        self.path = path or default_slot_path()
        self.manifest: dict[str, Any] = verify_slot(self.path) if verify_hashes else read_manifest(self.path)
        quantization = str(self.manifest.get("quantization", "int8"))
        self.device, self.compute_type = auto_compute(device, quantization, compute_type)
        start = time.perf_counter()
        try:
            self.tokenizer = spm.SentencePieceProcessor(model_file=str(self.path / TOKENIZER))
            self.generator = ctranslate2.Generator(
                model_dir or str(self.path), device=self.device, compute_type=self.compute_type,
                intra_threads=intra_threads, inter_threads=inter_threads,
            )
        except (OSError, RuntimeError, ValueError) as exc:
            raise CoderevError("PRV001", f"cannot load the model in {self.path}: {exc}") from exc
        self.load_seconds = time.perf_counter() - start

    def generate(self, prompts: Sequence[str], max_new_tokens: int = 256, batch_size: int = 32) -> list[str]:
        """Greedy answers to ``prompts`` (texts in the prompt format)."""
        if not prompts:
            return []
        tokens = [["<s>", *self.tokenizer.encode(p, out_type=str)] for p in prompts]
        results = self.generator.generate_batch(
            tokens, max_batch_size=batch_size, max_length=max_new_tokens, sampling_topk=1,
            beam_size=1, include_prompt_in_result=False,
        )
        return [self.tokenizer.decode(r.sequences_ids[0]) for r in results]

    def fix(self, source: str, finding: Finding, analyzer: Analyzer) -> FixResult:
        """A verified model fix for ``finding`` in ``source`` (a function or file)."""
        request = prepare_fix(source, finding)
        budget = 2 * len(self.tokenizer.encode(request.prompt)) + 16
        return finish_fix(request, self.generate([request.prompt], budget)[0], analyzer)

    def review(self, function: str) -> list[fmt.ReviewItem] | None:
        """Findings the model sees in ``function`` (line numbers 1-based within it), or None
        when the answer does not follow the format."""
        _, prompt = prepare_review(function)
        return fmt.parse_review(self.generate([prompt], 64)[0])
