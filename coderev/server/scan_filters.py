"""Which findings of a scan are reported: ``--baseline FILE`` (only findings the baseline does not
know) and ``--diff-from REF`` (only findings on lines changed since REF). The exit code follows
what is reported. Both are checked before the scan (a bad file or REF fails fast) and applied to
its results; ``--write-baseline`` records the unfiltered results (``coderev.server.baseline``)."""

from __future__ import annotations

import argparse
from dataclasses import dataclass, replace
from pathlib import Path

from coderev.analyzers.batch import FileResult
from coderev.analyzers.finding import Finding
from coderev.server.baseline import Baseline
from coderev.server.git_changes import Changed, GitChanges


def _touches(finding: Finding, rows: Changed) -> bool:
    """Whether the finding's lines, or a step of its trace in the same file, are changed."""
    if rows is None:
        return True
    span = finding.span
    if any(row in rows for row in range(span.start_row, span.end_row + 1)):
        return True
    return any(not step.path and step.span.start_row in rows for step in finding.trace)


@dataclass(slots=True)
class Filters:
    baseline: Baseline | None = None
    changes: GitChanges | None = None

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> Filters:
        baseline = Baseline.load(args.baseline) if args.baseline is not None else None
        changes = GitChanges(args.diff_from, Path.cwd()) if args.diff_from is not None else None
        return cls(baseline, changes)

    def apply(self, results: list[FileResult]) -> tuple[list[FileResult], list[str]]:
        """The results with only the findings to report, and a note for people on each filter."""
        notes: list[str] = []
        if self.baseline is not None:
            results, outcome = self.baseline.filter(results)
            notes.append(f"{outcome.known} finding(s) in the baseline {self.baseline.path} not reported")
            if outcome.stale:
                notes.append(f"{outcome.stale} baseline entr{'y' if outcome.stale == 1 else 'ies'} of the scanned "
                             "files no longer found (fixed or changed); `--write-baseline` drops them")
        if self.changes is not None:
            changed = self.changes.changed([r.path for r in results if r.findings])
            before = sum(len(r.findings) for r in results)
            results = [
                replace(r, findings=tuple(f for f in r.findings if _touches(f, changed[r.path])))
                if r.findings else r
                for r in results
            ]
            hidden = before - sum(len(r.findings) for r in results)
            notes.append(f"{hidden} finding(s) on lines unchanged since {self.changes.ref} not reported")
        return results, notes
