"""``coderev scan``: analyze files and directories, report findings, exit by severity."""

from __future__ import annotations

import argparse
import io
import json
import logging
import os
import sys
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from coderev.analyzers.batch import FileResult, analyze_files
from coderev.analyzers.budget import DEFAULT_FILE_BUDGET_SECONDS
from coderev.analyzers.config import (
    MAX_FILE_BUDGET_SECONDS,
    AnalysisOptions,
    find_project_config,
    option_selectors,
    options_from_mapping,
    read_config_file,
    unknown_selectors,
)
from coderev.analyzers.errors import CoderevError
from coderev.analyzers.finding import Edit, Severity, apply_edits
from coderev.analyzers.ruleset import RuleSet, load_rules
from coderev.analyzers.workspace import Skip, decode_with_encoding, iter_source_files

if TYPE_CHECKING:
    from rich.console import Console

    from coderev.server.reports import Report
    from coderev.server.scan_filters import Filters

log = logging.getLogger("coderev.scan")
EXIT_CLEAN, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2
PROGRESS_MIN_FILES = 200


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="+", type=Path, help="files or directories to scan")
    parser.add_argument("--format", choices=("text", "json", "sarif", "gitlab"), default="text",
                        help="gitlab: a GitLab SAST report (schema 15.x) for artifacts:reports:sast")
    parser.add_argument("--output", "-o", type=Path, help="write the report to FILE instead of stdout")
    parser.add_argument("--select", action="append", default=[], metavar="RULES",
                        help="only these rules: ids, id prefixes, categories or CWE-<n> (comma-separated)")
    parser.add_argument("--ignore", action="append", default=[], metavar="RULES", help="skip these rules")
    parser.add_argument("--severity", choices=[s.value for s in Severity], default="hint",
                        help="report and fail only on findings at or above this level (default: all)")
    parser.add_argument("--exclude", action="append", default=[], metavar="GLOB",
                        help="skip paths matching this gitignore-style glob (repeatable); relative to the "
                        "scanned folder or to the current directory (`scan src --exclude gen/` and "
                        "`--exclude src/gen/` are the same)")
    parser.add_argument("--rules", action="append", default=[], type=Path, metavar="DIR",
                        help="also load rule files from DIR")
    parser.add_argument("--config", type=Path, help="configuration file (default: .coderev.toml or "
                        "pyproject.toml [tool.coderev] in the current directory or above)")
    parser.add_argument("--fix", action="store_true", help="apply safe fixes to the files in place")
    parser.add_argument("--jobs", "-j", type=int, default=0, help="worker processes (default: CPU count)")
    parser.add_argument("--no-progress", action="store_true", help="never show a progress bar")
    parser.add_argument("--file-budget-seconds", type=_seconds, metavar="N",
                        help="rule matching one file may take; the definitions still unmatched then are "
                        f"skipped (ANA010) (default: {DEFAULT_FILE_BUDGET_SECONDS:g}, or file-budget-seconds "
                        "in the configuration file)")
    team = parser.add_argument_group("team workflow (docs/ci.md)")
    team.add_argument("--baseline", type=Path, metavar="FILE",
                      help="report only findings that FILE (written by --write-baseline) does not hold")
    team.add_argument("--write-baseline", type=Path, metavar="FILE",
                      help="write every finding of this scan to FILE as the accepted baseline, and exit 0")
    team.add_argument("--diff-from", metavar="REF",
                      help="report only findings on lines changed since the git commit REF (uses git)")
    team.add_argument("--watch", action="store_true",
                      help="scan, then scan changed files again and reprint the report until Ctrl-C (exit 0)")


