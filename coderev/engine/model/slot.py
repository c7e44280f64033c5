"""Loading a model slot and asking it for fixes and reviews, verified by the analyzers.

No torch here: a slot is a CTranslate2 model, its sentencepiece tokenizer and a manifest. Requests
are abstracted (:mod:`coderev.engine.model.placeholders`), prompted in the one line format
(:mod:`coderev.engine.model.prompt`), generated greedily, parsed, restored and verified
(:mod:`coderev.engine.model.verify`); an output that fails any step is dropped.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import ctranslate2
import sentencepiece as spm

from coderev.analyzers.analysis import Analyzer
from coderev.analyzers.document import Document
from coderev.analyzers.errors import CoderevError
from coderev.analyzers.finding import Finding, Verification, failed
from coderev.analyzers.fixcheck import verify_fix
from coderev.analyzers.languages import get_language
from coderev.analyzers.paramstyle import ParamStyle
from coderev.engine.model import prompt as fmt
from coderev.engine.model.compute import auto_compute
from coderev.engine.model.manifest import read_manifest, verify_slot
from coderev.engine.model.placeholders import Abstraction, abstract, abstract_range, parse
from coderev.engine.model.region import dedent, find_region, reindent, rows_of
from coderev.engine.model.vocabulary import family

TOKENIZER = "tokenizer.model"
REVIEW_TOKENS = 48  # a REVIEW answer: about 10 tokens per finding
# What a runtime says when the machine, not the model files, failed it (a GPU out of memory, a
# CUDA driver too old, a library missing).
_ENVIRONMENT_FAILURE = re.compile(r"CUDA|cuBLAS|cuDNN|driver|out of memory|bad_alloc|cannot allocate|"
                                  r"lib\w+\.so", re.IGNORECASE)


def default_slot_path() -> Path:
    """The slot shipped with the package (``coderev/engine/models/default``)."""
    return Path(str(resources.files("coderev.engine") / "models" / "default"))


@dataclass(frozen=True, slots=True)
class FixRequest:
    """A prepared FIX request: the prompt plus what is needed to turn the answer into code."""

    source: str
    finding: Finding
    rows: tuple[int, int]  # rows of ``source`` the region covers (0-based, inclusive)
    indent: str  # removed from the region's continuation lines, added back to the answer's
    abstraction: Abstraction  # the region's placeholders
    prompt: str
    span: tuple[int, int] = (0, 0)  # byte offsets of the region in ``source`` (UTF-8)
    language: str = "python"
    region: str = ""  # the abstracted, dedented region the prompt shows (the answer's hunks apply to it)
    style: ParamStyle | None = None  # the placeholder style of the file's database driver


@dataclass(frozen=True, slots=True)
class FixResult:
    fixed_source: str | None  # the whole unit after the fix; None when the output was dropped
    replacement: str | None  # the restored text that replaced the region
    verification: Verification  # what was checked (coderev.analyzers.fixcheck); fixed_source only if verified
    raw: str


def fix_hint(finding: Finding, style: ParamStyle | None) -> str:
    """What the prompt tells the model beyond the rule: for SQL, the driver's placeholder."""
    return f"params={style.example}" if style is not None and finding.category == "sql-injection" else ""


def prepare_fix(source: str, finding: Finding, style: ParamStyle | None = None) -> FixRequest:
    """Abstract the finding's region (:mod:`coderev.engine.model.region`) and build its prompt;
    ``style`` is the placeholder style of the file ``source`` comes from."""
    language = finding.language or "python"
    data = source.encode("utf-8")
    tree = parse(source, language)
    region = find_region(data, tree, finding)
    abstraction = abstract_range(data, tree, region.start, region.end, language=language)
    text = dedent(abstraction.text, region.indent)
    return FixRequest(source, finding, rows_of(data, region.start, region.end), region.indent, abstraction,
                      fmt.fix_prompt(finding.rule_id, text, fix_hint(finding, style)), (region.start, region.end),
                      language, text, style)


def splice(request: FixRequest, replacement: str) -> tuple[str, str]:
    """(restored replacement, whole fixed source) for an abstracted, dedented replacement."""
    restored = reindent(request.abstraction.restore(replacement), request.indent)
    data = request.source.encode("utf-8")
    start, end = request.span
    fixed = data[:start] + restored.encode("utf-8") + data[end:]
    return restored, fixed.decode("utf-8")


def finish_fix(request: FixRequest, answer: str, analyzer: Analyzer, before: list[Finding] | None = None) -> FixResult:
    """Parse, apply, restore, splice and check one FIX answer (structure and fix family, as a
    template fix is checked)."""
    replacement = fmt.apply_fix(request.region, answer)
    if replacement is None:
        return FixResult(None, None, failed("answer does not follow the format"), answer)
    if replacement == request.region:
        return FixResult(None, None, failed("the answer changes nothing"), answer)
    restored, fixed = splice(request, replacement)
    language = get_language(request.language) or get_language("python")
    assert language is not None
    if before is None:
        before = analyzer.analyze(Document(request.source, language))
    start = request.span[0]
    rows = rows_of(fixed.encode("utf-8"), start, start + len(restored.encode("utf-8")))
    verification = verify_fix(request.source, fixed, request.finding, analyzer, rows, language=language,
                              style=request.style, before=before)
    return FixResult(fixed if verification.verified else None, restored, verification, answer)


@dataclass(frozen=True, slots=True)
class ReviewRequest:
    """A prepared REVIEW: one prompt per window of the function (all lines numbered as in it)."""

    abstraction: Abstraction  # to restore names, should a message ever carry one
    prompts: list[str]
    windows: list[tuple[int, int]]  # 1-based inclusive line ranges, one per prompt


