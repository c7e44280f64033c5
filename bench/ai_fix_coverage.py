"""AI-fix coverage: of the findings in a tree, how many get a verified AI fix, asked the way the
editor asks (the top-level unit holding the finding, :mod:`coderev.analyzers.fix_units`).

    python bench/ai_fix_coverage.py [--slot DIR] [--baseline DIR] [--show] [ROOT ...]

ROOT defaults to the bundled example app and the test fixtures (expectation markers blanked, as in
``bench/review_on_fixtures.py``). For each slot the table gives, per rule family: findings, those
whose rule has a fix family the checks know (``fixable``), those with a rule template fix, the AI
fixes that passed every check (structure and the family's semantic check, ``docs/fixes.md``), and
the share of findings and of fixable findings with a verified AI fix. ``--baseline`` runs a second
slot on the same findings in the same invocation. Files over 2 MB and files that are not UTF-8
are skipped, as the scanner skips them.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from coderev.analyzers import Analyzer, Document
from coderev.analyzers.fix_units import fix_unit
from coderev.analyzers.fixcheck.verify import FAMILIES
from coderev.analyzers.languages import language_for_path
from coderev.engine.model.slot import ModelSlot

REPO = Path(__file__).resolve().parent.parent
ROOTS = (REPO / "examples", REPO / "tests" / "fixtures")
MARKER = re.compile(r"/\*\s*expect(-not)?:.*?\*/|(//|#)\s*expect(-not)?:[^\n]*")
MAX_BYTES = 2_000_000


@dataclass
class Tally:
    findings: Counter[str] = field(default_factory=Counter)
    fixable: Counter[str] = field(default_factory=Counter)
    template: Counter[str] = field(default_factory=Counter)
    asked: Counter[str] = field(default_factory=Counter)
    verified: Counter[str] = field(default_factory=Counter)
    shown: list[str] = field(default_factory=list)
    seconds: float = 0.0


def _documents(roots: list[Path]) -> list[tuple[Path, Document]]:
    out = []
    for root in roots:
        paths = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
        for path in paths:
            language = language_for_path(path)
            if language is None or path.stat().st_size > MAX_BYTES:
                continue
            try:
                text = path.read_text(encoding="utf-8")
            except (UnicodeDecodeError, OSError):
                continue
            out.append((path, Document(MARKER.sub(lambda m: " " * len(m.group(0)), text), language)))
    return out


def measure(slot: ModelSlot, documents: list[tuple[Path, Document]], analyzer: Analyzer) -> Tally:
    tally = Tally()
    started = time.perf_counter()
    for path, document in documents:
        snapshot = document.snapshot()
        for finding in analyzer.analyze(document):
            family = finding.rule_id.split(".")[0] + "/" + finding.category
            tally.findings[family] += 1
            rule = analyzer.rules.get(finding.rule_id)
            if rule is None or rule.fix is None or rule.fix.check not in FAMILIES:
                continue
            tally.fixable[family] += 1
            tally.template[family] += finding.fix is not None
            unit = fix_unit(snapshot, finding, analyzer)
            if unit is None:
                continue
            tally.asked[family] += 1
            result = slot.fix(unit.text, unit.finding, analyzer, unit.style)
            if result.verification.verified:
                tally.verified[family] += 1
            else:
                tally.shown.append(f"{path}:{finding.span.start_row + 1} {finding.rule_id}: "
                                   f"{result.verification.problem}")
    tally.seconds = time.perf_counter() - started
    return tally


def _share(a: int, b: int) -> str:
    return f"{100 * a / b:5.1f}%" if b else "    -"


def report(label: str, slot: ModelSlot, tally: Tally, show: bool) -> None:
    print(f"{label} {slot.manifest['name']} {slot.manifest['version']} ({tally.seconds:.0f} s)")
    print(f"  {'family':34} {'findings':>8} {'fixable':>8} {'template':>8} {'asked':>6} {'AI ok':>6} "
          f"{'of all':>7} {'of fixable':>10}")
    for family in sorted(tally.findings):
        row = [tally.findings[family], tally.fixable[family], tally.template[family], tally.asked[family],
               tally.verified[family]]
        if row[1]:
            print(f"  {family:34} {row[0]:8} {row[1]:8} {row[2]:8} {row[3]:6} {row[4]:6} "
                  f"{_share(row[4], row[0]):>7} {_share(row[4], row[1]):>10}")
    total = [sum(c.values()) for c in (tally.findings, tally.fixable, tally.template, tally.asked, tally.verified)]
    print(f"  {'all':34} {total[0]:8} {total[1]:8} {total[2]:8} {total[3]:6} {total[4]:6} "
          f"{_share(total[4], total[0]):>7} {_share(total[4], total[1]):>10}")
    if show:
        for line in tally.shown:
            print(f"    {line}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("roots", nargs="*", type=Path, help="files or folders (default: examples, tests/fixtures)")
    parser.add_argument("--slot", type=Path, default=None, help="slot directory (default: the packaged slot)")
    parser.add_argument("--baseline", type=Path, default=None, help="a second slot to compare with")
    parser.add_argument("--show", action="store_true", help="print each finding whose AI fix was not verified")
    args = parser.parse_args()
    analyzer = Analyzer()
    documents = _documents(args.roots or list(ROOTS))
    print(f"{len(documents)} files")
    for label, path in [("slot", args.slot)] + ([("baseline", args.baseline)] if args.baseline else []):
        slot = ModelSlot(path)
        report(label, slot, measure(slot, documents, analyzer), args.show)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
