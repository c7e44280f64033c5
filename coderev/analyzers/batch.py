"""Analyzing many files at once, in parallel worker processes when that pays off.

Used by ``coderev scan`` and the benchmark. Each worker builds its analyzer once; files are
handed out in small chunks so a few big files do not leave a core idle.

Everything that crosses the process boundary is plain data (paths, findings, skips with a code
and a detail string), never an exception object: an exception whose ``__init__`` takes other
arguments than ``args`` cannot be unpickled, and ``multiprocessing.Pool`` waits forever for a
result it could not read. The pool is a :class:`~concurrent.futures.ProcessPoolExecutor`, which
reports a dead worker or an unreadable result as ``BrokenProcessPool``; a pool that makes no
progress for :func:`stall_seconds` is stopped. Either way the scan ends with a catalogued error
(SYS005) naming the files that were in flight, never a hang.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path

from coderev.analyzers.analysis import Analyzer
from coderev.analyzers.budget import skip_detail
from coderev.analyzers.config import AnalysisOptions
from coderev.analyzers.document import Document
from coderev.analyzers.errors import CoderevError
from coderev.analyzers.finding import Finding
from coderev.analyzers.fixcheck import with_checked_fix
from coderev.analyzers.languages import is_text_scan_candidate, language_for_path
from coderev.analyzers.project_files import Project
from coderev.analyzers.ruleset import RuleSet, load_rules
from coderev.analyzers.workspace import Skip, read_source

log = logging.getLogger("coderev.scan")

# Below this many files, starting worker processes costs more than it saves.
PARALLEL_THRESHOLD = 48
# A chunk of files that has not come back after this long means a worker is stuck (a file's own
# analysis is bounded far below it); the scan stops with SYS005 instead of waiting for ever.
MIN_STALL_SECONDS = 120.0


@dataclass(frozen=True, slots=True)
class FileResult:
    path: Path
    findings: tuple[Finding, ...]
    lines: int
    skip: Skip | None = None


def analyze_file(analyzer: Analyzer, path: Path) -> FileResult:
    """Findings of one file, or a skip; never raises for the file's content. An internal error on
    one file is that file's skip (SYS003), so the others are still analyzed and reported; the
    scan then exits 2 (see ``coderev.server.scan_command``)."""
    language = language_for_path(path)
    if language is None and not is_text_scan_candidate(path):
        return FileResult(path, (), 0, Skip.of(path, "ANA006", path.name))
    text = read_source(path, analyzer.options.max_file_size)
    if isinstance(text, Skip):
        return FileResult(path, (), 0, text)
    try:
        document = Document(text, language)
        run = analyzer.run(document, project=_project(), path=path)
        skip = None
        if run.skipped:  # the units done in time keep their findings; the rest is an ANA010 note
            skip = Skip.of(path, "ANA010", skip_detail(run.skipped, analyzer.options.file_budget_seconds))
        elif run.notes:  # a dependency file that did not parse (DEP002): its secrets were still checked
            skip = Skip.of(path, run.notes[0].code, run.notes[0].detail)
        snapshot = document.snapshot()
        findings = tuple(with_checked_fix(snapshot, f, analyzer) for f in run.findings)
        return FileResult(path, findings, document.lines.line_count, skip)
    except Exception as exc:  # a bug met on this file: report it as the file's skip, keep scanning
        skip = Skip.of(path, "SYS003", f"{type(exc).__name__} while analyzing {path}")
        log.error("%s", skip.error, extra={"code": "SYS003"})
        log.debug("traceback of the internal error", exc_info=True)
        return FileResult(path, (), 0, skip)


_worker: Analyzer | None = None  # set in the parent before forking: workers inherit it compiled
_PROJECT: list[Project] = []  # this process's view of the other files (read and parsed on demand)


def _project() -> Project:
    """The files around the scanned ones, for calls of their functions (one per process; trace
    steps in other files are shown relative to the working directory)."""
    if not _PROJECT:
        _PROJECT.append(Project(Path.cwd()))
    return _PROJECT[0]


def _prepare(analyzer: Analyzer, paths: Sequence[Path]) -> None:
    """Compile the queries of every language present, so forked workers share them."""
    for language in {language_for_path(p) for p in paths} - {None}:
        assert language is not None
        analyzer.compiled(language)


def _work(paths: list[Path]) -> list[FileResult]:
    assert _worker is not None
    return [analyze_file(_worker, path) for path in paths]


def stall_seconds(options: AnalysisOptions, chunk: int) -> float:
    """How long one chunk may take before its worker counts as stuck."""
    budget = options.file_budget_seconds or 0.0
    return max(MIN_STALL_SECONDS, 4.0 * budget * chunk)


def _stop(executor: ProcessPoolExecutor) -> None:
    """Shut the pool down now: kill its workers rather than wait for a stuck one."""
    terminate = getattr(executor, "terminate_workers", None)  # Python 3.14+
    if terminate is not None:
        terminate()
        return
    for process in list((getattr(executor, "_processes", None) or {}).values()):
        process.kill()
    executor.shutdown(wait=True, cancel_futures=True)


def _in_parallel(
    analyzer: Analyzer, paths: Sequence[Path], jobs: int, collect: Callable[[list[FileResult]], None]
) -> None:
    chunk = max(1, min(16, len(paths) // (jobs * 8)))
    chunks = [list(paths[i : i + chunk]) for i in range(0, len(paths), chunk)]
    stall = stall_seconds(analyzer.options, chunk)
    executor = ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("fork"))
    try:
        pending: dict[Future[list[FileResult]], list[Path]] = {executor.submit(_work, c): c for c in chunks}
        while pending:
            done, _ = wait(pending, timeout=stall, return_when=FIRST_COMPLETED)
            if not done:
                raise CoderevError("SYS005", f"no result for {stall:.0f} s while analyzing {_names(pending)}")
            for future in done:
                files = pending.pop(future)
                try:
                    collect(future.result())
                except BrokenProcessPool as exc:
                    raise CoderevError("SYS005", f"{exc} while analyzing {_names({future: files})}") from None
                except CoderevError:
                    raise
                except Exception as exc:  # an exception raised inside the worker, carried back
                    raise CoderevError(
                        "SYS005", f"{type(exc).__name__}: {exc} while analyzing {_names({future: files})}"
                    ) from None
    except BaseException:
        _stop(executor)
        raise
    executor.shutdown(wait=True)


def _names(pending: dict[Future[list[FileResult]], list[Path]], most: int = 5) -> str:
    files = [str(p) for chunk in pending.values() for p in chunk]
    more = f" and {len(files) - most} more" if len(files) > most else ""
    return ", ".join(files[:most]) + more


def analyze_files(
    paths: Sequence[Path],
    options: AnalysisOptions,
    *,
    rules: RuleSet | None = None,
    jobs: int | None = None,
    on_result: Callable[[FileResult], None] | None = None,
) -> list[FileResult]:
    """Analyze ``paths`` (sequentially or with ``jobs`` processes) and return results by path.

    Raises :class:`CoderevError` SYS005 when a worker process dies, stalls or sends back a result
    that cannot be read; the partial results are discarded, never reported as complete."""
    jobs = jobs or os.cpu_count() or 1
    results: list[FileResult] = []

    def collect(items: list[FileResult]) -> None:
        for item in items:
            results.append(item)
            if on_result is not None:
                on_result(item)

    global _worker
    analyzer = Analyzer(rules if rules is not None else load_rules(options.rule_dirs), options)
    if jobs <= 1 or len(paths) < PARALLEL_THRESHOLD or "fork" not in multiprocessing.get_all_start_methods():
        if len(paths) > 1:  # the literal prefilter pays off for one file, full queries for many
            _prepare(analyzer, paths)
        for path in paths:
            collect([analyze_file(analyzer, path)])
    else:
        # Compiling queries costs up to a second per language: do it once, here, and fork the
        # workers afterwards so they inherit the compiled queries instead of each compiling them.
        _prepare(analyzer, paths)
        _worker = analyzer
        try:
            _in_parallel(analyzer, paths, jobs, collect)
        finally:
            _worker = None
    results.sort(key=lambda r: str(r.path))
    return results