REVIEW_WINDOWS = ("statement", "function")


def prepare_review(function: str, language: str = "python", windows: str = "statement") -> ReviewRequest:
    """The REVIEW prompts of ``function``: one per logical statement (``windows="statement"``, what a
    small slot is trained on: it judges one statement at a time, so it cannot point at the wrong
    line) or one for the whole function (``"function"``, for a model with room for the context).
    The manifest key ``review_windows`` says which a slot wants."""
    abstraction = abstract(function, language=language)
    lang = family(language)
    ranges = fmt.statement_windows(abstraction.text) if windows == "statement" else []
    if not ranges:
        ranges = [(1, max(1, len(abstraction.text.splitlines())))]
    return ReviewRequest(abstraction, [fmt.review_prompt(abstraction.text, lang, r) for r in ranges], ranges)


def finish_review(request: ReviewRequest, answers: Sequence[str]) -> list[fmt.ReviewItem] | None:
    """The findings of all windows, sorted; an item pointing outside its own window is dropped.
    None when no answer follows the format."""
    items: set[fmt.ReviewItem] = set()
    parsed_any = False
    for (first, last), answer in zip(request.windows, answers, strict=True):
        parsed = fmt.parse_review(answer)
        if parsed is None:
            continue
        parsed_any = True
        items.update(i for i in parsed if first <= i.line <= last)
    return sorted(items, key=lambda i: (i.line, i.cwe, i.message)) if parsed_any else None


def fix_budget(prompt_tokens: int) -> int:
    """New tokens allowed for a FIX answer: its hunks are at most the region plus what a fix adds."""
    return prompt_tokens + 32


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
        if self.manifest.get("prompt_format") != fmt.FORMAT_NAME:
            raise CoderevError("PRV008", f"the slot in {self.path} speaks {self.manifest.get('prompt_format')!r}; "
                               f"this coderev reads {fmt.FORMAT_NAME!r}")
        self.review_windows = str(self.manifest.get("review_windows", "function"))
        quantization = str(self.manifest.get("quantization", "int8"))
        try:
            self.device, self.compute_type = auto_compute(device, quantization, compute_type)
        except (OSError, RuntimeError, ValueError) as exc:  # PRV003 (a CoderevError) passes through
            raise CoderevError("PRV001", f"the device {device!r} cannot be used here ({exc}); set "
                               "coderev.model.device to auto or cpu") from exc
        start = time.perf_counter()
        try:
            self.tokenizer = spm.SentencePieceProcessor(model_file=str(self.path / TOKENIZER))
            self.generator = ctranslate2.Generator(
                model_dir or str(self.path), device=self.device, compute_type=self.compute_type,
                intra_threads=intra_threads, inter_threads=inter_threads,
            )
        except (OSError, RuntimeError, ValueError) as exc:
            if _ENVIRONMENT_FAILURE.search(str(exc)):
                raise CoderevError("PRV001", f"cannot load the model in {self.path} on {self.device}: {exc}") from exc
            # The files match their manifest (or were not checked) but are no model the runtime reads.
            raise CoderevError("PRV002", f"the files of {self.path} cannot be read as a model: {exc}") from exc
        self.load_seconds = time.perf_counter() - start

    def generate(self, prompts: Sequence[str], max_new_tokens: int = 256, batch_size: int = 32) -> list[str]:
        """Greedy answers to ``prompts`` (texts in the prompt format)."""
        return self.generate_counted(prompts, max_new_tokens, batch_size)[0]

    def generate_counted(self, prompts: Sequence[str], max_new_tokens: int = 256, batch_size: int = 32
                         ) -> tuple[list[str], list[int]]:
        """:meth:`generate`'s answers with the number of tokens generated for each (for the metrics)."""
        if not prompts:
            return [], []
        tokens = [["<s>", *self.tokenizer.encode(p, out_type=str)] for p in prompts]
        results = self.generator.generate_batch(
            tokens, max_batch_size=batch_size, max_length=max_new_tokens, sampling_topk=1,
            beam_size=1, include_prompt_in_result=False,
        )
        ids = [r.sequences_ids[0] for r in results]
        return [self.tokenizer.decode(i) for i in ids], [len(i) for i in ids]

    def warm_up(self) -> float:
        """Run two tiny generations (a batch with padding) and return the seconds they took.

        The first generation on a device pays one-time costs: on a GPU whose architecture the
        CTranslate2 wheel carries no machine code for (Hopper, with wheels built up to sm_86), the
        CUDA driver compiles the kernels from PTX then, which took 16 s on an H100. A worker warms
        up before it reports ready, so that cost lands in its load time, never in a request's
        timeout."""
        start = time.perf_counter()
        prompts = [fmt.review_prompt("pass", family("python"), (1, 1)), fmt.fix_prompt("warm-up", "x = 1\ny = 2")]
        self.generate(prompts, 2)
        return time.perf_counter() - start

    def fix(self, source: str, finding: Finding, analyzer: Analyzer, style: ParamStyle | None = None) -> FixResult:
        """A verified model fix for ``finding`` in ``source`` (a function or file)."""
        request = prepare_fix(source, finding, style)
        budget = fix_budget(len(self.tokenizer.encode(request.prompt)))
        return finish_fix(request, self.generate([request.prompt], budget)[0], analyzer)

    def review(self, function: str, language: str = "python") -> list[fmt.ReviewItem] | None:
        """Findings the model sees in ``function`` (line numbers 1-based within it), or None
        when the answer does not follow the format."""
        request = prepare_review(function, language, self.review_windows)
        return finish_review(request, self.generate(request.prompts, REVIEW_TOKENS))
