"""Findings per 1,000 lines on real third-party code (issue 18): how noisy is `coderev scan`?

    python -m bench.real_code [--python PY] [--json OUT] [--jobs N] PROJECT_DIR ...
    python -m bench.real_code ... --sample 20 [--seed 18] [--sample-group NAME=PROJ,PROJ ...] [--sample-out FILE]
    python -m bench.real_code --load OUT.json --sample 20 ...    # re-sample a saved run, no scan

``--python`` is the interpreter of the coderev checkout to measure (default: this repository's
.venv/bin/python), so a frozen "before" checkout and the current one run the same projects. Each
PROJECT_DIR (a source distribution, an npm tarball, a Debian source tree) is scanned whole with
``coderev scan --format json`` from an empty working directory (no configuration file applies).
The code is only read, never imported or run.

Lines of code are the non-blank lines of the files that checkout's own walk yields
(``iter_source_files``: .gitignore, node_modules, vendor, ... skipped) and that have a grammar;
text files scanned only for secrets are counted as files but not as lines. A path is test code when
a folder on it is named test/tests/testing/__tests__/spec/js_tests/fixtures/testdata (so Django's
``django/test`` helpers count as test code) or its name is test_*.py, *_test.py, conftest.py,
*.test.js, *.spec.ts, *Test.java, *Tests.java. Per project it prints files, KLOC, findings by
severity, error findings per KLOC (all, and non-test over non-test lines) and the top error rules.
``--sample N`` draws N error findings per sample group (seeded, stable for the same findings) and
prints each with file:line, rule, message and the flagged line, with a blank judgment to fill in.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
SEVERITIES = ("error", "warning", "info", "hint")
TEST_DIRS = frozenset({"test", "tests", "testing", "__tests__", "spec", "specs", "js_tests", "fixtures", "testdata"})
TEST_FILE = re.compile(r"^test_.*\.py$|_tests?\.py$|^conftest\.py$|\.(test|spec)\.[cm]?[jt]sx?$|Tests?\.java$")
# Used only when the checkout has no iter_source_files: the same walk, approximately.
FALLBACK_SKIP = frozenset({".git", "node_modules", "__pycache__", ".venv", "venv", "vendor", "bower_components"})
FALLBACK_CODE = frozenset({".py", ".pyi", ".pyw", ".js", ".jsx", ".mjs", ".cjs", ".ts", ".mts", ".cts", ".tsx",
                           ".go", ".java"})
# Run by the measured interpreter: every file its scan reads, "1" first when it has a grammar.
LIST_FILES = """
import sys
from pathlib import Path
from coderev.analyzers.languages import language_for_path
from coderev.analyzers.workspace import iter_source_files
for path in iter_source_files([Path(sys.argv[1])]):
    print(int(language_for_path(path) is not None), path, sep="\\t")
"""


def is_test(relative: str) -> bool:
    parts = relative.split("/")
    return any(part in TEST_DIRS for part in parts[:-1]) or bool(TEST_FILE.search(parts[-1]))


def list_files(python: str, root: Path, cwd: str) -> list[tuple[Path, bool]]:
    """(file, has a grammar) for each file the checkout's scan of ``root`` reads. ``cwd`` is an empty
    folder, so ``python -c`` imports the measured checkout's coderev, not one in the current folder."""
    done = subprocess.run([python, "-c", LIST_FILES, str(root)], cwd=cwd, capture_output=True, text=True,
                          check=False)
    if done.returncode == 0:
        rows = (line.split("\t", 1) for line in done.stdout.splitlines() if "\t" in line)
        return [(Path(path), flag == "1") for flag, path in rows]
    print(f"note: {python} cannot list files ({done.stderr.strip()[-200:]}); using the fallback walk", file=sys.stderr)
    found: list[tuple[Path, bool]] = []
    for current, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in FALLBACK_SKIP)
        found += [(Path(current, f), Path(f).suffix.lower() in FALLBACK_CODE) for f in sorted(filenames)]
    return found


def nonblank_lines(path: Path) -> int:
    try:
        return sum(1 for line in path.read_bytes().splitlines() if line.strip())
    except OSError:
        return 0


