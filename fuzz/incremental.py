"""Fuzz invariant 3 (ARCHITECTURE.md): after any sequence of edits, incremental findings equal a
fresh full analysis of the same text (findings, fingerprints, positions, messages, fixes).

    .venv/bin/python fuzz/incremental.py [--count 10000] [--seed S] [--jobs 2] [--out DIR] [--no-trees]
    .venv/bin/python fuzz/incremental.py --replay .cache/fuzz/incremental-S-I.json

Each sequence starts from a source file of tests/fixtures or examples/ (Python, JavaScript,
TypeScript, TSX, Go, Java) and makes 1-12 random edits: snippets of every language (sinks, taint
sources, suppressions, secrets, broken syntax), fragments cut from the other files, deleted or
added braces, brackets and quotes, deleted and moved lines, indentation, multi-byte text, and
snippets typed one character at a time. After every edit the document is analyzed incrementally
(with its unit cache) and compared with a fresh ``Analyzer.analyze(Document(text))``; the
document's tree is compared with a fresh parse too (ADR 0015: it must be that tree, node for
node), and an exception in either analysis is a failure as well (invariant 4).

Sequence ``i`` of seed ``S`` is generated from ``random.Random(f"{S}:{i}")`` alone, so any case
reproduces whatever the process count. A mismatching case is shrunk (steps dropped while it still
fails) and saved as JSON under ``--out`` with an ``@example(...)`` line for
``tests/test_incremental.py``; the exit status is then 1. The summary line is
``incremental fuzz: N sequences, M mismatches (seed S ...)``. ``--replay`` runs a saved case
again (after a fix it must pass) and exits 1 while it still fails.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import random
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tree_sitter import Tree

from coderev.analyzers import Analyzer, Document, Finding, UnitCache, language_for_path
from tests.edit_replay import ROOT, SOURCES, Step, change_for, first_mismatch, utf16_len

# Fragments of every language: findings to create, syntax to break, context to confuse.
SNIPPETS = [
    # Python
    "def g(a):\n    return a\n", "def f(x):\n", "    return x\n", "class C:\n    pass\n", "if True:\n",
    "try:\n", "except Exception:\n", "else:\n", "lambda: ", "async def h():\n    await x\n",
    "@app.route('/x')\n", "import os\n", "yaml.load(data)\n", "os.system(cmd)\n", "pickle.loads(blob)\n",
    'cursor.execute("SELECT * FROM t WHERE id = %s" % uid)\n', 'cursor.execute(f"DELETE FROM t WHERE id = {uid}")\n',
    "subprocess.call(cmd, shell=True)\n", "requests.get(url, verify=False)\n", "eval(request.args['x'])\n",
    "hashlib.md5(data)\n", '"""', "'''", "\\\n", "# coderev: ignore\n", "# noqa\n",
    # JavaScript / TypeScript / TSX
    "function f() {", "function f(a) { return a; }\n", "const q = req.query.q;\n", "db.query('SELECT ' + q);\n",
    "res.send(q);\n", "q = parseInt(q);\n", "el.innerHTML = location.hash;\n", "app.get('/x', (req, res) => {\n",
    "});\n", "`${", "${x}`", "=>", "=> {", "/* ", " */", "// ", "eval(req.body.x);\n",
    "require('child_process').exec(cmd);\n", "import x from 'y';\n", "export default ", "interface I { a: string }\n",
    "type T = {", " as any", "<T,>", "<div>{x}</div>", "<Foo bar={", "/>", "dangerouslySetInnerHTML={{__html: x}}",
    "new RegExp(", "/re/g", "async () => {", "// coderev: ignore\n", "// eslint-disable-next-line\n",
    # Go
    "package main\n", "func main() {\n", "func h(c *gin.Context) {\n", "if err != nil {\n", "return err\n",
    "id := r.URL.Query().Get(\"id\")\n", "db.Query(\"SELECT \" + id)\n", "go func() {", "defer ", ":=",
    'exec.Command("sh", "-c", cmd)\n', "md5.New()\n", "tls.Config{InsecureSkipVerify: true}\n", "import (\n",
    ")\n", "`raw",
    # Java
    "public class A {\n", "@Override\n", "String n = request.getParameter(\"n\");\n",
    "stmt.executeQuery(\"SELECT \" + n);\n", "void doGet(HttpServletRequest request) {\n",
    'private static final String KEY = "0123456789abcdef";\n', 'new SecretKeySpec(KEY.getBytes(), "AES")',
    'Cipher.getInstance("DES")', "Runtime.getRuntime().exec(cmd);\n", "try {", "} catch (Exception e) {",
    "/**", "*/", '"""\n', "->", "::", "<T>", "@SuppressWarnings(\"all\")\n",
    # secrets and text
    'password = "hunter2hunter2"\n', 'aws_key = "AKIAIOSFODNN7EXAMPLE"\n', "-----BEGIN RSA PRIVATE KEY-----\n",
    "", "x", "\n", "\r\n", "\t", "    ", "(", ")", "[", "]", "{", "}\n", ":", ";", ",", "'", '"', "`", "#",
    "😀", "中文", "é", "\u2028", "\ufeff", "\x00",
]
BRACKETS = "{}()[]\"'`:;<>"
# A random character mix for short "anything" insertions (no lone surrogates: editors send none).
ALPHABET = "abcxyz_019 \n\t(){}[]<>\"'`#/\\*:;,.=+-!?@$%&|^~é中😀\r"


