"""Scan reports: the shapes ``coderev scan`` writes (text for people, JSON, SARIF for CI)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from coderev.analyzers.batch import FileResult
from coderev.analyzers.finding import Finding, Severity, Span, TraceStep
from coderev.analyzers.patterns import redact
from coderev.analyzers.ruleset import RuleSet
from coderev.analyzers.workspace import Skip, read_source
from coderev.server.traces import masked, secret_values


@dataclass(frozen=True, slots=True)
class Location:
    """1-based line and column (Unicode code points) of a span, for people and SARIF."""

    line: int
    column: int


@dataclass(frozen=True, slots=True)
class Step:
    """A data-flow step as the reports show it: its label (secrets masked), the file it is in,
    whether that is the finding's own file, its span there, and where the span starts and ends
    (a file that cannot be read gives the step's line at column 1)."""

    label: str
    path: Path
    same_file: bool
    span: Span
    start: Location
    end: Location


@dataclass(slots=True)
class Report:
    """What a scan found, ready to render: results by file, the rules used, the threshold."""

    results: list[FileResult]
    rules: RuleSet
    threshold: Severity
    root: Path = field(default_factory=Path.cwd)
    _texts: dict[Path, bytes] = field(default_factory=dict)
    _secrets: dict[Path, tuple[str, ...]] = field(default_factory=dict)
    _resolved: dict[Path, Path] | None = None

    def shown(self, result: FileResult) -> list[Finding]:
        return [f for f in result.findings if f.severity.rank >= self.threshold.rank]

    @property
    def findings(self) -> list[tuple[FileResult, Finding]]:
        return [(r, f) for r in self.results for f in self.shown(r)]

    @property
    def skipped(self) -> list[FileResult]:
        return [r for r in self.results if r.skip is not None]

    def display_path(self, path: Path) -> str:
        try:
            return path.resolve().relative_to(self.root.resolve()).as_posix()
        except ValueError:
            return path.as_posix()

    def source(self, path: Path) -> bytes:
        """The file's text as reports show it: every secret found in it is masked."""
        if path not in self._texts:
            # decoded as the analysis decoded it (BOM, PEP 263), so spans index the same UTF-8 bytes
            text = read_source(path, max_size=1 << 31)
            data = b"" if isinstance(text, Skip) else text.encode("utf-8")
            secrets = [f.secret for r in self.results if r.path == path for f in r.findings if f.secret]
            self._secrets[path] = secret_values(data, secrets)
            self._texts[path] = redact(data, secrets)
        return self._texts[path]

    def secrets(self, path: Path) -> tuple[str, ...]:
        """The secrets found in the file, whole (to mask where they might be quoted)."""
        self.source(path)
        return self._secrets[path]

    def step_path(self, path: Path, step: TraceStep) -> Path:
        """The file of a trace step: the finding's own ``path``, or the step's workspace-relative
        path under :attr:`root` (the path of the scanned file when it is one, so its text and
        secrets are shared)."""
        if not step.path:
            return path
        where = Path(step.path) if Path(step.path).is_absolute() else self.root / step.path
        if self._resolved is None:
            self._resolved = {r.path.resolve(): r.path for r in self.results}
        return self._resolved.get(where.resolve(), where)

    def steps(self, path: Path, finding: Finding) -> list[Step]:
        """The finding's trace, source first, sink last."""
        out = []
        for step in finding.trace:
            where = self.step_path(path, step)
            secrets = self.secrets(path) + (self.secrets(where) if where != path else ())
            label = masked(step.label, secrets)
            start, end = self.start(where, step.span), self.end(where, step.span)
            out.append(Step(label, where, where == path, step.span, start, end))
        return out

    def lines(self, path: Path) -> list[bytes]:
        return self.source(path).split(b"\n")

    def location(self, path: Path, row: int, byte_col: int) -> Location:
        lines = self.lines(path)
        line = lines[row] if row < len(lines) else b""
        return Location(row + 1, len(line[:byte_col].decode("utf-8", "replace")) + 1)

    def start(self, path: Path, span: Span) -> Location:
        return self.location(path, span.start_row, span.start_col)

    def end(self, path: Path, span: Span) -> Location:
        return self.location(path, span.end_row, span.end_col)
