"""Executable fix correctness: every fix coderev offers as verified, by a rule's template or by the
shipped model, is applied to a small vulnerable program and run; the benign input must give the
original's output and the attack must no longer work (tests/fixcheck/harness.py has the details and
the programs' header format; ``bench/fix_correctness.py`` prints the same summary).

The programs are analyzed, fixed and run once per module (the model is loaded once and asked in one
batch); each program is then its own test.
"""

from __future__ import annotations

import shutil

import pytest

from tests.fixcheck import harness, report

PROGRAMS = harness.load_programs()

# Fixes coderev offers as verified that break the program when run: real bugs in coderev, reported
# with the program and the fix (tests/fixcheck/harness.py prints both when the test runs). Strict:
# once coderev no longer offers the broken fix, the test passes and says to remove the entry.
KNOWN_BROKEN: dict[str, str] = {}  # program -> the coderev bug it shows (xfail strict until fixed)
for _name in KNOWN_BROKEN:
    assert any(p.name == _name for p in PROGRAMS), f"KNOWN_BROKEN names a missing program: {_name}"


def _param(program: harness.Program) -> object:
    reason = KNOWN_BROKEN.get(program.name)
    marks = [pytest.mark.xfail(strict=True, reason=f"coderev bug: {reason}")] if reason else []
    if program.language == "javascript" and shutil.which("node") is None:
        marks.append(pytest.mark.skip(reason="node is not installed"))
    if program.language == "java" and (shutil.which("javac") is None or shutil.which("java") is None):
        marks.append(pytest.mark.skip(reason="no Java JDK installed"))
    return pytest.param(program.name, marks=marks, id=program.name)


@pytest.fixture(scope="module")
def outcomes() -> dict[str, harness.Outcome]:
    runnable = [p for p in PROGRAMS
                if (p.language != "javascript" or shutil.which("node"))
                and (p.language != "java" or (shutil.which("javac") and shutil.which("java")))]
    return {o.program.name: o for o in harness.evaluate(runnable)}


@pytest.mark.parametrize("name", [_param(p) for p in PROGRAMS])
def test_program(name: str, outcomes: dict[str, harness.Outcome]) -> None:
    outcome = outcomes[name]
    assert outcome.original_benign is not None and outcome.original_attack is not None
    assert not outcome.problems, outcome.report()


def test_summary(outcomes: dict[str, harness.Outcome]) -> None:
    """Prints the summary table (``pytest -s``); no broken fix is offered beyond the known bugs."""
    values = list(outcomes.values())
    print()
    print(report.summary(values))
    groups, total = report.tallies(values)
    assert total.programs >= 60
    assert {"sql", "command", "hash", "property"} <= {family for family, _ in groups}
    broken = sorted({f"{o.program.name}: {f.label()}" for o in values for f in o.fixes if f.broken})
    unexpected = [b for b in broken if b.split(":")[0] not in KNOWN_BROKEN]
    assert not unexpected, "broken fixes offered as verified:\n" + "\n".join(unexpected)
    # The suite exercises fixes for real: most template fixes run and stop their attack.
    assert total.defeated >= 60 and total.template_verified >= 60
