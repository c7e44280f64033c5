"""Human-readable output: each finding with a few lines of code around it and its fix."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from rich.console import Console
from rich.text import Text

from coderev.analyzers.finding import Finding, Severity, apply_edits
from coderev.server.reports import Report

CONTEXT = 2
_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan", Severity.HINT: "dim"}


def _line(lines: list[bytes], row: int) -> str:
    return lines[row].decode("utf-8", "replace").rstrip("\r") if row < len(lines) else ""


def _code(console: Console, report: Report, path: Path, finding: Finding) -> None:
    lines = report.lines(path)
    span = finding.span
    width = len(str(span.end_row + CONTEXT + 1))
    for row in range(max(0, span.start_row - CONTEXT), min(len(lines), span.end_row + CONTEXT + 1)):
        marker = ">" if span.start_row <= row <= span.end_row else " "
        console.print(Text(f"  {marker}{row + 1:>{width}} | ", style="dim") + Text(_line(lines, row)))
        if row == span.start_row == span.end_row:
            start = report.start(path, span).column
            end = max(report.end(path, span).column, start + 1)
            console.print(Text(f"   {' ' * width} | " + " " * (start - 1) + "^" * (end - start), style="red"))


def _fix(console: Console, report: Report, path: Path, finding: Finding) -> None:
    fix = finding.fix
    if fix is None:
        return
    verification = fix.verification
    if verification is None or not verification.verified:
        problem = verification.problem if verification is not None else "not checked"
        console.print(Text(f"  suggested fix (review needed: {problem}): {fix.description}", style="yellow"))
    else:
        label = "fix" if fix.safe else "fix (changes behaviour: review before applying)"
        console.print(Text(f"  {label}, verified: {fix.description}", style="green"))
        console.print(Text("    checked: " + "; ".join(verification.checked), style="dim"))
    source = report.source(path)
    first = min(e.span.start_row for e in fix.edits)
    last = max(e.span.end_row for e in fix.edits)
    before = source.split(b"\n")[first : last + 1]
    after_source = apply_edits(source, fix.edits)
    delta = after_source.count(b"\n") - source.count(b"\n")
    after = after_source.split(b"\n")[first : last + 1 + delta]
    for line in before:
        console.print(Text("    - " + line.decode("utf-8", "replace"), style="red"))
    for line in after:
        console.print(Text("    + " + line.decode("utf-8", "replace"), style="green"))


def _trace(console: Console, report: Report, path: Path, finding: Finding) -> None:
    """One line per step: ``3:5  label``, or ``helpers/db.py:12:5  label`` for a step in another
    file (what the evidence means is in the finding's message already)."""
    for step in report.steps(path, finding):
        where = f"{step.start.line}:{step.start.column}"
        if not step.same_file:
            where = f"{report.display_path(step.path)}:{where}"
        console.print(Text(f"  {where}  ", style="dim") + Text(step.label))


def render(report: Report, console: Console, *, show_code: bool = True) -> None:
    for result, finding in report.findings:
        start = report.start(result.path, finding.span)
        head = Text(f"{report.display_path(result.path)}:{start.line}:{start.column}: ", style="bold")
        head += Text(finding.severity.value, style=_STYLE[finding.severity])
        head += Text(f" {finding.rule_id} [{', '.join(f'CWE-{c}' for c in finding.cwe)}] ")
        head += Text(finding.message)
        console.print(head)
        _trace(console, report, result.path, finding)
        if show_code:
            _code(console, report, result.path, finding)
            _fix(console, report, result.path, finding)
            console.print()
    for result in report.skipped:
        assert result.skip is not None
        console.print(Text(f"note: skipped {report.display_path(result.path)}: {result.skip.error}", style="dim"))
    counts = Counter(f.severity.value for _, f in report.findings)
    # a file with ANA010 skips was analyzed, only some of its definitions were not
    files = sum(1 for r in report.results if r.skip is None or r.skip.code == "ANA010")
    summary = ", ".join(f"{n} {level}" for level, n in sorted(counts.items())) or "no findings"
    console.print(Text(f"Scanned {files} file(s): {len(report.findings)} finding(s) ({summary}).", style="bold"))