@dataclass
class Outcome:
    index: int
    steps: int
    mismatch: dict[str, object] | None = None  # a saved case, or a crash


def _exact(text: str, line: int, column: int) -> tuple[float, float]:
    """Fractions that ``tests.edit_replay.position`` maps back to (line, column)."""
    lines = text.split("\n")
    return (line + 0.5) / len(lines), (column + 0.5) / (utf16_len(lines[line]) + 1)


def _line_col(text: str, index: int) -> tuple[int, int]:
    """(line, UTF-16 column) of character ``index`` of ``text``."""
    before = text[:index]
    line = before.count("\n")
    return line, utf16_len(before[before.rfind("\n") + 1 :])


def _fragment(rng: random.Random, texts: list[str]) -> str:
    """A piece of another source file: some whole lines, or a slice of characters."""
    other = rng.choice(texts)
    if rng.random() < 0.5:
        lines = other.split("\n")
        start = rng.randrange(len(lines))
        return "\n".join(lines[start : start + rng.randint(1, 6)]) + "\n"
    start = rng.randrange(max(1, len(other)))
    return other[start : start + rng.randint(1, 60)]


def _edits(rng: random.Random, text: str, texts: list[str]) -> list[Step] | str:
    """One random edit as a step, or a snippet to type one character at a time (a str)."""
    kind = rng.choices(
        ["snippet", "range", "bracket", "fragment", "type", "random", "line", "indent"],
        weights=[24, 14, 18, 12, 8, 8, 10, 6],
    )[0]
    lines = text.split("\n")
    if kind == "snippet":
        return [(rng.random(), rng.random(), rng.choice([0, 0, 0, 1]), rng.choice(SNIPPETS))]
    if kind == "range":
        replacement = rng.choice(["", "", rng.choice(SNIPPETS)])
        return [(rng.random(), rng.random(), rng.randint(0, 3), replacement, rng.randint(0, 30))]
    if kind == "bracket":
        places = [i for i, ch in enumerate(text) if ch in BRACKETS]
        if not places:
            return [(rng.random(), rng.random(), 0, rng.choice(BRACKETS))]
        line, column = _line_col(text, rng.choice(places))
        line_frac, char_frac = _exact(text, line, column)
        if rng.random() < 0.7:  # delete it
            return [(line_frac, char_frac, 0, "", 1)]
        return [(line_frac, char_frac, 0, rng.choice(BRACKETS))]  # add another before it
    if kind == "fragment":
        return [(rng.random(), rng.random(), rng.choice([0, 0, 1]), _fragment(rng, texts), rng.randint(0, 5))]
    if kind == "type":
        return rng.choice([s for s in SNIPPETS if 1 < len(s) <= 16])
    if kind == "random":
        return [(rng.random(), rng.random(), 0, "".join(rng.choices(ALPHABET, k=rng.randint(1, 6))))]
    line = rng.randrange(len(lines))
    line_frac, _ = _exact(text, line, 0)
    if kind == "line":
        if rng.random() < 0.5:  # delete 1-3 whole lines
            return [(line_frac, 0.0, rng.randint(1, 3), "")]
        return [(line_frac, 0.0, 0, rng.choice(lines) + "\n")]  # copy a line elsewhere
    if rng.random() < 0.5:  # indent
        return [(line_frac, 0.0, 0, rng.choice(["    ", "\t", "  "]))]
    return [(line_frac, 0.0, 0, "", rng.choice([1, 2, 4]))]  # dedent (or eat the line's start)


