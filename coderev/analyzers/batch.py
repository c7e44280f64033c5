"""Analyzing many files at once, in parallel worker processes when that pays off.

Used by ``coderev scan`` and the benchmark. Each worker builds its analyzer once; files are
handed out in small chunks so a few big files do not leave a core idle.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from coderev.analyzers.analysis import Analyzer
from coderev.analyzers.config import AnalysisOptions
from coderev.analyzers.document import Document
from coderev.analyzers.errors import CoderevError
from coderev.analyzers.finding import Finding
from coderev.analyzers.languages import is_secret_scan_candidate, language_for_path
from coderev.analyzers.ruleset import RuleSet, load_rules
from coderev.analyzers.workspace import Skip, read_source

# Below this many files, starting worker processes costs more than it saves.
PARALLEL_THRESHOLD = 48


@dataclass(frozen=True, slots=True)
class FileResult:
    path: Path
    findings: tuple[Finding, ...]
    lines: int
    skip: Skip | None = None


def analyze_file(analyzer: Analyzer, path: Path) -> FileResult:
    """Findings of one file, or a skip; never raises for the file's content."""
    language = language_for_path(path)
    if language is None and not is_secret_scan_candidate(path):
        return FileResult(path, (), 0, Skip(path, CoderevError("ANA006", f"{path.name}")))
    text = read_source(path, analyzer.options.max_file_size)
    if isinstance(text, Skip):
        return FileResult(path, (), 0, text)
    document = Document(text, language)
    return FileResult(path, tuple(analyzer.analyze(document)), document.lines.line_count)


_worker: Analyzer | None = None  # set in the parent before forking: workers inherit it compiled


def _prepare(analyzer: Analyzer, paths: Sequence[Path]) -> None:
    """Compile the queries of every language present, so forked workers share them."""
    for language in {language_for_path(p) for p in paths} - {None}:
        assert language is not None
        analyzer.compiled(language)


def _work(path: Path) -> FileResult:
    assert _worker is not None
    return analyze_file(_worker, path)


def analyze_files(
    paths: Sequence[Path],
    options: AnalysisOptions,
    *,
    rules: RuleSet | None = None,
    jobs: int | None = None,
    on_result: Callable[[FileResult], None] | None = None,
) -> list[FileResult]:
    """Analyze ``paths`` (sequentially or with ``jobs`` processes) and return results by path."""
    jobs = jobs or os.cpu_count() or 1
    results: list[FileResult] = []

    def collect(items: Iterable[FileResult]) -> None:
        for item in items:
            results.append(item)
            if on_result is not None:
                on_result(item)

    global _worker
    analyzer = Analyzer(rules if rules is not None else load_rules(options.rule_dirs), options)
    if jobs <= 1 or len(paths) < PARALLEL_THRESHOLD or "fork" not in multiprocessing.get_all_start_methods():
        if len(paths) > 1:  # the literal prefilter pays off for one file, full queries for many
            _prepare(analyzer, paths)
        collect(analyze_file(analyzer, path) for path in paths)
    else:
        # Compiling queries costs up to a second per language: do it once, here, and fork the
        # workers afterwards so they inherit the compiled queries instead of each compiling them.
        _prepare(analyzer, paths)
        _worker = analyzer
        try:
            with multiprocessing.get_context("fork").Pool(jobs) as pool:
                chunk = max(1, min(16, len(paths) // (jobs * 8)))
                collect(pool.imap_unordered(_work, paths, chunksize=chunk))
        finally:
            _worker = None
    results.sort(key=lambda r: str(r.path))
    return results