def coderev_command(python: str) -> list[str]:
    script = Path(python).parent / "coderev"
    if script.is_file():
        return [str(script)]
    return [python, "-c", "import sys; from coderev.server.cli import main; sys.exit(main(sys.argv[1:]))"]


def checkout_of(python: str) -> dict[str, str]:
    root = Path(python).absolute().parent.parent.parent  # CHECKOUT/.venv/bin/python
    done = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True, check=False)
    return {"python": python, "checkout": str(root), "commit": done.stdout.strip() if done.returncode == 0 else ""}


def measure(python: str, root: Path, jobs: int | None) -> dict[str, Any]:
    """Scan one project and count its lines; the error findings are kept for sampling."""
    root = root.resolve()
    lines = {True: 0, False: 0}  # test code, other code
    files = code_files = 0
    with tempfile.TemporaryDirectory() as empty:
        for path, has_grammar in list_files(python, root, empty):
            files += 1
            if has_grammar:
                code_files += 1
                lines[is_test(path.relative_to(root).as_posix())] += nonblank_lines(path)
        report = Path(empty) / "report.json"
        command = [*coderev_command(python), "scan", str(root), "--format", "json", "--no-progress", "-o", str(report)]
        if jobs:
            command += ["--jobs", str(jobs)]
        start = time.perf_counter()
        done = subprocess.run(command, cwd=empty, capture_output=True, text=True, check=False)
        seconds = time.perf_counter() - start
        if done.returncode not in (0, 1):
            raise SystemExit(f"coderev scan {root} exited {done.returncode}: {done.stderr[-2000:]}")
        data = json.loads(report.read_text(encoding="utf-8"))
    severities: dict[str, Counter[str]] = {"all": Counter(), "non_test": Counter()}
    rules: dict[str, Counter[str]] = {"all": Counter(), "non_test": Counter()}
    errors: list[dict[str, Any]] = []
    for finding in data["findings"]:
        path = Path(finding["path"])
        relative = (path if path.is_absolute() else Path(empty, path)).relative_to(root).as_posix()
        test = is_test(relative)
        scopes = ("all",) if test else ("all", "non_test")
        for scope in scopes:
            severities[scope][finding["severity"]] += 1
        if finding["severity"] == "error":
            for scope in scopes:
                rules[scope][finding["rule_id"]] += 1
            errors.append({"path": relative, "line": finding["start"]["line"], "rule_id": finding["rule_id"],
                           "message": finding["message"], "test": test})
    kloc_all = (lines[True] + lines[False]) / 1000
    kloc_non_test = lines[False] / 1000

    def per_kloc(count: int, kloc: float) -> float | None:
        return round(count / kloc, 3) if kloc else None

    return {
        "name": root.name, "root": str(root), "files": files, "code_files": code_files,
        "kloc": round(kloc_all, 3), "kloc_non_test": round(kloc_non_test, 3), "scan_seconds": round(seconds, 1),
        "skipped": Counter(skip.get("code", "?") for skip in data.get("skipped", [])),
        "by_severity": {scope: {s: counts[s] for s in SEVERITIES} for scope, counts in severities.items()},
        "errors_per_kloc": per_kloc(severities["all"]["error"], kloc_all),
        "errors_per_kloc_non_test": per_kloc(severities["non_test"]["error"], kloc_non_test),
        "top_error_rules": {scope: counts.most_common(8) for scope, counts in rules.items()},
        "errors": errors,
    }


def print_table(projects: list[dict[str, Any]]) -> None:
    header = (f"{'project':32} {'files':>6} {'code':>6} {'KLOC':>8} {'non-test':>8} {'error':>6} {'warning':>7} "
              f"{'info':>5} {'hint':>5} {'err/KLOC':>8} {'non-test':>8}")
    print(header)
    print("-" * len(header))
    for p in projects:
        sev = p["by_severity"]["all"]

        def rate(value: float | None) -> str:
            return "-" if value is None else f"{value:.2f}"

        print(f"{p['name']:32} {p['files']:>6} {p['code_files']:>6} {p['kloc']:>8.1f} {p['kloc_non_test']:>8.1f} "
              f"{sev['error']:>6} {sev['warning']:>7} {sev['info']:>5} {sev['hint']:>5} "
              f"{rate(p['errors_per_kloc']):>8} {rate(p['errors_per_kloc_non_test']):>8}")
    for p in projects:
        if p["errors"]:
            non_test = dict(p["top_error_rules"]["non_test"])
            print(f"\n{p['name']}: top error rules (all / non-test)  [scan {p['scan_seconds']} s, "
                  f"skipped {dict(p['skipped']) or 0}]")
            for rule, count in p["top_error_rules"]["all"]:
                print(f"  {count:6} / {non_test.get(rule, 0):<6} {rule}")


