"""Full-scan time against Bandit, and incremental re-analysis latency.

    python -m bench.scan_speed [--files N] [--tree DIR] [--rounds N] [--edits N] [--only scan|incremental]

The full scan runs ``coderev scan --format json`` with 1 and 2 jobs and ``bandit -f json`` as
processes on the same Python files, in alternation for ``--rounds`` rounds (paired runs on a
shared machine), and prints median wall time, CPU time, peak RSS and the ratio to Bandit. The
files are the first ``--files`` Python files of ``--tree`` in sorted order, or of the standard
library. The issue-18 tree is Django's source distribution (1,250 files: the package, docs and
the start of its tests)::

    pip download django==5.2.19 --no-deps --no-binary :all: -d /tmp/dj && tar xzf /tmp/dj/*.tar.gz -C /tmp/dj
    python -m bench.scan_speed --only scan --tree /tmp/dj/django-5.2.19 --files 1250 --rounds 3

The incremental part edits one character at a time in a 5,000-line file and times
Document.apply_changes + Analyzer.analyze (the work the language server does per keystroke).
"""

from __future__ import annotations

import argparse
import json
import keyword
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.corpus import large_python_file, stdlib_corpus
from coderev.analyzers import Analyzer, Document, Position, TextChange, TextRange, UnitCache, get_language


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


@dataclass(frozen=True, slots=True)
class Run:
    wall: float  # seconds, the whole process (interpreter start-up included)
    cpu: float  # user + system seconds of the process and every worker it waited for
    peak_mb: float  # the largest resident set of any one process in it (parent or worker)
    found: int


def measured(command: list[str], report: Path) -> Run:
    """Run ``command`` (which writes a JSON report to ``report``) and read its resource use."""
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert process.stderr is not None
    errors = process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode not in (0, 1):  # both exit 1 when they found something
        raise SystemExit(f"{command[0]} failed ({process.returncode}): {errors.decode()[-2000:]}")
    data = json.loads(report.read_text(encoding="utf-8"))
    found = len(data.get("findings", data.get("results", [])))
    return Run(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, found)


def python_files(tree: Path | None, count: int) -> list[Path]:
    """The first ``count`` Python files of ``tree`` in sorted order, or of the standard library."""
    if tree is None:
        return stdlib_corpus(count)
    return sorted(p for p in tree.rglob("*.py") if p.is_file())[:count]


def full_scan(files: list[Path], rounds: int, keep: Path | None) -> None:
    """``coderev scan`` with 1 and 2 jobs and ``bandit`` on the same files, as processes, in
    alternation (a paired comparison on a shared machine); medians over ``rounds``."""
    bin_dir = Path(sys.executable).parent
    bandit = shutil.which("bandit", path=str(bin_dir)) or shutil.which("bandit")
    lines = sum(f.read_bytes().count(b"\n") for f in files)
    print(f"full scan: {len(files)} Python files, {lines} lines, {rounds} rounds of paired runs")
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch)
        listed = [str(f) for f in files]
        commands: dict[str, tuple[list[str], Path]] = {
            f"coderev scan --jobs {jobs}": (
                [str(bin_dir / "coderev"), "scan", "--format", "json", "--no-progress", "--jobs", str(jobs),
                 "-o", str(out / f"coderev{jobs}.json"), *listed],
                out / f"coderev{jobs}.json",
            )
            for jobs in (1, 2)
        }
        if bandit is not None:
            commands["bandit"] = ([bandit, "-q", "-f", "json", "-o", str(out / "bandit.json"), *listed],
                                  out / "bandit.json")
        runs: dict[str, list[Run]] = {name: [] for name in commands}
        for _ in range(rounds):
            for name, (command, report) in commands.items():
                runs[name].append(measured(command, report))
        if keep is not None:
            shutil.copyfile(out / "coderev1.json", keep)
    walls = {name: statistics.median(r.wall for r in rs) for name, rs in runs.items()}
    for name, rs in runs.items():
        cpu = statistics.median(r.cpu for r in rs)
        peak = max(r.peak_mb for r in rs)
        ratio = f"  {walls[name] / walls['bandit']:.2f}x bandit" if "bandit" in walls else ""
        print(f"  {name:<22} wall {walls[name]:6.2f} s (min {min(r.wall for r in rs):6.2f})  "
              f"cpu {cpu:6.2f} s  peak RSS {peak:6.0f} MB  {rs[0].found:5d} findings{ratio}")
    if "bandit" not in walls:
        print("  bandit is not installed (pip install 'coderev-lsp[bench]'); no ratio")