def _seconds(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if not 0 < seconds <= MAX_FILE_BUDGET_SECONDS:  # also refuses nan
        raise argparse.ArgumentTypeError(
            f"expected seconds above 0 and at most {MAX_FILE_BUDGET_SECONDS:g}, got {value!r}")
    return seconds


def _split(values: list[str]) -> tuple[str, ...]:
    return tuple(v.strip() for value in values for v in value.split(",") if v.strip())


def _project_config(explicit: Path | None) -> tuple[dict[str, object], Path | None]:
    if explicit is not None:
        if not explicit.is_file():
            raise CoderevError("DAT002", f"configuration file {explicit} does not exist")
        data, errors = read_config_file(explicit)
        path = explicit
    else:
        data, path, errors = {}, None, []
        for directory in (Path.cwd(), *Path.cwd().parents):
            data, path, errors = find_project_config(directory)
            if path is not None:
                break
    if errors:
        raise errors[0]
    return data, path


def build_options(args: argparse.Namespace) -> AnalysisOptions:
    data, path = _project_config(args.config)
    args.config_dir = path.parent if path else None  # the file's exclude patterns may be relative to it
    # a configuration file belongs to the repository: its rule-dirs stay inside it; --rules is the user's
    options, errors = options_from_mapping(data, base=path.parent if path else None, confine=True)
    if errors:  # in CI a bad setting must fail loudly rather than silently change the scan
        raise errors[0]
    select = _split(args.select) or options.select
    ignore = options.ignore + _split(args.ignore)
    return AnalysisOptions(
        select=select,
        ignore=ignore,
        severity=options.severity,
        honor_foreign_suppressions=options.honor_foreign_suppressions,
        exclude=options.exclude + tuple(args.exclude),
        max_file_size=options.max_file_size,
        rule_dirs=options.rule_dirs + tuple(args.rules),
        file_budget_seconds=args.file_budget_seconds or options.file_budget_seconds,
        report_untraced=options.report_untraced,
        test_code_errors=options.test_code_errors,
    )


def _umask() -> int:
    mask = os.umask(0o022)  # reading the umask means setting it; put it back at once
    os.umask(mask)
    return mask


def _atomic_write(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        # an existing file keeps its mode; a new one gets a new file's (mkstemp's is 0600: a
        # report or baseline shared with the team must be readable like any file written here)
        Path(tmp).chmod(path.stat().st_mode & 0o7777 if path.exists() else 0o666 & ~_umask())
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def apply_safe_fixes(results: list[FileResult]) -> int:
    """Apply every safe fix in place (atomically per file); returns the number applied.

    Fix spans are offsets into the UTF-8 form of the text that was analyzed, so each file is
    decoded as it was for the analysis, edited as text and written back in its own encoding (a
    BOM and a PEP 263 declaration survive). A file whose fixed text its encoding cannot hold is
    left untouched, with an error."""
    applied = 0
    for result in results:
        fixes = [f.fix for f in result.findings if f.fix is not None and f.fix.safe]
        edits: list[Edit] = [edit for fix in fixes for edit in fix.edits]
        if not edits:
            continue
        decoded = decode_with_encoding(result.path, result.path.read_bytes())
        if isinstance(decoded, Skip):
            log.error("%s", decoded.error, extra={"code": decoded.code})
            continue
        text, encoding = decoded
        fixed = apply_edits(text.encode("utf-8"), edits).decode("utf-8")
        try:
            data = encoding.encode(fixed)
        except UnicodeEncodeError as exc:
            error = CoderevError("DAT001", f"{result.path}: the fixed text does not fit its {encoding.codec} "
                                 f"encoding ({exc.reason}); no fix applied to it")
            log.error("%s", error, extra={"code": error.code})
            continue
        _atomic_write(result.path, data)
        applied += len(fixes)
    return applied


def _load_rules(options: AnalysisOptions) -> RuleSet:
    rules = load_rules(options.rule_dirs)
    for error in rules.errors:
        log.error("%s", error, extra={"code": error.code})
    if rules.errors and options.rule_dirs:  # a broken user rule fails a CI scan loudly
        raise rules.errors[0]
    return rules


def _check_selectors(args: argparse.Namespace, options: AnalysisOptions, rules: RuleSet) -> None:
    """A selector that matches no rule is an error, not a scan that checks nothing: SYS002 for
    the command line, SYS001 for the configuration file."""
    given = {("--select", s) for s in _split(args.select)} | {("--ignore", s) for s in _split(args.ignore)}
    from_file = [(k, s) for k, s in option_selectors(options) if (f"--{k}", s) not in given]
    errors = unknown_selectors(sorted(given), list(rules), "SYS002") + unknown_selectors(from_file, list(rules))
    if errors:
        raise errors[0]


def _files(args: argparse.Namespace, options: AnalysisOptions) -> list[Path]:
    """The files a scan of ``args.paths`` covers now (excludes relative to the current directory or
    the configuration file's folder)."""
    bases = [Path.cwd(), *([args.config_dir] if args.config_dir else [])]
    return list(iter_source_files(args.paths, options.exclude, exclude_bases=bases))


def _scan(
    args: argparse.Namespace, options: AnalysisOptions, rules: RuleSet, console: Console
) -> list[FileResult]:
    files = _files(args, options)
    show_progress = console.is_terminal and not args.no_progress and len(files) >= PROGRESS_MIN_FILES
    if not show_progress:
        return analyze_files(files, options, rules=rules, jobs=args.jobs or None)
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    columns = (TextColumn("scanning"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("scan", total=len(files))
        return analyze_files(
            files, options, rules=rules, jobs=args.jobs or None,
            on_result=lambda _: progress.advance(task),
        )


def _check_modes(args: argparse.Namespace) -> None:
    """Options that cannot go together are a usage error (SYS002), not a guess."""
    if args.write_baseline is not None:
        for flag, given in (("--baseline", args.baseline), ("--diff-from", args.diff_from),
                            ("--watch", args.watch), ("--fix", args.fix)):
            if given:
                raise CoderevError("SYS002", f"--write-baseline records every finding; it cannot be used with {flag}")
    if args.watch and args.fix:
        raise CoderevError("SYS002", "--watch cannot be used with --fix (each fix would start another scan)")
    for path in args.paths:
        if not path.exists():
            raise CoderevError("DAT002", f"{path} does not exist")


def run(args: argparse.Namespace, version: str) -> int:
    # rich and the report writers are imported here, not at start-up: ``coderev serve`` parses the
    # same command line and must not pay for them
    from rich.console import Console

    from coderev.server.scan_filters import Filters

    err = Console(stderr=True, highlight=False)
    try:
        _check_modes(args)
        threshold = Severity(args.severity)
        options = build_options(args)
        rules = _load_rules(options)
        _check_selectors(args, options, rules)
        filters = Filters.from_args(args)  # a bad baseline or REF fails before the scan, not after
        reporter = _Reporter(args, filters, rules, threshold, version, err)
        if args.watch:
            from coderev.server import scan_watch

            return scan_watch.watch(
                args.paths, err,
                files=lambda: _files(args, options),
                analyze=lambda paths: analyze_files(paths, options, rules=rules, jobs=args.jobs or None),
                report=reporter,
            )
        started = datetime.now(UTC)
        results = _scan(args, options, rules, err)
        if args.fix:
            fixed = apply_safe_fixes(results)
            err.print(f"Applied {fixed} safe fix(es); rescanning.")
            results = _scan(args, options, rules, err)
        if args.write_baseline is not None:
            return _write_baseline(args.write_baseline, results, version, err)
        shown = reporter(results, started)
    except CoderevError as exc:
        log.error("%s", exc, extra={"code": exc.code})
        return EXIT_USAGE
    except Exception as exc:  # a bug: exit 2 with the catalogue code, never 1 ("findings")
        log.exception("%s", CoderevError("SYS003", f"{type(exc).__name__}: {exc}"), extra={"code": "SYS003"})
        return EXIT_USAGE
    if _met_a_bug(results):
        return EXIT_USAGE  # the report is written, but a file met a bug: CI must not pass silently
    return EXIT_FINDINGS if shown else EXIT_CLEAN


@dataclass(frozen=True, slots=True)
class _Reporter:
    """Filters results, writes the report and says what the filters left out; returns the number
    of findings reported (the exit code follows them)."""

    args: argparse.Namespace
    filters: Filters
    rules: RuleSet
    threshold: Severity
    version: str
    err: Console

    def __call__(self, results: list[FileResult], started: datetime) -> int:
        from coderev.server.reports import Report

        kept, notes = self.filters.apply(results)
        report = Report(kept, self.rules, self.threshold)
        _emit(self.args, report, self.version, started)
        for note in notes:
            self.err.print(f"coderev: {note}.", style="dim", markup=False, highlight=False, soft_wrap=True)
        return len(report.findings)


def _write_baseline(path: Path, results: list[FileResult], version: str, err: Console) -> int:
    from coderev.server import baseline

    _write_output(path, baseline.render(results, path, version))
    count = sum(len(r.findings) for r in results)
    err.print(f"Wrote {count} finding(s) to the baseline {path}; `coderev scan --baseline {path}` reports only "
              "new ones.", markup=False, highlight=False, soft_wrap=True)
    return EXIT_USAGE if _met_a_bug(results) else EXIT_CLEAN


def _emit(args: argparse.Namespace, report: Report, version: str, started: datetime) -> None:
    from rich.console import Console

    from coderev.server.reports import gitlab, json_report, sarif, text

    if args.format == "text" and args.output is None:
        text.render(report, Console(highlight=False, soft_wrap=True))
        return
    if args.format == "text":
        buffer = io.StringIO()
        text.render(report, Console(file=buffer, width=120, color_system=None, highlight=False))
        payload = buffer.getvalue()
    else:
        if args.format == "gitlab":
            document = gitlab.render(report, version, started, datetime.now(UTC))
        else:
            document = sarif.render(report, version) if args.format == "sarif" else json_report.render(report, version)
        payload = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    if args.output is None:
        sys.stdout.write(payload)
        sys.stdout.flush()  # --watch: each report reaches a pipe as it is written
        return
    _write_output(args.output, payload.encode("utf-8"))


def _write_output(path: Path, data: bytes) -> None:
    """A report or baseline file, written atomically; AUTH001 or DAT001 when it cannot be."""
    try:
        _atomic_write(path, data)
    except PermissionError as exc:
        raise CoderevError("AUTH001", f"cannot write {path}: {exc.strerror}") from exc
    except OSError as exc:
        raise CoderevError("DAT001", f"cannot write {path}: {exc.strerror or exc}") from exc


def _met_a_bug(results: list[FileResult]) -> bool:
    """Whether a file met an internal error (SYS003): the scan then exits 2, report or not."""
    return any(r.skip is not None and r.skip.code == "SYS003" for r in results)
