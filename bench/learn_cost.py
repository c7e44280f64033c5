"""What one background learning run costs: ``coderev model learn`` on N accepted-fix pairs.

    .venv/bin/python bench/learn_cost.py [--pairs 200] [--method replay+ewc] [--work DIR]

The pairs are made the way the editor makes them: the built-in rules' ``bad`` examples, their
identifiers renamed (a fresh name set per variant), analysed, the rule's fix applied, and the
lines the fix changes before and after it with their top-level unit (what
``OpenDocument.fix_pair`` and ``fix_unit_lines`` give the accept command) recorded as
``accept`` events in a real feedback store, then exported with ``export_jsonl``, the file the
learning scheduler hands to ``coderev model learn --pairs``. The run is the command itself, as
the scheduler starts it (a child process, defaults: the packaged slot read back to float32, 300
steps, 400 old units evaluated and 400 replayed); its CPU time is the child's rusage (user +
system, all its threads), so other load on the machine does not inflate it.

Target (issue 21): 200 new pairs in 10 CPU-minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from coderev.analyzers.analysis import Analyzer
from coderev.analyzers.document import Document
from coderev.analyzers.finding import Edit, apply_edits
from coderev.analyzers.languages import get_language
from coderev.analyzers.ruleset import default_rules
from coderev.engine.feedback import EventKind, FeedbackEvent, FeedbackStore
from coderev.engine.learning.pairs import export_jsonl
from coderev.engine.training.continual.sources import renamed


def _lines(data: bytes, first: int, last: int) -> tuple[int, int]:
    starts = [0]
    for line in data.split(b"\n")[:-1]:
        starts.append(starts[-1] + len(line) + 1)
    return starts[first], (starts[last + 1] if last + 1 < len(starts) else len(data))


def fixed_lines(document: Document, edits: tuple[Edit, ...]) -> tuple[str, str, str]:
    """The whole lines the edits touch, before and after, and the whole lines of the top-level
    unit holding them (as the editor records an accept: ``OpenDocument.fix_pair``, ``fix_unit_lines``)."""
    data = document.source
    start, end = _lines(data, min(e.span.start_row for e in edits), max(e.span.end_row for e in edits))
    fixed = apply_edits(data, edits)
    delta = len(fixed) - len(data)
    low, high = min(e.span.start_byte for e in edits), max(e.span.end_byte for e in edits)
    assert document.tree is not None
    node = next((n for n in document.tree.root_node.children if n.start_byte <= low and high <= n.end_byte), None)
    unit = "" if node is None else data[slice(*_lines(data, node.start_point.row, node.end_point.row))].decode()
    return data[start:end].decode("utf-8"), fixed[start : end + delta].decode("utf-8"), unit


def record_pairs(store: FeedbackStore, wanted: int, seed: int) -> int:
    """Accept events of ``wanted`` distinct template fixes; returns how many were recorded."""
    analyzer = Analyzer()
    examples = [(rule, example) for rule in sorted(default_rules(), key=lambda r: r.id) if rule.fix is not None
                for example in rule.examples if example.kind == "bad"]
    rng = random.Random(seed)
    seen: set[tuple[str, str]] = set()
    for _ in range(40):  # rounds of renamed variants, until enough distinct pairs
        for rule, example in examples:
            if len(seen) >= wanted:
                return len(seen)
            spec = get_language(example.language)
            source = renamed(example.code, example.language, rule.query, rng, "train")
            if spec is None:
                continue
            document = Document(source, spec)
            found = [f for f in analyzer.analyze(document) if f.rule_id == rule.id and f.fix is not None]
            fix = found[0].fix if found else None
            if fix is None or document.tree is None:
                continue
            before, after, unit = fixed_lines(document, fix.edits)
            if (rule.id, before) in seen or before == after:
                continue
            seen.add((rule.id, before))
            store.record(FeedbackEvent(kind=EventKind.ACCEPT, rule_id=rule.id, fingerprint=found[0].fingerprint,
                                       language=example.language, context="", origin="template",
                                       before=before, after=after, unit=unit, category=rule.category))
    return len(seen)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pairs", type=int, default=200)
    parser.add_argument("--method", default="replay+ewc")
    parser.add_argument("--seed", type=int, default=1234)
    parser.add_argument("--work", type=Path, help="learn's work directory (default: a fresh temporary one)")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="coderev-learn-cost-"))
    store = FeedbackStore(work / "feedback")
    try:
        recorded = record_pairs(store, args.pairs, args.seed)
        pairs = work / "pairs.jsonl"
        exported = export_jsonl(store, pairs)
    finally:
        store.close()
    print(f"{recorded} accepted template fixes recorded, {exported} pairs exported to {pairs}")
    command = [sys.executable, "-m", "coderev.server.cli", "model", "learn", "--method", args.method,
               "--pairs", str(pairs), "--work", str(work / "learn"), "--no-install", "--json"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    wall = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        print(done.stderr, file=sys.stderr)
        return done.returncode
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    user, system = after.ru_utime - before.ru_utime, after.ru_stime - before.ru_stime
    print(" ".join(command[2:]))
    print(f"wall {wall:.0f} s; CPU {user + system:.0f} s ({user:.0f} user + {system:.0f} system) = "
          f"{(user + system) / 60:.1f} CPU-minutes (target <= 10); peak memory {after.ru_maxrss / 1024:.0f} MB")
    print(f"training {figures['train_seconds']} s, {figures['steps']} steps; old task verified-and-exact "
          f"{figures['old_verified_and_exact']:.3f} (drop {figures['old_drop_points']} points); new task "
          f"{figures['new_verified_and_exact']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
