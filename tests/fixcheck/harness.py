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

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from coderev.analyzers import Analyzer, Document, Finding, Snapshot
from coderev.analyzers.finding import apply_edits
from coderev.analyzers.fixcheck import infer_param_style, verify_template_fix
from coderev.analyzers.languages import language_for_path

PROGRAMS = Path(__file__).resolve().parent
SUFFIXES = {".py": "python", ".js": "javascript", ".java": "java"}
FAMILIES = ("sql", "command", "hash", "key-size", "property")
EXPECTATIONS = ("fixed", "unfixed", "any", "clean")
TIMEOUT_S = 10.0
# What this suite cannot run here, for the summary.
NOT_COVERED = (
    "xxe with lxml (resolve_entities): lxml is not installed; the stdlib SAX shape is covered",
    "cookies through Flask/werkzeug: not installed; a minimal set_cookie on http.cookies stands in",
    "psycopg2 / pymysql / MySQLdb drivers (%s placeholders): not installed and no server; sqlite3 only",
    "Go: no Go toolchain on this machine",
    "javascript innerHTML -> textContent: needs a DOM, node has none",
)

_HEADER = re.compile(r"^\s*(?:#|//)\s*fixcheck:\s*([a-z-]+)\s*=\s*(.*?)\s*$", re.M)
_CONDITION = re.compile(r"^(?:(stdout|stderr)\s+)?(contains|lacks|regex)\s+(\".*\")$")


class HeaderError(ValueError):
    pass


@dataclass(frozen=True)
class Run:
    """One execution of a program. ``code`` is None when it timed out."""

    code: int | None
    stdout: str
    stderr: str

    def describe(self) -> str:
        status = "timed out" if self.code is None else f"exit {self.code}"
        lines = [line.strip() for line in self.stderr.strip().splitlines() if line.strip()]
        errors = [line for line in lines if re.match(r"^[\w.]*(Error|Exception)\b", line)]
        shown = errors[-1:] if errors and self.code != 0 else lines[-2:]
        return f"{status}, stdout {self.stdout!r}" + (f", stderr: {' | '.join(shown)}" if shown else "")


@dataclass(frozen=True)
class Condition:
    kind: str  # same | contains | lacks | regex
    value: str = ""
    stream: str = "stdout"

    @classmethod
    def parse(cls, text: str) -> Condition:
        if text == "same":
            return cls("same")
        match = _CONDITION.match(text)
        if match is None:
            raise HeaderError(f"not a condition: {text!r}")
        value = json.loads(match.group(3))
        if not isinstance(value, str):
            raise HeaderError(f"a condition's value is a JSON string: {text!r}")
        if match.group(2) == "regex":
            re.compile(value)
        return cls(match.group(2), value, match.group(1) or "stdout")

    def holds(self, run: Run, reference: Run | None = None) -> bool:
        """Whether ``run`` satisfies the condition; ``same`` compares with ``reference``."""
        output = run.stderr if self.stream == "stderr" else run.stdout
        if self.kind == "same":
            if reference is None:
                raise ValueError("'same' needs a reference run")
            return output == (reference.stderr if self.stream == "stderr" else reference.stdout)
        if self.kind == "contains":
            return self.value in output
        if self.kind == "lacks":
            return self.value not in output
        return re.search(self.value, output, re.M) is not None

    def __str__(self) -> str:
        if self.kind == "same":
            return "the same output as the original"
        stream = "" if self.stream == "stdout" else f"{self.stream} "
        return f"{stream}{self.kind} {json.dumps(self.value)}"


@dataclass(frozen=True)
class Program:
    path: Path
    language: str
    family: str
    rule: str | None
    benign: tuple[str, ...]
    attack: tuple[str, ...]
    attack_worked_if: Condition
    fixed_benign: Condition
    expect: str

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def source(self) -> str:
        return self.path.read_text(encoding="utf-8")


