"""Fix correctness on runnable programs: the summary of tests/test_fix_correctness.py.

    .venv/bin/python bench/fix_correctness.py [--no-ai] [--show] [NAME ...]

Every program in tests/fixcheck/ (small vulnerable programs with a benign and an attack input) is
analyzed; each fix coderev offers as verified, by the rule's template or by the shipped model, is
applied and the fixed program run. The table counts, per fix family and language: programs,
findings, template fixes verified of those rendered, AI fixes verified of those asked, offered fixes
that ran and stopped the attack, broken fixes offered (fixes that fail the benign run or let the
attack through), and the share of findings that got a verified fix. ``--show`` prints every
program's problems (the broken fixes with their diff); NAME restricts the run to programs whose
file name contains it. Exits 1 when an offered fix is broken.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.fixcheck import harness, report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="only programs whose file name contains one of these")
    parser.add_argument("--no-ai", action="store_true", help="template fixes only (do not load the model)")
    parser.add_argument("--show", action="store_true", help="print each failing program's problems")
    args = parser.parse_args()
    start = time.perf_counter()
    programs = [p for p in harness.load_programs() if not args.names or any(n in p.name for n in args.names)]
    outcomes = harness.evaluate(programs, ai=not args.no_ai,
                                progress=lambda m: print(f"[{time.perf_counter() - start:5.1f}s] {m}", file=sys.stderr))
    if args.show:
        for outcome in outcomes:
            if outcome.problems:
                print(outcome.report())
                print()
    print(report.summary(outcomes, ai=not args.no_ai))
    print(f"\n{time.perf_counter() - start:.1f} s")
    _, total = report.tallies(outcomes)
    return 1 if total.broken else 0


if __name__ == "__main__":
    sys.exit(main())