def _shape(tree: Tree | None) -> list[tuple[str, int, int, bool]]:
    """Every node of ``tree`` in document order: type, byte range, whether it is a MISSING node."""
    if tree is None:
        return []
    out = []
    cursor = tree.walk()
    while True:
        node = cursor.node
        assert node is not None
        out.append((node.type, node.start_byte, node.end_byte, node.is_missing))
        if cursor.goto_first_child():
            continue
        while not cursor.goto_next_sibling():
            if not cursor.goto_parent():
                return out


COMPARE_TREES = True  # --no-trees: compare findings only


def _failure(engine: Analyzer, doc: Document, cache: UnitCache) -> str | None:
    """What differs after an edit: "findings" (incremental != full analysis), "tree" (the
    document's tree != a fresh parse, which ADR 0015 promises), "crash: ..." or nothing."""
    try:
        incremental = engine.analyze(doc, cache)
        fresh = Document(doc.text, doc.language)
        if incremental != engine.analyze(fresh):
            return "findings"
        return "tree" if COMPARE_TREES and _shape(doc.tree) != _shape(fresh.tree) else None
    except Exception as exc:  # an analyzer crash is a finding too (invariant 4)
        return f"crash: {exc!r}"


def _replay(engine: Analyzer, path: Path, steps: list[Step]) -> tuple[int, str] | None:
    """The first (1-based step, failure) of ``steps`` replayed on ``path``, or None."""
    doc = Document(path.read_text(encoding="utf-8"), language_for_path(path))
    cache = UnitCache()
    engine.analyze(doc, cache)
    for version, step in enumerate(steps, start=1):
        doc.apply_changes([change_for(doc.text, step)], version=version)
        failure = _failure(engine, doc, cache)
        if failure is not None:
            return version, failure
    return None


def generate_and_check(engine: Analyzer, seed: int, index: int, texts: list[str]) -> Outcome:
    """Sequence ``index`` of ``seed``: generated against the evolving text, checked after each step."""
    rng = random.Random(f"{seed}:{index}")
    path = rng.choice(SOURCES)
    doc = Document(path.read_text(encoding="utf-8"), language_for_path(path))
    cache = UnitCache()
    engine.analyze(doc, cache)
    steps: list[Step] = []
    pending = ""  # characters still to type
    cursor = (0, 0)
    for _ in range(rng.randint(1, 12)):
        planned = _edits(rng, doc.text, texts) if not pending else []
        if isinstance(planned, str):
            pending, planned = planned, []
            where = change_for(doc.text, (rng.random(), rng.random(), 0, "")).range
            assert where is not None
            cursor = (where.start.line, where.start.character)
        if pending:
            char, pending = pending[0], pending[1:]
            planned = [(*_exact(doc.text, *cursor), 0, char)]
            cursor = (cursor[0] + 1, 0) if char == "\n" else (cursor[0], cursor[1] + utf16_len(char))
        for step in planned:
            steps.append(step)
            doc.apply_changes([change_for(doc.text, step)], version=len(steps))
            failure = _failure(engine, doc, cache)
            if failure is not None:
                return Outcome(index, len(steps), _report(engine, seed, index, path, steps, failure))
    return Outcome(index, len(steps))


def _shrunk(engine: Analyzer, path: Path, steps: list[Step], failure: str) -> list[Step]:
    """Drop steps (and trailing ones) while the same failure remains; a few hundred replays at most."""
    def fails(trial: list[Step]) -> bool:
        found = _replay(engine, path, trial)
        return found is not None and found[1] == failure

    steps = list(steps)
    changed = True
    while changed:
        changed = False
        for i in reversed(range(len(steps))):
            trial = steps[:i] + steps[i + 1 :]
            if trial and fails(trial):
                steps, changed = trial, True
    found = _replay(engine, path, steps)
    return steps if found is None else steps[: found[0]]


