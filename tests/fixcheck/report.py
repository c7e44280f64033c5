"""The fix-correctness summary table (tests/test_fix_correctness.py, bench/fix_correctness.py)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from tests.fixcheck.harness import Outcome
from tests.fixcheck.programs import FAMILIES, NOT_COVERED

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