def _session(doc: Document, analyzer: Analyzer, cache: UnitCache, edits: int, *, into_keywords: bool,
             seed: int) -> tuple[list[float], list[float]]:
    """Type one letter inside a random name (or keyword), then delete it again: both are timed."""
    rng = random.Random(seed)
    words = [m.start() + 1 for m in re.finditer(rb"[A-Za-z_]{3,}", doc.source)
             if keyword.iskeyword(m.group().decode()) is into_keywords]
    chars = "abcxyz_"
    parses: list[float] = []
    totals: list[float] = []
    for step in range(edits // 2):
        at = doc.lines.position_of(rng.choice(words), doc.encoding)
        after = Position(at.line, at.character + 1)
        for change in (TextChange(TextRange(at, at), rng.choice(chars)), TextChange(TextRange(at, after), "")):
            t0 = time.perf_counter()
            doc.apply_changes([change], version=doc.version + 1)
            t1 = time.perf_counter()
            analyzer.analyze(doc, cache)
            t2 = time.perf_counter()
            parses.append((t1 - t0) * 1000)
            totals.append((t2 - t0) * 1000)
        del step
    return parses, totals


def incremental(edits: int) -> None:
    text = large_python_file(5000)
    python = get_language("python")
    analyzer = Analyzer()
    doc = Document(text, python)
    cache = UnitCache()
    analyzer.analyze(doc, cache)
    start = time.perf_counter()
    Analyzer().analyze(Document(text, python))
    full_ms = (time.perf_counter() - start) * 1000
    print(f"incremental: {edits} one-character edits in a {doc.lines.line_count}-line Python file "
          f"(typing a letter inside a name, then deleting it)")
    parses, totals = _session(doc, analyzer, cache, edits, into_keywords=False, seed=11)
    print(f"  edit+reparse       p50 {statistics.median(parses):6.2f} ms   p95 {percentile(parses, 0.95):6.2f} ms")
    print(f"  edit+re-analysis   p50 {statistics.median(totals):6.2f} ms   p95 {percentile(totals, 0.95):6.2f} ms"
          f"   (target p95 <= 5 ms)")
    print(f"  full analysis of the same file: {full_ms:.1f} ms -> incremental p50 is "
          f"{full_ms / statistics.median(totals):.0f}x faster")
    _, breaking = _session(doc, analyzer, cache, 100, into_keywords=True, seed=12)
    print(f"  typing into a keyword (def->xdef) p50 {statistics.median(breaking):6.2f} ms   "
          f"p95 {percentile(breaking, 0.95):6.2f} ms   (syntax error: tree-sitter's error recovery reparses more)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=int, default=400, help="Python files to scan")
    parser.add_argument("--tree", type=Path, help="scan the Python files under DIR (default: the stdlib)")
    parser.add_argument("--rounds", type=int, default=3, help="paired runs of each scanner")
    parser.add_argument("--keep-report", type=Path, help="copy coderev's JSON report (jobs=1) here")
    parser.add_argument("--edits", type=int, default=200)
    parser.add_argument("--only", choices=("scan", "incremental"))
    args = parser.parse_args()
    if args.only != "scan":
        incremental(args.edits)
    if args.only != "incremental":
        full_scan(python_files(args.tree, args.files), args.rounds, args.keep_report)


if __name__ == "__main__":
    main()