def _argv(key: str, text: str) -> tuple[str, ...]:
    value = json.loads(text)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise HeaderError(f"{key} is a JSON list of strings: {text!r}")
    return tuple(value)


def parse_program(path: Path) -> Program:
    """A program and its header (:class:`HeaderError` when the header is wrong)."""
    fields: dict[str, str] = {}
    for key, value in _HEADER.findall(path.read_text(encoding="utf-8")):
        if key in fields:
            raise HeaderError(f"{path.name}: {key} given twice")
        fields[key] = value
    known = {"family", "rule", "benign", "attack", "attack-worked-if", "fixed-benign", "expect"}
    if unknown := set(fields) - known:
        raise HeaderError(f"{path.name}: unknown header key(s) {sorted(unknown)}")
    family, expect = fields.get("family", ""), fields.get("expect", "any")
    if family not in FAMILIES:
        raise HeaderError(f"{path.name}: family must be one of {FAMILIES}, not {family!r}")
    if expect not in EXPECTATIONS:
        raise HeaderError(f"{path.name}: expect must be one of {EXPECTATIONS}, not {expect!r}")
    rule = fields.get("rule")
    if rule is None and expect != "clean":
        raise HeaderError(f"{path.name}: rule= is required (unless expect=clean)")
    if "attack-worked-if" not in fields:
        raise HeaderError(f"{path.name}: attack-worked-if= is required")
    benign = _argv("benign", fields.get("benign", "[]"))
    return Program(
        path=path,
        language=SUFFIXES[path.suffix],
        family=family,
        rule=rule,
        benign=benign,
        attack=_argv("attack", fields["attack"]) if "attack" in fields else benign,
        attack_worked_if=Condition.parse(fields["attack-worked-if"]),
        fixed_benign=Condition.parse(fields.get("fixed-benign", "same")),
        expect=expect,
    )


def load_programs(directory: Path = PROGRAMS) -> list[Program]:
    paths = sorted(p for p in directory.iterdir()
                   if p.suffix in SUFFIXES and p.name not in {"__init__.py", "harness.py"})
    return [parse_program(p) for p in paths]


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
            local = next((f for f in analyzer.analyze(Document(text, language))
                          if f.rule_id == finding.rule_id and f.span.start_byte == offset), None)
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


# --- running -------------------------------------------------------------------------------------


def _environment(home: str) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": home,
        "TMPDIR": home,
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "PYTHONHASHSEED": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONIOENCODING": "utf-8",
    }


def _execute(command: Sequence[str], root: Path) -> Run:
    """Run ``command`` in a fresh directory under ``root``."""
    cwd = tempfile.mkdtemp(prefix="run-", dir=root)
    try:
        done = subprocess.run(list(command), cwd=cwd, env=_environment(cwd), capture_output=True,
                              timeout=TIMEOUT_S, stdin=subprocess.DEVNULL, check=False)
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout or b""
        err = exc.stderr or b""
        return Run(None, out.decode("utf-8", "replace"), err.decode("utf-8", "replace"))
    finally:
        shutil.rmtree(cwd, ignore_errors=True)
    return Run(done.returncode, done.stdout.decode("utf-8", "replace"), done.stderr.decode("utf-8", "replace"))


@dataclass
class _Variant:
    """A program text to run (the original or a fixed version); ``batch`` groups Java variants that
    compile together (their class names differ)."""

    program: Program
    text: str
    batch: str
    command: list[str] = field(default_factory=list)
    broken: Run | None = None  # set when it does not compile


