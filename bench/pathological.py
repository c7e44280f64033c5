"""Pathological files: analysis time, and how long another thread waits for the GIL meanwhile.

    python bench/pathological.py [--terms 8000,16000,32000] [--single-cursor] [--scan]

Inputs: ``x := a + a + ...`` in a Go function (a left-leaning chain of binary expressions as
deep as it has terms), a 1,000-term string concatenation passed to ``cursor.execute`` in a Flask
handler, and ``os.system`` of a name in 5,000 parentheses. For each, the time of
``Analyzer.run`` without a budget and the longest a second Python thread (sleeping 5 ms in a
loop, like the server's event loop) had to wait: what the language server's event loop would
have waited. ``--single-cursor`` also times one whole-unit ``QueryCursor.matches`` (the old way,
quadratic in the depth: minutes at 32k terms); ``--scan`` times ``coderev scan`` of each file
(process start-up included).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import tree_sitter

from coderev.analyzers import Analyzer, Document, predicates
from coderev.analyzers.budget import Budget
from coderev.analyzers.languages import language_for_path


def go_chain(terms: int) -> str:
    return "package main\n\nfunc f(a string) string {\n\tx := " + " + ".join(["a"] * terms) + "\n\treturn x\n}\n"


def python_concat(terms: int = 1000) -> str:
    parts = " + ".join(['"a" + x'] * terms)
    handler = 'from flask import request\n\n@app.route("/q")\ndef q():\n    x = request.args.get("x")\n'
    return handler + f"    cursor.execute({parts})\n"


def python_parens(depth: int = 5000) -> str:
    return "import os\n\ndef run(cmd):\n    os.system(" + "(" * depth + "cmd" + ")" * depth + ")\n"


def watched(work: Callable[[], object]) -> tuple[float, float]:
    """(seconds ``work`` took, longest gap between the wake-ups of a thread sleeping 5 ms)."""
    longest, stop = [0.0], threading.Event()

    def watch() -> None:
        last = time.perf_counter()
        while not stop.is_set():
            time.sleep(0.005)
            now = time.perf_counter()
            longest[0] = max(longest[0], now - last)
            last = now

    watcher = threading.Thread(target=watch)
    watcher.start()
    time.sleep(0.02)
    start = time.perf_counter()
    try:
        work()
    finally:
        elapsed = time.perf_counter() - start
        stop.set()
        watcher.join()
    return elapsed, longest[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--terms", default="8000,16000,32000")
    parser.add_argument("--single-cursor", action="store_true")
    parser.add_argument("--scan", action="store_true")
    args = parser.parse_args()
    inputs = {f"go chain, {n} terms": ("chain.go", go_chain(n)) for n in map(int, args.terms.split(","))}
    inputs["python concatenation, 1000 terms"] = ("concat.py", python_concat())
    inputs["python parentheses, 5000 deep"] = ("parens.py", python_parens())
    analyzer = Analyzer()
    print(f"{'input':36} {'KB':>5} {'analysis':>9} {'GIL wait':>9}" + ("  single cursor" if args.single_cursor else ""))
    with tempfile.TemporaryDirectory() as tmp:
        for label, (name, text) in inputs.items():
            language = language_for_path(Path(name))
            assert language is not None
            document = Document(text, language)
            analyzer.compiled(language)
            elapsed, wait = watched(lambda d=document: analyzer.run(d, budget=Budget(None)))  # type: ignore[misc]
            line = f"{label:36} {len(text) // 1024:5} {elapsed:8.2f}s {wait * 1000:7.0f}ms"
            if args.single_cursor:
                query = analyzer.compiled(language).query
                tree = document.tree
                assert query is not None and tree is not None

                def one_cursor(q: tree_sitter.Query = query, t: tree_sitter.Tree = tree) -> None:
                    for unit in t.root_node.children:
                        tree_sitter.QueryCursor(q).matches(unit, predicates.evaluate)  # type: ignore[arg-type]

                single, single_wait = watched(one_cursor)
                line += f"  {single:8.2f}s (GIL wait {single_wait * 1000:.0f} ms)"
            if args.scan:
                path = Path(tmp) / name
                path.write_text(text)
                start = time.perf_counter()
                subprocess.run([str(Path(sys.executable).with_name("coderev")), "scan", "--no-progress", str(path)],
                               capture_output=True, check=False)
                line += f"  scan {time.perf_counter() - start:.2f}s"
            print(line, flush=True)


if __name__ == "__main__":
    main()
