"""Executable fix correctness: small vulnerable programs run before and after coderev's fixes.

Every other file in this directory (``*.py``, ``*.js``, ``*.java``) is a small real program with
one vulnerability, a benign input and an attack input. For each program the harness

1. analyzes it with coderev;
2. takes, for every finding, the rule's template fix and, separately, the AI fix of the shipped
   model (asked as the language server asks it: on the top-level unit holding the finding, in the
   placeholder style of the file's driver);
3. applies each fix coderev offers as verified (a fix that is not verified is never offered, so it
   is counted but not applied), writes the fixed program and runs it: the benign run must exit 0
   and print what the original printed, and the attack must no longer work.

Programs declare their inputs in header comments, one ``fixcheck: key=value`` per line (``#`` or
``//`` comments):

``family=NAME``
    the family the program is counted under: sql, command, hash, key-size or property.
``rule=RULE_ID``
    the finding the program is about; the analysis must report it. Fixes of other findings in the
    program (incidental ones) must keep the benign run but are not expected to stop the attack.
``benign=JSON_LIST``
    argv of the benign run (default ``[]``).
``attack=JSON_LIST``
    argv of the attack run (default: the benign argv; for a property the unsafe value shows in
    the ordinary output: an MD5 digest, a disabled check, a shell process).
``attack-worked-if=CONDITION``
    when the attack run shows that the attack worked. It must hold for the original program (or
    the program would test nothing) and must not hold for a fixed one; a fixed program may refuse
    the attack with an error exit.
``fixed-benign=CONDITION``
    what the benign run of a fixed program must print: ``same`` (the default: exactly the
    original's output) or a condition, for fixes that change the output by design (a SHA-256 digest
    is longer than an MD5 one).
``expect=fixed|unfixed|any|clean``
    ``fixed``: the rule's template fix must be offered as verified; ``unfixed``: it must not be
    (no mechanical fix is right there: a table name or a LIKE pattern from input, a command that
    needs a shell, a password hash); ``any``: either; ``clean``: a control program with no finding,
    on which the attack must not work.

A CONDITION is ``same``, or ``[stdout|stderr] contains|lacks|regex JSON_STRING`` (stdout by
default), e.g. ``contains "bob"`` or ``stderr contains "spawn: /bin/sh"``.

Nothing from the programs runs in this process: each run is a subprocess in a fresh temporary
directory, with a minimal environment and a 10 s timeout. Java programs are compiled with one
``javac`` call per batch of variants.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from coderev.analyzers import Analyzer, Document, Finding, Snapshot
from coderev.analyzers.finding import apply_edits
from coderev.analyzers.fixcheck import infer_param_style, param_style, verify_template_fix
from coderev.analyzers.languages import language_for_path
from tests.fixcheck.programs import (  # noqa: F401 - the suite's API, re-exported
    EXPECTATIONS,
    FAMILIES,
    NOT_COVERED,
    PROGRAMS,
    SUFFIXES,
    TIMEOUT_S,
    Condition,
    HeaderError,
    Program,
    Run,
    load_programs,
    parse_program,
)
from tests.fixcheck.runner import Variant, prepare, run_all

# --- fixes ---------------------------------------------------------------------------------------


@dataclass
class FixAttempt:
    """One fix of one finding, by the rule's template or by the model, and what running it showed."""

    origin: str  # "template" | "ai"
    finding: int  # the finding's index in the program's findings
    rule_id: str
    row: int  # 0-based row of the finding
    target: bool  # the finding the program is about
    verified: bool
    problem: str  # why coderev did not verify it ("" when verified)
    fixed: str | None = None  # the whole fixed program, when offered
    benign: Run | None = None
    attack: Run | None = None
    failures: list[str] = field(default_factory=list)

    @property
    def offered(self) -> bool:
        return self.verified and self.fixed is not None

    @property
    def broken(self) -> bool:
        return self.offered and bool(self.failures)

    @property
    def defeated(self) -> bool:
        """Offered for the program's finding, ran, kept the benign output and stopped the attack."""
        return self.offered and self.target and not self.failures

    def label(self) -> str:
        return f"{self.origin} fix of {self.rule_id} (line {self.row + 1})"


@dataclass
class Outcome:
    program: Program
    findings: list[tuple[str, int]]  # (rule id, 0-based row)
    fixes: list[FixAttempt]
    original_benign: Run | None = None
    original_attack: Run | None = None
    problems: list[str] = field(default_factory=list)

    def report(self) -> str:
        return f"{self.program.name}:\n  " + "\n  ".join(self.problems)