def _prepare(variants: Sequence[_Variant], root: Path) -> None:
    """Write every variant to disk and compile the Java ones; fill in ``command``."""
    java: dict[str, list[tuple[_Variant, Path]]] = {}
    for number, variant in enumerate(variants):
        folder = root / "src" / (variant.batch if variant.program.language == "java" else str(number))
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / variant.program.name
        path.write_text(variant.text, encoding="utf-8")
        if variant.program.language == "python":
            variant.command = [sys.executable, str(path)]
        elif variant.program.language == "javascript":
            variant.command = ["node", str(path)]
        else:
            java.setdefault(variant.batch, []).append((variant, path))

    def compile_batch(items: list[tuple[_Variant, Path]]) -> None:
        folder = items[0][1].parent
        done = _javac([p for _, p in items], folder / "classes")
        if done.code != 0 and len(items) > 1:  # compile each on its own, to tell which one fails
            for variant, path in items:
                single = folder / path.stem
                single.mkdir()
                shutil.copyfile(path, single / path.name)
                compile_batch([(variant, single / path.name)])
            return
        for variant, path in items:
            variant.broken = done if done.code != 0 else None
            variant.command = ["java", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xshare:auto",
                               "-cp", str(folder / "classes"), path.stem]

    with ThreadPoolExecutor(max_workers=max(1, min(4, os.cpu_count() or 1))) as pool:
        list(pool.map(compile_batch, java.values()))


def _javac(paths: Sequence[Path], classes: Path) -> Run:
    classes.mkdir(parents=True, exist_ok=True)
    try:
        done = subprocess.run(["javac", "-nowarn", "-d", str(classes), *map(str, paths)], capture_output=True,
                              timeout=120, check=False)
    except subprocess.TimeoutExpired:
        return Run(None, "", "javac timed out")
    return Run(done.returncode, done.stdout.decode("utf-8", "replace"), done.stderr.decode("utf-8", "replace"))


def _run_all(jobs: Sequence[tuple[_Variant, tuple[str, ...]]], root: Path, workers: int) -> list[Run]:
    def one(job: tuple[_Variant, tuple[str, ...]]) -> Run:
        variant, argv = job
        if variant.broken is not None:
            return Run(variant.broken.code or 1, "", "does not compile: " + variant.broken.stderr)
        return _execute([*variant.command, *argv], root)

    unique = list(dict.fromkeys((id(variant), argv) for variant, argv in jobs))  # a deterministic program
    variants = {id(variant): variant for variant, _ in jobs}  # runs once per input
    with ThreadPoolExecutor(max_workers=workers) as pool:
        done = dict(zip(unique, pool.map(one, [(variants[v], argv) for v, argv in unique]), strict=True))
    return [done[(id(variant), argv)] for variant, argv in jobs]


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
    variants: list[_Variant] = []
    jobs: list[tuple[_Variant, tuple[str, ...]]] = []
    slots: list[tuple[Outcome, FixAttempt | None]] = []
    outcomes = []
    for case in cases:
        outcome = Outcome(case.program, [(f.rule_id, f.span.start_row) for f in case.findings], case.fixes)
        outcomes.append(outcome)
        original = _Variant(case.program, case.program.source, "original")
        variants.append(original)
        jobs += [(original, case.program.benign), (original, case.program.attack)]
        slots.append((outcome, None))
        for index, fix in enumerate(case.fixes):
            if fix.offered:
                assert fix.fixed is not None
                variant = _Variant(case.program, fix.fixed, f"{fix.origin}-{index}")
                variants.append(variant)
                jobs += [(variant, case.program.benign), (variant, case.program.attack)]
                slots.append((outcome, fix))
    with tempfile.TemporaryDirectory(prefix="fixcheck-") as folder:
        root = Path(folder)
        _prepare(variants, root)
        say(f"prepared {len(variants)} program variants")
        runs = _run_all(jobs, root, workers or max(2, min(8, 2 * (os.cpu_count() or 1))))
        say(f"ran the programs {len({(id(v), argv) for v, argv in jobs})} times")
    for (outcome, fix), benign, attack in zip(slots, runs[0::2], runs[1::2], strict=True):
        if fix is None:
            outcome.original_benign, outcome.original_attack = benign, attack
        else:
            fix.benign, fix.attack = benign, attack
    for outcome in outcomes:
        _judge(outcome)
    return outcomes


