"""Line-level recall and precision of `coderev scan` on a labeled suite (issue 19).

    python -m bench.labeled [--python PY] [--severity LEVEL] [--misses] [--json OUT] [SUITE_DIR ...]

A labeled suite is a folder of source files annotated the way rule test suites commonly are: a
comment holding ``ruleid:`` (or ``todoruleid:``) marks the next code line as vulnerable, one holding
``ok:`` (or ``todook:``) marks it as safe. Nothing else about the annotation is read, so a suite
written for another tool's rules scores coderev as a whole: a vulnerable line is found when some
finding starts on it; every other line with a finding is a false positive. The default suite is
``bench/labeled/``, written for this project and kept apart from the rules' own examples: web
handlers in Python, JavaScript, TypeScript, Go and Java, vulnerable and safe, across the families
of issue 19.

``--python`` is the interpreter of the coderev checkout to measure (default: this repository's
.venv/bin/python), so an older checkout and the current one score the same suite in one run.
Per language it prints labeled lines, true and false positives, misses, precision, recall and F1;
``--misses`` lists the vulnerable lines nothing found and the false positives.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
DEFAULT_SUITE = REPO / "bench" / "labeled"
LANGUAGES = {".py": "python", ".js": "javascript", ".jsx": "javascript", ".mjs": "javascript", ".cjs": "javascript",
             ".ts": "typescript", ".tsx": "typescript", ".go": "go", ".java": "java"}
ANNOTATION = re.compile(r"^\s*\{?\s*(?:#|//|/\*|\*|<!--)\s*(todoruleid|ruleid|todook|ok)\s*:")
SEVERITIES = ("error", "warning", "info", "hint")


@dataclass
class Labels:
    vulnerable: set[int] = field(default_factory=set)
    safe: set[int] = field(default_factory=set)


def labels_of(text: str) -> Labels:
    """The 1-based lines marked vulnerable or safe by the annotation comment above them."""
    out = Labels()
    pending: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        found = ANNOTATION.match(line)
        if found:
            pending.append(found.group(1))
            continue
        if not line.strip() or not pending:
            continue
        if any(kind.endswith("ruleid") for kind in pending):
            out.vulnerable.add(number)
        else:
            out.safe.add(number)
        pending = []
    return out


def scan(python: str, suite: Path) -> list[dict[str, Any]]:
    """The findings of the measured checkout on the suite, read from its JSON report."""
    with tempfile.TemporaryDirectory() as empty:
        report = Path(empty) / "report.json"
        command = [python, "-c", "import sys; from coderev.server.cli import main; sys.exit(main(sys.argv[1:]))",
                   "scan", str(suite), "--format", "json", "--no-progress", "-o", str(report)]
        done = subprocess.run(command, cwd=empty, capture_output=True, text=True, check=False)
        if not report.exists():
            raise SystemExit(f"coderev scan {suite} exited {done.returncode}: {done.stderr[-2000:]}")
        findings: list[dict[str, Any]] = json.loads(report.read_text())["findings"]
    return findings


@dataclass
class Score:
    labeled: int = 0
    safe: int = 0
    found: list[str] = field(default_factory=list)
    missed: list[str] = field(default_factory=list)
    false: list[str] = field(default_factory=list)

    def row(self) -> dict[str, Any]:
        tp, fp, fn = len(self.found), len(self.false), len(self.missed)
        precision = tp / (tp + fp) if tp + fp else 1.0
        recall = tp / (tp + fn) if tp + fn else 1.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return {"labeled": self.labeled, "safe": self.safe, "tp": tp, "fp": fp, "fn": fn,
                "precision": round(precision, 3), "recall": round(recall, 3), "f1": round(f1, 3)}


def score(suites: list[Path], findings: dict[Path, list[dict[str, Any]]], severity: str) -> dict[str, Score]:
    keep = set(SEVERITIES[: SEVERITIES.index(severity) + 1])
    by_language: dict[str, Score] = defaultdict(Score)
    for suite in suites:
        hits: dict[str, dict[int, list[str]]] = defaultdict(lambda: defaultdict(list))
        for f in findings[suite]:
            if f["severity"] in keep:
                hits[Path(f["path"]).resolve().as_posix()][f["start"]["line"]].append(f["rule_id"])
        for path in sorted(suite.rglob("*")):
            language = LANGUAGES.get(path.suffix)
            if language is None or not path.is_file():
                continue
            labels = labels_of(path.read_text(encoding="utf-8", errors="replace"))
            lines = hits.get(path.resolve().as_posix(), {})
            s = by_language[language]
            s.labeled += len(labels.vulnerable)
            s.safe += len(labels.safe)
            where = path.relative_to(suite).as_posix()
            for line in sorted(labels.vulnerable):
                (s.found if line in lines else s.missed).append(f"{where}:{line}")
            for line, rules in sorted(lines.items()):
                if line not in labels.vulnerable:
                    s.false.append(f"{where}:{line} {','.join(sorted(set(rules)))}")
    return dict(by_language)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("suites", nargs="*", type=Path, default=[DEFAULT_SUITE])
    parser.add_argument("--python", default=str(REPO / ".venv" / "bin" / "python"))
    parser.add_argument("--severity", choices=SEVERITIES, default="hint",
                        help="count findings at or above this level (default: all)")
    parser.add_argument("--misses", action="store_true", help="list misses and false positives")
    parser.add_argument("--json", type=Path, help="also write the scores to this file")
    args = parser.parse_args(argv)
    suites = [s.resolve() for s in args.suites]
    findings = {suite: scan(args.python, suite) for suite in suites}
    scores = score(suites, findings, args.severity)
    total = Score()
    print(f"{'language':12} {'vuln':>5} {'safe':>5} {'tp':>4} {'fp':>4} {'fn':>4} {'prec':>6} {'recall':>6} {'F1':>6}")
    for language in sorted(scores):
        s = scores[language]
        total.labeled += s.labeled
        total.safe += s.safe
        total.found += s.found
        total.missed += s.missed
        total.false += s.false
        r = s.row()
        print(f"{language:12} {r['labeled']:5} {r['safe']:5} {r['tp']:4} {r['fp']:4} {r['fn']:4} "
              f"{r['precision']:6.2f} {r['recall']:6.2f} {r['f1']:6.2f}")
    r = total.row()
    print(f"{'all':12} {r['labeled']:5} {r['safe']:5} {r['tp']:4} {r['fp']:4} {r['fn']:4} "
          f"{r['precision']:6.2f} {r['recall']:6.2f} {r['f1']:6.2f}")
    if args.misses:
        for language in sorted(scores):
            for miss in scores[language].missed:
                print(f"missed  {miss}")
            for false in scores[language].false:
                print(f"false   {false}")
    if args.json:
        args.json.write_text(json.dumps({k: v.row() for k, v in scores.items()} | {"all": r}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
