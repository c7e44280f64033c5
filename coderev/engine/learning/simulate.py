"""A simulated user, for measuring what the learner does (shared by the bench and the test).

The target (issue 7): a user who always dismisses one rule family sees at least 80% fewer of its
findings after 20 dismissals, while the other families' recall is unchanged.

How it is measured, honestly:

* Findings come from the real analyzers over a real workspace (``tests/fixtures`` by default),
  with the code context the server would store, and events go through a real
  :class:`~coderev.engine.feedback.FeedbackStore` in a temp directory via :class:`Learner.observe`.
* The target family's findings are split in two: the user works on the *training* half and the
  reduction is measured only on the *held-out* half, which the user never dismissed. (Counting
  the dismissed findings themselves would measure the exact-fingerprint filter, not learning.)
  When the training half has fewer than 20 findings the user meets them again, as they come back
  with a new fingerprint after the code around them is edited.
* Along the way the user also applies the template fixes of other families' findings (accepts),
  as a real user would, so the model sees both outcomes.
* The final measurement uses a *new* :class:`Learner` over the same store, i.e. after a restart.

"Shown" means not hidden (a hint is still shown); other families' recall counts only findings
kept at full severity, so a hint there counts as lost recall.
"""

from __future__ import annotations

import random
import tempfile
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from coderev.analyzers.batch import analyze_files
from coderev.analyzers.config import AnalysisOptions
from coderev.analyzers.finding import Finding
from coderev.analyzers.workspace import iter_source_files
from coderev.engine.feedback import EventKind, FeedbackEvent, FeedbackStore
from coderev.engine.learning.features import family_of, finding_context
from coderev.engine.learning.learner import Learner
from coderev.engine.learning.policy import Action

REDUCTION_TARGET = 0.8
DEFAULT_DISMISSALS = 20


@dataclass(frozen=True, slots=True)
class Seen:
    """A finding as the editor holds it: the finding, its file and the code around it."""

    finding: Finding
    path: str
    context: str

    @property
    def family(self) -> str:
        return family_of(self.finding.rule_id, self.finding.category)


@dataclass(frozen=True, slots=True)
class FamilyRow:
    family: str
    dismissed: bool  # the family the simulated user dismisses
    measured: int  # findings counted (held-out ones for the dismissed family)
    before: int  # visible before any feedback
    after: int  # visible after the dismissals
    hinted: int  # demoted to hints after

    @property
    def change(self) -> float:
        """Relative reduction of visible findings (0.0 = unchanged, 1.0 = all gone)."""
        return 1.0 - self.after / self.before if self.before else 0.0


@dataclass(frozen=True, slots=True)
class SimulationResult:
    target: str
    dismissals: int
    accepts: int
    rows: tuple[FamilyRow, ...]

    @property
    def target_row(self) -> FamilyRow:
        return next(r for r in self.rows if r.dismissed)

    @property
    def reduction(self) -> float:
        return self.target_row.change

    @property
    def other_recall(self) -> tuple[int, int]:
        """(kept before, kept after) over all other families."""
        others = [r for r in self.rows if not r.dismissed]
        return sum(r.before for r in others), sum(r.after for r in others)

    @property
    def passed(self) -> bool:
        before, after = self.other_recall
        return self.reduction >= REDUCTION_TARGET and after == before

    def table(self) -> str:
        lines = [f"{'family':26} {'role':9} {'n':>4} {'before':>7} {'after':>6} {'hinted':>7} {'reduction':>10}"]
        for r in self.rows:
            role = "dismissed" if r.dismissed else "other"
            lines.append(
                f"{r.family:26} {role:9} {r.measured:>4} {r.before:>7} {r.after:>6} {r.hinted:>7} {r.change:>9.0%}"
            )
        before, after = self.other_recall
        recall = after / before if before else 1.0
        lines.append(
            f"\n{self.target}: {self.reduction:.0%} fewer shown after {self.dismissals} dismissals "
            f"(target >= {REDUCTION_TARGET:.0%}); other families kept {after}/{before} ({recall:.0%}, "
            f"target unchanged); {self.accepts} other fixes accepted along the way"
        )
        return "\n".join(lines)