def _report(
    engine: Analyzer, seed: int, index: int, path: Path, steps: list[Step], failure: str
) -> dict[str, object]:
    small = _shrunk(engine, path, steps, failure) if not failure.startswith("crash") else steps
    relative = path.relative_to(ROOT).as_posix()
    parts = " / ".join(repr(p) for p in relative.split("/"))
    report: dict[str, object] = {
        "failure": failure,
        "seed": seed,
        "sequence": index,
        "path": relative,
        "steps": [list(s) for s in small],
        "original_steps": [list(s) for s in steps],
        "example": f"@example((ROOT / {parts}, {small!r}))",
    }
    mismatch = first_mismatch(engine, path, small) if failure == "findings" else None
    if mismatch is not None:  # the property test replays it the same way
        report["counts"] = [len(mismatch.incremental), len(mismatch.full)]
        report["only_incremental"] = [_brief(f) for f in mismatch.incremental if f not in mismatch.full]
        report["only_full"] = [_brief(f) for f in mismatch.full if f not in mismatch.incremental]
        report["text"] = mismatch.text
    return report


def _brief(finding: Finding) -> str:
    return f"{finding.rule_id} {finding.span.start_row}:{finding.span.start_col} {finding.fingerprint}"


_ENGINE: Analyzer | None = None
_TEXTS: list[str] = []


def _init(compare_trees: bool) -> None:
    global _ENGINE, _TEXTS, COMPARE_TREES
    COMPARE_TREES = compare_trees
    _ENGINE = Analyzer()
    _TEXTS = [p.read_text(encoding="utf-8") for p in SOURCES]


def _run(job: tuple[int, int]) -> Outcome:
    seed, index = job
    assert _ENGINE is not None
    return generate_and_check(_ENGINE, seed, index, _TEXTS)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--count", type=int, default=10000, help="edit sequences to run (default 10000)")
    parser.add_argument("--seed", type=int, default=None, help="seed (default: from the clock, printed)")
    parser.add_argument("--jobs", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument("--no-trees", action="store_true", help="compare findings only, not trees")
    parser.add_argument("--out", type=Path, default=ROOT / ".cache" / "fuzz", help="where mismatches are saved")
    parser.add_argument("--replay", type=Path, help="replay one saved case instead")
    args = parser.parse_args(argv)
    if args.replay is not None:
        case = json.loads(args.replay.read_text(encoding="utf-8"))
        _init(not args.no_trees)
        assert _ENGINE is not None
        steps: list[Step] = [tuple(step) for step in case["steps"]]
        found = _replay(_ENGINE, ROOT / case["path"], steps)
        print(f"{args.replay}: " + (f"{found[1]} after step {found[0]}" if found else "passes"))
        return 1 if found else 0
    seed = args.seed if args.seed is not None else int(time.time()) % 1_000_000
    started = time.monotonic()
    mismatches: list[dict[str, object]] = []
    edits = 0
    jobs = [(seed, i) for i in range(args.count)]
    # A worker is replaced after 20 chunks (320 sequences): py-tree-sitter <= 0.26.1 leaks the
    # capture lists it passes to a custom query predicate, and with them every tree matched
    # (about 1 MB a sequence here), so a long-lived worker would grow by gigabytes.
    context = multiprocessing.get_context("spawn")
    with context.Pool(max(1, args.jobs), _init, (not args.no_trees,), maxtasksperchild=20) as pool:
        for done, outcome in enumerate(pool.imap_unordered(_run, jobs, chunksize=16), start=1):
            edits += outcome.steps
            if outcome.mismatch is not None:
                mismatches.append(outcome.mismatch)
                args.out.mkdir(parents=True, exist_ok=True)
                saved = args.out / f"incremental-{seed}-{outcome.index}.json"
                saved.write_text(json.dumps(outcome.mismatch, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
                print(f"mismatch: seed {seed} sequence {outcome.index} -> {saved}", file=sys.stderr, flush=True)
                print(f"  {outcome.mismatch['failure']}: {outcome.mismatch['example']}", file=sys.stderr)
            if done % 500 == 0:
                print(f"  {done}/{args.count} sequences, {edits} edits, {len(mismatches)} mismatches, "
                      f"{time.monotonic() - started:.0f} s", file=sys.stderr, flush=True)
    elapsed = time.monotonic() - started
    print(f"incremental fuzz: {args.count} sequences, {len(mismatches)} mismatches "
          f"(seed {seed}; {edits} edits{', findings only' if args.no_trees else ''}, {args.jobs} processes, "
          f"{elapsed:.0f} s)", flush=True)
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