@dataclass
class _Case:
    program: Program
    snapshot: Snapshot
    findings: list[Finding]
    fixes: list[FixAttempt]


def _analyze(program: Program, analyzer: Analyzer) -> _Case:
    language = language_for_path(program.path)
    assert language is not None, program.path
    document = Document(program.source, language)
    snapshot = document.snapshot()
    findings = analyzer.analyze(document)
    fixes: list[FixAttempt] = []
    for index, finding in enumerate(findings):
        if finding.fix is None:
            continue
        verification = verify_template_fix(snapshot, finding, analyzer)
        fixed = apply_edits(snapshot.source, finding.fix.edits).decode("utf-8") if verification.verified else None
        fixes.append(FixAttempt("template", index, finding.rule_id, finding.span.start_row,
                                finding.rule_id == program.rule, verification.verified, verification.problem, fixed))
    return _Case(program, snapshot, findings, fixes)


def _ai_fixes(cases: Sequence[_Case], analyzer: Analyzer, slot: object) -> None:
    """Ask the model for a fix of every finding, in one batch, as the language server asks it
    (coderev/server/lsp/ai_fixes.py: the top-level unit holding the finding, the finding found again
    in the unit alone, the file's placeholder style)."""
    from coderev.engine.model.slot import ModelSlot, finish_fix, fix_budget, prepare_fix

    assert isinstance(slot, ModelSlot)
    pending = []
    for case in cases:
        tree, language = case.snapshot.tree, case.snapshot.language
        assert tree is not None and language is not None
        style = infer_param_style(case.snapshot.source, language.id)
        for index, finding in enumerate(case.findings):
            target = finding.rule_id == case.program.rule
            start = finding.span.start_byte
            unit = next((n for n in tree.root_node.children if n.start_byte <= start < n.end_byte), None)
            if unit is None:
                case.fixes.append(FixAttempt("ai", index, finding.rule_id, finding.span.start_row, target, False,
                                             "no top-level unit holds the finding"))
                continue
            text = case.snapshot.source[unit.start_byte : unit.end_byte].decode("utf-8")
            offset = start - unit.start_byte
            with param_style(style):  # the unit alone does not show the file's imports
                found = analyzer.analyze(Document(text, language))
            local = next((f for f in found if f.rule_id == finding.rule_id and f.span.start_byte == offset), None)
            if local is None:
                case.fixes.append(FixAttempt("ai", index, finding.rule_id, finding.span.start_row, target, False,
                                             "the finding is not reported on its unit alone"))
                continue
            pending.append((case, index, finding, target, unit.start_byte, unit.end_byte,
                            prepare_fix(text, local, style)))
    if not pending:
        return
    budget = max(fix_budget(len(slot.tokenizer.encode(p[-1].prompt))) for p in pending)
    answers = slot.generate([p[-1].prompt for p in pending], budget)
    for (case, index, finding, target, start, end, request), answer in zip(pending, answers, strict=True):
        result = finish_fix(request, answer, analyzer)
        verified = result.verification.verified and result.fixed_source is not None
        fixed = None
        if verified and result.fixed_source is not None:
            source = case.snapshot.source
            fixed = (source[:start] + result.fixed_source.encode("utf-8") + source[end:]).decode("utf-8")
        case.fixes.append(FixAttempt("ai", index, finding.rule_id, finding.span.start_row, target, verified,
                                     result.verification.problem, fixed))


def load_slot() -> object:
    """The shipped default slot, on the CPU."""
    from coderev.engine.model.slot import ModelSlot

    return ModelSlot(intra_threads=2)  # a fixed thread count: the same answers on every machine


# --- judging -------------------------------------------------------------------------------------


def _diff(original: str, fixed: str) -> str:
    import difflib

    lines = difflib.unified_diff(original.splitlines(), fixed.splitlines(), "original", "fixed", n=1, lineterm="")
    return "\n".join(list(lines)[2:])


def _judge_fix(program: Program, fix: FixAttempt, benign: Run) -> list[str]:
    assert fix.benign is not None and fix.attack is not None
    failures = []
    if fix.benign.code != 0:
        failures.append(f"the benign run fails: {fix.benign.describe()}")
    elif not program.fixed_benign.holds(fix.benign, benign):
        failures.append(f"the benign output is not {program.fixed_benign}: {fix.benign.describe()} "
                        f"(original: {benign.stdout!r})")
    if fix.target:
        if fix.attack.code is None:
            failures.append(f"the attack run hangs: {fix.attack.describe()}")
        elif program.attack_worked_if.holds(fix.attack, fix.benign):
            failures.append(f"the attack still works ({program.attack_worked_if}): {fix.attack.describe()}")
    return failures