# --- summary -------------------------------------------------------------------------------------


@dataclass
class Tally:
    programs: int = 0
    findings: int = 0
    template_rendered: int = 0
    template_verified: int = 0
    ai_asked: int = 0
    ai_verified: int = 0
    defeated: int = 0
    broken: int = 0
    with_fix: int = 0  # findings with at least one verified fix (template or AI)

    def add(self, outcome: Outcome) -> None:
        self.programs += 1
        self.findings += len(outcome.findings)
        templates = [f for f in outcome.fixes if f.origin == "template"]
        ais = [f for f in outcome.fixes if f.origin == "ai"]
        self.template_rendered += len(templates)
        self.template_verified += sum(f.offered for f in templates)
        self.ai_asked += len(ais)
        self.ai_verified += sum(f.offered for f in ais)
        self.defeated += sum(f.defeated for f in outcome.fixes)
        self.broken += sum(f.broken for f in outcome.fixes)
        self.with_fix += len({f.finding for f in outcome.fixes if f.offered})

    def row(self, label: str) -> list[str]:
        share = f"{self.with_fix}/{self.findings}" + (f" ({100 * self.with_fix / self.findings:.0f}%)"
                                                       if self.findings else "")
        return [label, str(self.programs), str(self.findings), f"{self.template_verified}/{self.template_rendered}",
                f"{self.ai_verified}/{self.ai_asked}", str(self.defeated), str(self.broken), share]


COLUMNS = ["family / language", "programs", "findings", "template verified/rendered", "AI verified/asked",
           "ran & stopped attack", "broken offered", "findings with a verified fix"]


def tallies(outcomes: Iterable[Outcome]) -> tuple[dict[tuple[str, str], Tally], Tally]:
    groups: dict[tuple[str, str], Tally] = {}
    total = Tally()
    for outcome in outcomes:
        key = (outcome.program.family, outcome.program.language)
        groups.setdefault(key, Tally()).add(outcome)
        total.add(outcome)
    order = {f: i for i, f in enumerate(FAMILIES)}
    return dict(sorted(groups.items(), key=lambda kv: (order[kv[0][0]], kv[0][1]))), total


def summary(outcomes: Sequence[Outcome], *, ai: bool = True) -> str:
    groups, total = tallies(outcomes)
    rows = [COLUMNS] + [t.row(f"{family} / {language}") for (family, language), t in groups.items()]
    rows.append(total.row("total"))
    widths = [max(len(r[i]) for r in rows) for i in range(len(COLUMNS))]

    def line(cells: list[str]) -> str:
        padded = (c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True)))
        return "  ".join(padded)

    rule = "  ".join("-" * w for w in widths)
    out = [line(rows[0]), rule, *(line(r) for r in rows[1:-1]), rule, line(rows[-1])]
    failing = [o for o in outcomes if o.problems]
    for origin in ("template", "ai"):
        why = Counter(f.problem for o in outcomes for f in o.fixes if f.origin == origin and not f.offered)
        if why:
            out.append("")
            out.append(f"why {'AI' if origin == 'ai' else origin} fixes were not offered ({sum(why.values())}):")
            out += [f"  {n:3d}  {problem}" for problem, n in why.most_common(6)]
    out.append("")
    out.append("template: the rule's own fix; AI: the shipped model's fix of the same finding. A fix is offered "
               "only when coderev verifies it;")
    out.append("every offered fix was applied and run: the benign input must give the original's output, the "
               "attack must no longer work.")
    if not ai:
        out.append("AI fixes were not asked for (--no-ai).")
    out.append("Not covered here:")
    out += [f"  - {item}" for item in NOT_COVERED]
    out.append(f"programs with a problem: {len(failing)}" + (": " + ", ".join(o.program.name for o in failing)
                                                              if failing else ""))
    return "\n".join(out)