def code_line(root: Path, relative: str, line: int) -> str:
    try:
        text = (root / relative).read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return "<unreadable>"
    return text[line - 1].strip()[:200] if 0 < line <= len(text) else "<no such line>"


def sample(projects: list[dict[str, Any]], groups: list[tuple[str, list[str]]], size: int, seed: int) -> str:
    """``size`` error findings per group, drawn with a seeded generator from the sorted findings."""
    by_name = {p["name"]: p for p in projects}
    out: list[str] = []
    for group, names in groups:
        missing = [n for n in names if n not in by_name]
        if missing:
            raise SystemExit(f"sample group {group}: no project named {', '.join(missing)}")
        pool = sorted(((n, e) for n in names for e in by_name[n]["errors"]),
                      key=lambda item: (item[0], item[1]["path"], item[1]["line"], item[1]["rule_id"]))
        drawn = sorted(random.Random(seed).sample(range(len(pool)), min(size, len(pool))))
        out.append(f"## {group}: {len(drawn)} of {len(pool)} error findings in {', '.join(names)} (seed {seed})\n")
        for number, index in enumerate(drawn, 1):
            name, e = pool[index]
            where = "test" if e["test"] else "non-test"
            out.append(f"{number:2}. {name}/{e['path']}:{e['line']}  {e['rule_id']}  [{where}]")
            out.append(f"    message: {e['message'][:200]}")
            out.append(f"    code:    {code_line(Path(by_name[name]['root']), e['path'], e['line'])}")
            out.append("    judgment: \n")
    return "\n".join(out) + "\n"


def parse_group(text: str) -> tuple[str, list[str]]:
    name, sep, names = text.partition("=")
    if not sep or not names:
        raise argparse.ArgumentTypeError(f"expected NAME=PROJECT,PROJECT, got {text!r}")
    return name, [n.strip() for n in names.split(",") if n.strip()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("projects", nargs="*", type=Path, help="project source folders (each is one project)")
    parser.add_argument("--python", default=str(REPO / ".venv" / "bin" / "python"),
                        help="the measured checkout's interpreter (default: this repository's .venv)")
    parser.add_argument("--jobs", type=int, help="coderev scan --jobs (default: coderev's own)")
    parser.add_argument("--json", type=Path, help="write the summary (error findings included) here")
    parser.add_argument("--load", type=Path, help="read a summary written by --json instead of scanning")
    parser.add_argument("--sample", type=int, default=0, help="draw this many error findings per group")
    parser.add_argument("--seed", type=int, default=18)
    parser.add_argument("--sample-group", type=parse_group, action="append", default=[],
                        metavar="NAME=PROJ,PROJ", help="a sample group of project names (default: all projects)")
    parser.add_argument("--sample-out", type=Path, help="write the sample here instead of stdout")
    args = parser.parse_args(argv)
    if args.load:
        summary = json.loads(args.load.read_text(encoding="utf-8"))
    elif args.projects:
        projects = []
        for root in args.projects:
            print(f"scanning {root} ...", file=sys.stderr)
            projects.append(measure(args.python, root, args.jobs))
        summary = {"coderev": checkout_of(args.python), "projects": projects}
    else:
        parser.error("give project folders to scan, or --load a saved summary")
    if args.json:
        args.json.write_text(json.dumps(summary, indent=1) + "\n", encoding="utf-8")
    print(f"coderev {summary['coderev']['commit'][:12] or summary['coderev']['python']}\n")
    print_table(summary["projects"])
    if args.sample:
        groups = args.sample_group or [("all", [p["name"] for p in summary["projects"]])]
        text = sample(summary["projects"], groups, args.sample, args.seed)
        if args.sample_out:
            args.sample_out.write_text(text, encoding="utf-8")
        else:
            print("\n" + text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
