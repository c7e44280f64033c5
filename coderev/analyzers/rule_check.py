"""Checking rule files the way the test suite checks the built-in ones (``coderev rules --check``).

A rule file is valid when it parses against the schema (ANA001), its query compiles for every
language it names (ANA002), and each of its inline examples behaves as declared (ANA009): a
``bad`` example is found, its declared ``fixed`` text is what the fix produces and the fix removes
the finding; a ``good`` example is not found. Teams writing their own rules get the same check as
``semgrep --test`` gives, without a separate test file.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from coderev.analyzers.analysis import Analyzer
from coderev.analyzers.config import AnalysisOptions
from coderev.analyzers.document import Document
from coderev.analyzers.errors import CoderevError
from coderev.analyzers.finding import Finding, apply_edits
from coderev.analyzers.languages import TEMPLATES, get_language
from coderev.analyzers.ruleset import Example, Rule, RuleSet, parse_rule, rule_files


@dataclass(frozen=True, slots=True)
class FileCheck:
    """The outcome for one rule file: the rule (when it parsed) and every problem found."""

    path: Path
    rule: Rule | None
    problems: tuple[CoderevError, ...]
    examples: int

    @property
    def ok(self) -> bool:
        return not self.problems


def example_problem(rule: Rule, example: Example, analyzer: Analyzer | None = None) -> str | None:
    """Why ``example`` does not behave as ``rule`` declares, or None when it does."""
    analyzer = analyzer or Analyzer(RuleSet([rule]), AnalysisOptions())

    # A file without a grammar is analyzed by its name: a template example gets its extension, an
    # example that names its file (a dependency file for an advisories rule) that name.
    template = next((t for t in TEMPLATES if t.id == example.language), None)
    path = Path(f"example{template.extensions[0]}") if template is not None else None
    if example.file:
        path = Path(example.file)

    def hits(code: str) -> list[Finding]:
        spec = get_language(example.language)
        return [f for f in analyzer.run(Document(code, spec), path=path).findings if f.rule_id == rule.id]

    found = hits(example.code)
    if example.kind == "good":
        if found:
            return f"fired on a good example (line {found[0].span.start_row + 1})"
        return None
    if not found:
        return "did not fire on a bad example"
    if example.fixed is None:
        return None
    with_fix = [f.fix for f in found if f.fix is not None]
    if not with_fix:
        return "offers no fix for an example that declares one"
    result = apply_edits(example.code.encode(), with_fix[0].edits).decode()
    if result != example.fixed:
        return f"the fix gives {result!r}, the example declares {example.fixed!r}"
    if len(hits(result)) != len(found) - 1:
        return "the fix does not remove the finding"
    return None


def check_file(path: Path) -> FileCheck:
    """Parse, compile and run the examples of one rule file; never raises for its content."""
    try:
        rule = parse_rule(path, path.read_text(encoding="utf-8"))
    except CoderevError as exc:
        return FileCheck(path, None, (exc,), 0)
    except (OSError, UnicodeDecodeError) as exc:
        return FileCheck(path, None, (CoderevError("DAT002", f"{path}: {exc}"),), 0)
    analyzer = Analyzer(RuleSet([rule]), AnalysisOptions())
    problems = []
    for index, example in enumerate(rule.examples, start=1):
        problem = example_problem(rule, example, analyzer)
        if problem is not None:
            problems.append(CoderevError("ANA009", f"{path}: {rule.id}: example {index} ({example.kind}) {problem}"))
    return FileCheck(path, rule, tuple(problems), len(rule.examples))


def check_paths(paths: Iterable[Path]) -> Iterator[FileCheck]:
    """:func:`check_file` for each file, and for each rule file under each directory."""
    for path in paths:
        if path.is_dir():
            yield from (check_file(p) for p in rule_files(path))
        elif path.is_file():
            yield check_file(path)
        else:
            yield FileCheck(path, None, (CoderevError("DAT002", f"{path} does not exist"),), 0)
