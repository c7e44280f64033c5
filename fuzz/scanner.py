"""Fuzz ``coderev scan`` through its console script: hostile and malformed files never crash or hang it.

Each round writes a folder of generated files (mutated fixtures of every language, random bytes,
bad encodings, deep nesting, long operator chains, huge lines, special files) and scans it with
the real ``coderev scan --format json``, alternating the parallel path (``--jobs 2``, more files
than the parallel threshold) and the one-process path. A round fails as a *crash* when the exit
code is not 0 or 1, the report is not valid JSON, or stderr holds a traceback; as a *hang* when
it takes longer than ``--timeout``. Failing rounds are kept under ``build/fuzz/scanner/`` to
reproduce. Prints ``scanner fuzz: N files, C crashes, H hangs`` and exits 1 on any failure.

    .venv/bin/python fuzz/scanner.py [--rounds 40] [--seed 0]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CODEREV = str(Path(sys.executable).with_name("coderev"))
SUFFIXES = (".py", ".js", ".ts", ".tsx", ".go", ".java", ".env", ".yaml", ".json")
SEEDS = sorted(p for d in ("tests/fixtures", "examples") for p in (ROOT / d).rglob("*") if p.suffix in SUFFIXES)


def _deep(rng: random.Random, suffix: str) -> str:
    depth = rng.choice((500, 2_000, 6_000))
    if suffix == ".py":
        return "def f(request, cursor):\n    q = " + "(" * depth + "request.args['q']" + ")" * depth + "\n" \
            "    cursor.execute('SELECT ' + q)\n"
    if suffix == ".go":
        terms = " + ".join(["a"] * rng.choice((2_000, 8_000)))
        return f"package main\n\nfunc f(a string) string {{\n\tx := {terms}\n\treturn x\n}}\n"
    if suffix == ".java":
        terms = " + ".join(['"a"', "x"] * rng.choice((500, 2_000)))
        return f"class A {{ void f(String x, java.sql.Statement s) throws Exception {{ s.execute({terms}); }} }}\n"
    terms = " + ".join(["req.query.a", "'b'"] * rng.choice((500, 3_000)))
    return f"app.get('/', (req, res) => {{ db.query({terms}); res.send({'['*depth}1{']'*depth}); }});\n"


def _mutate(rng: random.Random, data: bytes) -> bytes:
    data = bytearray(data)
    for _ in range(rng.randint(1, 12)):
        op = rng.randrange(6)
        at = rng.randrange(len(data) + 1)
        if op == 0 and data:
            del data[at : at + rng.randint(1, 200)]
        elif op == 1:
            data[at:at] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 40)))
        elif op == 2:
            data[at:at] = rng.choice((b"{", b"}", b"(", b")", b"\"", b"'", b"`", b"/*", b"\n", b"\\", b"${"))
        elif op == 3 and data:
            start = rng.randrange(len(data))
            data[at:at] = data[start : start + rng.randint(1, 400)] * rng.randint(1, 20)
        elif op == 4:
            data[at:at] = rng.choice(("\ufeff", "\u202e", "\ud7ff", "é", "\U0001f600", "\r", "\x00")).encode(
                "utf-8", "surrogatepass")
        else:
            data = data[: rng.randrange(len(data) + 1)]
    return bytes(data)


def _file(rng: random.Random, index: int, folder: Path) -> None:
    kind = rng.randrange(10)
    suffix = rng.choice(SUFFIXES[:6])
    path = folder / f"f{index:03}{suffix}"
    if kind <= 4 and SEEDS:
        seed = rng.choice(SEEDS)
        path = folder / f"f{index:03}{seed.suffix}"
        path.write_bytes(_mutate(rng, seed.read_bytes()))
    elif kind == 5:
        path.write_bytes(os.urandom(rng.randint(0, 5_000)))
    elif kind == 6:
        path.write_text(_deep(rng, suffix), encoding="utf-8")
    elif kind == 7:
        text = rng.choice(SEEDS).read_text(encoding="utf-8", errors="replace") if SEEDS else "x = 1\n"
        path.write_bytes(text.encode(rng.choice(("latin-1", "utf-16", "cp1252")), errors="replace"))
    elif kind == 8:
        path.write_text("x" * rng.choice((10_000, 300_000)) + "\n", encoding="utf-8")
    elif rng.random() < 0.5 and hasattr(os, "mkfifo"):
        os.mkfifo(path)
    else:
        path.symlink_to(rng.choice(("/dev/zero", "/dev/null", "/nonexistent", str(folder))))


def run_round(rng: random.Random, number: int, timeout: float) -> tuple[int, str | None]:
    folder = Path(tempfile.mkdtemp(prefix=f"coderev-fuzz-{number}-"))
    parallel = number % 2 == 0
    count = 60 if parallel else 12
    for index in range(count):
        _file(rng, index, folder)
    command = [CODEREV, "scan", "--no-progress", "--format", "json", "--jobs", "2" if parallel else "1", "."]
    problem = None
    try:
        result = subprocess.run(command, cwd=folder, capture_output=True, text=True, timeout=timeout, check=False)
        if result.returncode not in (0, 1) or "Traceback" in result.stderr:
            problem = f"crash: exit {result.returncode}: {result.stderr[-2000:]}"
        else:
            json.loads(result.stdout)
    except subprocess.TimeoutExpired:
        problem = f"hang: no answer in {timeout} s"
    except json.JSONDecodeError as exc:
        problem = f"crash: report is not JSON ({exc})"
    if problem is None:
        shutil.rmtree(folder, ignore_errors=True)
    else:
        keep = ROOT / "build" / "fuzz" / "scanner" / f"round-{number}"
        shutil.rmtree(keep, ignore_errors=True)
        keep.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(folder), keep)
        problem += f" (kept in {keep})"
    return count, problem


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--timeout", type=float, default=120.0)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    files = crashes = hangs = 0
    for number in range(args.rounds):
        count, problem = run_round(rng, number, args.timeout)
        files += count
        if problem is not None:
            print(f"round {number}: {problem}", file=sys.stderr)
            crashes += problem.startswith("crash")
            hangs += problem.startswith("hang")
    print(f"scanner fuzz: {files} files in {args.rounds} rounds (seed {args.seed}), {crashes} crashes, {hangs} hangs")
    return 1 if crashes or hangs else 0


if __name__ == "__main__":
    raise SystemExit(main())