def collect(root: Path) -> list[Seen]:
    """Every finding under ``root`` (as ``coderev scan`` finds them) with its code context."""
    paths = list(iter_source_files([root]))
    out: list[Seen] = []
    for result in analyze_files(paths, AnalysisOptions(), jobs=1):
        source = result.path.read_bytes()
        secrets = [f.secret for f in result.findings if f.secret is not None]
        path = str(result.path.resolve())
        for finding in result.findings:
            out.append(Seen(finding, path, finding_context(source, finding.span.start_row, secrets)))
    return out


def _event(kind: EventKind, seen: Seen, fingerprint: str) -> FeedbackEvent:
    f = seen.finding
    fix = None
    if f.fix is not None:
        fix = {"description": f.fix.description, "safe": f.fix.safe, "edits": [e.text for e in f.fix.edits]}
    return FeedbackEvent(
        kind=kind, rule_id=f.rule_id, fingerprint=fingerprint, language=f.language, context=seen.context,
        fix=fix, path=seen.path, origin="template" if fix else "rule", severity=str(f.severity), category=f.category,
    )


def _visible(learner: Learner, items: Sequence[Seen]) -> dict[int, Action]:
    actions: dict[int, Action] = {}
    for i, seen in enumerate(items):
        [adjustment] = learner.adjust([seen.finding], path=seen.path, context=_fixed_context(seen.context))
        actions[i] = adjustment.action
    return actions


def _fixed_context(text: str) -> Callable[[Finding], str]:
    return lambda _finding: text


def run_simulation(
    root: Path,
    *,
    target: str | None = None,
    dismissals: int = DEFAULT_DISMISSALS,
    seed: int = 7,
    store_dir: Path | None = None,
) -> SimulationResult:
    """Simulate the user on the workspace at ``root`` (see the module docstring). ``target``
    defaults to the family with the most findings."""
    findings = collect(root)
    families = Counter(s.family for s in findings)
    if not findings:
        raise ValueError(f"no findings under {root}")
    target = target or families.most_common(1)[0][0]
    rng = random.Random(seed)  # noqa: S311 - a reproducible review order, not a secret
    targets = [s for s in findings if s.family == target]
    rng.shuffle(targets)
    train, held_out = targets[: (len(targets) + 1) // 2], targets[(len(targets) + 1) // 2 :]
    if not train or not held_out:
        raise ValueError(f"family {target!r} has {len(targets)} findings; the simulation needs at least 2")
    others = [s for s in findings if s.family != target]
    with tempfile.TemporaryDirectory(prefix="coderev-sim-") as tmp:
        store = FeedbackStore(store_dir or Path(tmp) / "store")
        try:
            learner = Learner(store)
            before_target = _visible(learner, held_out)
            before_others = _visible(learner, others)
            # The review: the user goes through the training findings interleaved with the other
            # families' fixable findings, dismissing the first and applying the fixes of the rest.
            fixable = [s for s in others if s.finding.fix is not None]
            rng.shuffle(fixable)
            accepts = done = rounds = 0
            while done < dismissals:
                for seen in train:
                    if done >= dismissals:
                        break
                    fingerprint = seen.finding.fingerprint if rounds == 0 else f"{seen.finding.fingerprint}~{rounds}"
                    learner.observe(_event(EventKind.DISMISS, seen, fingerprint))
                    done += 1
                    if rounds == 0 and accepts < len(fixable) and done % 2 == 0:
                        fixed = fixable[accepts]
                        learner.observe(_event(EventKind.ACCEPT, fixed, fixed.finding.fingerprint))
                        accepts += 1
                rounds += 1
            restarted = Learner(store)  # what the user sees after restarting the editor
            after_target = _visible(restarted, held_out)
            after_others = _visible(restarted, others)
        finally:
            store.close()
    rows = [
        FamilyRow(
            target, True, len(held_out),
            sum(a is not Action.HIDE for a in before_target.values()),
            sum(a is not Action.HIDE for a in after_target.values()),
            sum(a is Action.HINT for a in after_target.values()),
        )
    ]
    for family in sorted(set(families) - {target}):
        idx = [i for i, s in enumerate(others) if s.family == family]
        rows.append(
            FamilyRow(
                family, False, len(idx),
                sum(before_others[i] is Action.KEEP for i in idx),
                sum(after_others[i] is Action.KEEP for i in idx),
                sum(after_others[i] is Action.HINT for i in idx),
            )
        )
    return SimulationResult(target, dismissals, accepts, tuple(rows))