def _judge(outcome: Outcome) -> None:
    program, problems = outcome.program, outcome.problems
    benign, attack = outcome.original_benign, outcome.original_attack
    assert benign is not None and attack is not None
    rules = [rule for rule, _ in outcome.findings]
    if program.expect == "clean":
        if rules:
            problems.append(f"a control program, yet coderev reports {rules}")
    elif program.rule not in rules:
        problems.append(f"{program.rule} is not reported (findings: {rules or 'none'})")
    if benign.code != 0:
        problems.append(f"the original program fails its benign run: {benign.describe()}")
    worked = program.attack_worked_if.holds(attack, benign)
    if program.expect == "clean" and worked:
        problems.append(f"the attack works on the safe control ({program.attack_worked_if}): {attack.describe()}")
    if program.expect != "clean" and not worked:
        problems.append(f"the attack does not work on the original program ({program.attack_worked_if}), "
                        f"so the program tests nothing: {attack.describe()}")
    templates = [f for f in outcome.fixes if f.origin == "template" and f.target]
    if program.expect == "fixed" and not any(f.offered for f in templates):
        why = "; ".join(f.problem for f in templates) or "the rule rendered no template fix"
        problems.append(f"expected a verified template fix of {program.rule}, got none ({why})")
    if program.expect == "unfixed" and any(f.offered for f in templates):
        problems.append(f"a verified template fix of {program.rule} is offered where no mechanical fix is right")
    source = program.source
    for fix in outcome.fixes:
        if not fix.offered:
            continue
        fix.failures = _judge_fix(program, fix, benign)
        if fix.failures:
            assert fix.fixed is not None
            problems.append(f"BROKEN {fix.label()}, offered as verified: " + "; ".join(fix.failures)
                            + "\n    the fix:\n      " + _diff(source, fix.fixed).replace("\n", "\n      "))


def evaluate(
    programs: Sequence[Program] | None = None,
    *,
    ai: bool = True,
    slot: object | None = None,
    workers: int | None = None,
    progress: Callable[[str], None] | None = None,
) -> list[Outcome]:
    """Analyze, fix, run and judge every program (all of this directory's by default)."""
    programs = load_programs() if programs is None else programs
    say = progress or (lambda _: None)
    analyzer = Analyzer()
    cases = [_analyze(p, analyzer) for p in programs]
    say(f"analyzed {len(cases)} programs")
    if ai:
        _ai_fixes(cases, analyzer, slot if slot is not None else load_slot())
        say("asked the model")
    variants: list[Variant] = []
    jobs: list[tuple[Variant, tuple[str, ...]]] = []
    slots: list[tuple[Outcome, FixAttempt | None]] = []
    outcomes = []
    for case in cases:
        outcome = Outcome(case.program, [(f.rule_id, f.span.start_row) for f in case.findings], case.fixes)
        outcomes.append(outcome)
        original = Variant(case.program, case.program.source, "original")
        variants.append(original)
        jobs += [(original, case.program.benign), (original, case.program.attack)]
        slots.append((outcome, None))
        for index, fix in enumerate(case.fixes):
            if fix.offered:
                assert fix.fixed is not None
                variant = Variant(case.program, fix.fixed, f"{fix.origin}-{index}")
                variants.append(variant)
                jobs += [(variant, case.program.benign), (variant, case.program.attack)]
                slots.append((outcome, fix))
    with tempfile.TemporaryDirectory(prefix="fixcheck-") as folder:
        root = Path(folder)
        prepare(variants, root)
        say(f"prepared {len(variants)} program variants")
        runs = run_all(jobs, root, workers or max(2, min(8, 2 * (os.cpu_count() or 1))))
        say(f"ran the programs {len({(id(v), argv) for v, argv in jobs})} times")
    for (outcome, fix), benign, attack in zip(slots, runs[0::2], runs[1::2], strict=True):
        if fix is None:
            outcome.original_benign, outcome.original_attack = benign, attack
        else:
            fix.benign, fix.attack = benign, attack
    for outcome in outcomes:
        _judge(outcome)
    return outcomes


