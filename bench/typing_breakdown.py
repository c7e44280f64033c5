"""Where a keystroke's time goes, in-process, on the keystrokes of bench/typing_latency.py.

    .venv/bin/python bench/typing_breakdown.py [--sessions 16] [--languages python,javascript,java]
                                               [--auto-close] [--limit N]

Each keystroke is replayed on a ``Document`` with the full rule query compiled (as in the server
after its warm-up), and three stages are timed: ``apply`` (Document.apply_changes: the edit and
tree-sitter's incremental reparse, on the server's event loop), ``tree`` (Snapshot.tree: for a text
with syntax errors, the tree made for it, ADR 0015/0018, or with ``--units`` its units; on the
analysis worker) and ``analyze``
(Analyzer.run with the document's unit cache). A fresh parse of the same text is timed as well:
every stage is also given as a ratio to it, which is what compares across machines and loads.
``matched`` is how many top-level units were matched again, ``error unit`` the size of the
largest unit with a syntax error (error recovery spreading over neighbouring units shows there).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import tree_sitter

from bench.keystrokes import typing_script
from bench.typing_latency import FILES
from coderev.analyzers import Analyzer, Document, Position, TextChange, TextRange, UnitCache, get_language

STAGES = ("apply", "tree", "analyze", "total")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def replay(language: str, sessions: int, auto_close: bool, limit: int, units: bool) -> list[dict[str, float]]:
    spec = get_language(language)
    assert spec is not None
    text = FILES[language][0]()
    keys = typing_script(text, language, sessions, auto_close=auto_close)[:limit]
    analyzer = Analyzer()
    analyzer.compiled(spec)
    document = Document(text, spec)
    cache = UnitCache()
    analyzer.run(document, cache)
    parser = tree_sitter.Parser(spec.grammar)
    rows = []
    for key in keys:
        change = TextChange(TextRange(Position(*key.start), Position(*key.end)), key.text)
        t0 = time.perf_counter()
        document.apply_changes([change])
        t1 = time.perf_counter()
        snapshot = document.snapshot()
        tree = snapshot.tree if not units else None
        made = snapshot.units if units else tree.root_node.children if tree is not None else []
        t2 = time.perf_counter()
        analyzer.run(snapshot, cache)
        t3 = time.perf_counter()
        parser.parse(snapshot.source)
        t4 = time.perf_counter()
        errors = [u.end_byte - u.start_byte for u in made if u.has_error]
        broken = snapshot.parsed is not None and snapshot.parsed.root_node.has_error
        rows.append({"broken": float(broken), "apply": t1 - t0, "tree": t2 - t1,
                     "analyze": t3 - t2, "total": t3 - t0, "fresh": t4 - t3, "matched": cache.matched,
                     "error unit": max(errors, default=0)})
    return rows


def report(language: str, rows: list[dict[str, float]]) -> None:
    for label, part in (("text parses", [r for r in rows if not r["broken"]]),
                        ("syntax errors", [r for r in rows if r["broken"]])):
        if not part:
            continue
        fresh = statistics.median(r["fresh"] for r in part) * 1000
        print(f"  {label}: {len(part)} keystrokes (a fresh parse of the text: p50 {fresh:.1f} ms)")
        print(f"    {'stage':<10} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'p50 x fresh':>12} {'p95 x fresh':>12}")
        for stage in STAGES:
            ms = [r[stage] * 1000 for r in part]
            ratio = [r[stage] / r["fresh"] for r in part]
            print(f"    {stage:<10} {statistics.median(ms):8.1f} {percentile(ms, 0.95):8.1f} {max(ms):8.1f} "
                  f"{statistics.median(ratio):12.2f} {percentile(ratio, 0.95):12.2f}")
        for count in ("matched", "error unit"):
            values = [r[count] for r in part]
            print(f"    {count:<10} {statistics.median(values):8.0f} {percentile(values, 0.95):8.0f} "
                  f"{max(values):8.0f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", type=int, default=16)
    parser.add_argument("--languages", default="python,javascript,java")
    parser.add_argument("--auto-close", action="store_true")
    parser.add_argument("--limit", type=int, default=10**9, help="at most this many keystrokes per language")
    parser.add_argument("--units", action="store_true",
                        help="time Snapshot.units instead of Snapshot.tree (for an analyzer that reads units)")
    args = parser.parse_args()
    for language in args.languages.split(","):
        rows = replay(language, args.sessions, args.auto_close, args.limit, args.units)
        print(f"{language}: {len(rows)} keystrokes of {args.sessions} typing sessions"
              f"{' (brackets and quotes auto-closed)' if args.auto_close else ''}")
        report(language, rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
