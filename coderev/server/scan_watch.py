"""``coderev scan --watch``: scan, then analyze again the files that change and reprint the report.

Files are watched with watchfiles (inotify, FSEvents, ReadDirectoryChangesW). After each batch of
changes, the files to scan are listed again (new files, deleted files, excludes and .gitignore
applied as in a normal scan) and only the changed ones are analyzed again, with the files whose
findings trace through a changed file (a helper's flow). The configuration and the rules are
read once, at start. Ctrl-C ends the watch with exit code 0: watching has no verdict to give.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from coderev.analyzers.batch import FileResult

if TYPE_CHECKING:
    from rich.console import Console

EXIT_STOPPED = 0
POLL_MS = 500  # how often the watcher wakes without changes (the first wake-up says it is ready)


def _watched(paths: list[Path]) -> list[Path]:
    """Directories to watch: those given, and the folder of each file given (editors often save
    by writing a new file and renaming it over the old one, which a watch on the file would miss)."""
    dirs = {(p if p.is_dir() else p.parent).resolve() for p in paths}
    return sorted(d for d in dirs if not any(parent in dirs for parent in d.parents))


def _dependents(results: dict[Path, FileResult], changed: set[Path]) -> set[Path]:
    """Files with a finding whose trace passes through one of the ``changed`` files."""
    cwd = Path.cwd()
    return {
        path for path, result in results.items()
        if any((cwd / step.path).resolve() in changed for f in result.findings for step in f.trace if step.path)
    }


def watch(
    paths: list[Path],
    err: Console,
    *,
    files: Callable[[], list[Path]],
    analyze: Callable[[list[Path]], list[FileResult]],
    report: Callable[[list[FileResult], datetime], int],
) -> int:
    """Run until Ctrl-C; ``files`` lists what a scan covers now, ``analyze`` scans some of them and
    ``report`` writes the report of all results."""
    import watchfiles

    try:
        started = datetime.now(UTC)
        results = {r.path: r for r in analyze(files())}
        report(sorted(results.values(), key=lambda r: str(r.path)), started)
        announced = False
        for changes in watchfiles.watch(*_watched(paths), rust_timeout=POLL_MS, yield_on_timeout=True):
            if not changes:
                if not announced:  # the watcher is set up: a change from now on is seen
                    err.print(f"Watching {', '.join(str(p) for p in paths)} for changes (Ctrl-C to stop).",
                              markup=False, highlight=False, soft_wrap=True)
                    announced = True
                continue
            started = datetime.now(UTC)
            changed = {Path(p).resolve() for _, p in changes}
            now = {p.resolve(): p for p in files()}
            gone = [p for p in results if p.resolve() not in now]
            todo = {p for r, p in now.items() if r in changed or p not in results}
            todo |= {p for p in _dependents(results, changed) if p.resolve() in now}
            if not todo and not gone:
                continue
            for path in gone:
                del results[path]
            results.update((r.path, r) for r in analyze(sorted(todo, key=str)))
            err.print(f"[{started.astimezone():%H:%M:%S}] {len(todo)} file(s) scanned again, {len(gone)} gone.",
                      markup=False, highlight=False, soft_wrap=True)
            report(sorted(results.values(), key=lambda r: str(r.path)), started)
    except KeyboardInterrupt:
        err.print("Stopped watching.", markup=False, highlight=False, soft_wrap=True)
    return EXIT_STOPPED
