"""Pathological input costs a bounded, reported skip, never a crash or a stall (issue 15).

Deep nesting and long chains are walked with explicit stacks (no RecursionError), matched in
bounded slices (no quadratic single C call), and a file whose rule matching runs past its time
budget reports the units done in time plus a catalogued ANA010 skip for the rest, which is never
cached as "no findings"."""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import tree_sitter

from coderev.analyzers import analysis, predicates, triggers
from coderev.analyzers import budget as budget_module
from coderev.analyzers.analysis import Analyzer, UnitCache
from coderev.analyzers.batch import analyze_file
from coderev.analyzers.budget import Budget
from coderev.analyzers.config import options_from_mapping
from coderev.analyzers.document import Document
from coderev.analyzers.errors import CATALOGUE, CoderevError
from coderev.analyzers.languages import TEXT_LANGUAGE_IDS, get_language, language_for_path
from coderev.analyzers.matching import Match, unit_matches
from coderev.analyzers.ruleset import default_rules
from coderev.analyzers.taint import spec as taint_spec
from coderev.analyzers.taint.engine import _mentioned
from coderev.analyzers.taint.scopes import bound_names
from coderev.analyzers.taint.syntax import PYTHON

ROOT = Path(__file__).resolve().parent.parent
TERMS, DEPTH = 1_000, 5_000  # Python's recursion limit is 1,000 frames


def _concat(part: str) -> str:
    return " + ".join([part] * TERMS)


def _parens(inner: str) -> str:
    return "(" * DEPTH + inner + ")" * DEPTH


_SERVLET = (
    "public class LoginServlet extends HttpServlet {{\n"
    "    protected void doPost(HttpServletRequest request, HttpServletResponse response) throws IOException {{\n"
    '        String user = request.getParameter("user");\n'
    "        Statement stmt = conn.createStatement();\n"
    '        ResultSet rs = stmt.executeQuery("SELECT " + {});\n'
    "    }}\n}}\n"
)
_GO = (
    "package main\n\nfunc findUser(w http.ResponseWriter, r *http.Request) {{\n"
    '\tname := r.URL.Query().Get("name")\n\trow := db.QueryRow("SELECT " + {})\n\trow.Scan(&u)\n}}\n'
)
_EXPRESS = (
    'app.get("/users", (req, res) => {{\n  const sql = "SELECT " + {};\n'
    "  db.query(sql, (e, rows) => res.json(rows));\n}});\n"
)
# name -> (file name, text, a rule that must report it)
CASES: dict[str, tuple[str, str, str]] = {
    "python-concat": (
        "concat.py",
        'from flask import request\n\n@app.route("/q")\ndef q():\n    x = request.args.get("x")\n'
        f"    cursor.execute({_concat(chr(34) + 'a' + chr(34) + ' + x')})\n",
        "python.sql-injection.concatenated-query",
    ),
    "python-parens": ("parens.py", f"import os\n\ndef run(cmd):\n    os.system({_parens('cmd')})\n",
                      "python.command-injection.shell-call"),
    "javascript-concat": ("concat.js", _EXPRESS.format(_concat('"a" + req.query.name')),
                          "javascript.sql-injection.request-data-query"),
    "javascript-parens": ("parens.js", _EXPRESS.format(_parens("req.query.name")),
                          "javascript.sql-injection.request-data-query"),
    "go-concat": ("concat.go", _GO.format(_concat('"a" + name')), "go.sql-injection.formatted-query"),
    "go-parens": ("parens.go", _GO.format(_parens("name")), "go.sql-injection.formatted-query"),
    "java-concat": ("Concat.java", _SERVLET.format(_concat('"a" + user')), "java.sql-injection.concatenated-query"),
    "java-parens": ("Parens.java", _SERVLET.format(_parens("user")), "java.sql-injection.concatenated-query"),
}
GO_CHAIN = "package main\n\nfunc f(a string) string {\n\tx := " + " + ".join(["a"] * 32_000) + "\n\treturn x\n}\n"


@functools.cache
def _analyzer() -> Analyzer:
    return Analyzer()


def _document(name: str, text: str) -> Document:
    return Document(text, language_for_path(Path(name)))


# --- no recursion ---------------------------------------------------------------------------------


@pytest.mark.parametrize("case", sorted(CASES))
def test_deep_and_long_expressions_are_analyzed(case: str) -> None:
    name, text, rule = CASES[case]
    run = _analyzer().run(_document(name, text))
    assert run.skipped == ()
    assert rule in {f.rule_id for f in run.findings}


def _deepest(node: tree_sitter.Node, kind: str) -> tree_sitter.Node:
    """The outermost node of ``kind`` below ``node`` (walked without recursion)."""
    stack = [node]
    while stack:
        current = stack.pop()
        if current.type == kind:
            return current
        stack.extend(current.children)
    raise AssertionError(kind)


def test_structural_walks_keep_their_own_stack() -> None:
    tree = _document("a.py", f"x = {_parens('user')}\n{_parens('a, b')} = 1\n").snapshot().tree
    assert tree is not None
    value = _deepest(tree.root_node.children[0], "parenthesized_expression")
    assert predicates.is_dynamic(value)
    assert not predicates.is_dynamic(value, frozenset({"user"}))
    assert _mentioned(value, PYTHON) == {"user"}
    target = tree.root_node.children[1].named_children[0].child_by_field_name("left")
    assert target is not None
    assert bound_names(target, PYTHON) == ["a", "b"]
    assert predicates._targets(target) == ["a", "b"]
    assert predicates._targets_in(target) == {"a", "b"}


def test_a_deeply_nested_user_query_has_its_requirements() -> None:
    query = "(call " * DEPTH + '(identifier) @x (#eq? @x "needle")' + ")" * DEPTH
    assert triggers.requirements(query) == ((frozenset({"needle"}),),)


def test_a_cycle_of_taint_spec_extends_is_a_catalogued_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "a.yaml").write_text("extends: b\nlanguages: [x]\n")
    (tmp_path / "b.yaml").write_text("extends: a\nlanguages: [y]\n")
    (tmp_path / "c.yaml").write_text("extends: d\nlanguages: [z]\nsources: {request: [c.d]}\n")
    (tmp_path / "d.yaml").write_text("languages: [w]\nsources: {request: [a.b]}\nchecks: {guards: g}\n")
    monkeypatch.setattr(taint_spec, "SPEC_DIR", tmp_path)
    with pytest.raises(CoderevError, match=r"ANA001.*cycle"):
        taint_spec._raw("a")
    merged = taint_spec._raw("c")
    assert merged["languages"] == ["z"] and merged["sources"] == {"request": ["a.b", "c.d"]}
    assert merged["checks"] == {"guards": "g"}


# --- matching in slices ---------------------------------------------------------------------------


def _key(match: Match) -> tuple[int, tuple[tuple[str, tuple[tuple[int, int, int], ...]], ...]]:
    pattern, captures = match
    nodes = ((name, tuple((n.start_byte, n.end_byte, n.kind_id) for n in found)) for name, found in captures.items())
    return pattern, tuple(sorted(nodes))


def _same_matches(query: tree_sitter.Query, text: str, language: str, depth: int) -> None:
    tree = Document(text, get_language(language)).snapshot().tree
    assert tree is not None
    for unit in tree.root_node.children:
        whole = tree_sitter.QueryCursor(query).matches(unit, predicates.evaluate)  # type: ignore[arg-type]
        sliced = unit_matches(query, unit, predicates.evaluate, Budget(None), depth=depth)
        assert sliced is not None
        assert sorted(map(_key, sliced)) == sorted(map(_key, whole)), (language, text[:200])


def test_slices_find_exactly_what_one_cursor_finds() -> None:
    """Tiny slices (2 levels) cut every example and fixture into many pieces."""
    samples = [(e.code, e.language) for r in default_rules() for e in r.examples if e.language not in TEXT_LANGUAGE_IDS]
    for path in sorted((ROOT / "tests" / "fixtures").rglob("*")):
        spec = language_for_path(path)
        if spec is not None and path.is_file():
            samples.append((path.read_text(encoding="utf-8"), spec.id))
    assert len(samples) > 500
    for text, language in samples:
        grammar = get_language(language)
        assert grammar is not None
        query = _analyzer().compiled(grammar).query
        assert query is not None
        _same_matches(query, text, language, depth=2)


def test_sibling_patterns_are_found_across_slice_boundaries() -> None:
    python = get_language("python")
    assert python is not None
    siblings = "((identifier) @a . (identifier) @b) ((expression_statement) . (expression_statement) @s)"
    query = tree_sitter.Query(python.grammar, siblings)
    text = "def f():\n    if a:\n        if b:\n            if c:\n                g(x, y)\n                h(z, w)\n"
    for depth in (1, 2, 3, 5):
        _same_matches(query, text, "python", depth)


def test_a_32k_term_go_expression_never_holds_the_gil_for_long() -> None:
    """Hang guard: one whole-unit cursor took 24 s of a single C call (GIL held) on this input."""
    document = _document("chain.go", GO_CHAIN)
    _analyzer().compiled(document.language)  # type: ignore[arg-type]
    longest, stop = [0.0], threading.Event()

    def watch() -> None:
        last = time.perf_counter()
        while not stop.is_set():
            time.sleep(0.01)
            now = time.perf_counter()
            longest[0] = max(longest[0], now - last)
            last = now

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        run = _analyzer().run(document, budget=Budget(None))
    finally:
        stop.set()
        watcher.join()
    assert run.skipped == () and run.findings == []
    assert longest[0] < 5.0


# --- the time budget ------------------------------------------------------------------------------

VULNERABLE = (
    "import yaml\n\n\ndef first(data):\n    return yaml.load(data)\n\n\n"
    "def pathological(data):\n    return yaml.load(data)\n\n\ndef after(data):\n    return yaml.load(data)\n"
)


class _Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def slow_unit(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Matching a unit whose text contains ``pathological`` takes 100 (fake) seconds; returns
    the names of the units matched, in order."""
    clock = _Clock()
    monkeypatch.setattr(budget_module, "clock", clock)
    real = unit_matches
    matched: list[str] = []

    def fake(query: tree_sitter.Query, unit: tree_sitter.Node, evaluate: Any, budget: Budget) -> list[Match] | None:
        name = unit.child_by_field_name("name") if unit.type == "function_definition" else None
        matched.append((name.text or b"").decode() if name is not None else unit.type)
        if b"pathological" in (unit.text or b""):
            clock.now += 100.0
            return None if budget.exhausted() else real(query, unit, evaluate, budget)
        return real(query, unit, evaluate, budget)

    monkeypatch.setattr(analysis, "unit_matches", fake)
    return matched


def _rows(findings: list[Any]) -> list[int]:
    return [f.span.start_row for f in findings]


def test_a_unit_over_budget_is_skipped_and_the_units_before_it_report(slow_unit: list[str]) -> None:
    analyzer = Analyzer(options=options_from_mapping({"file-budget-seconds": 5})[0])
    run = analyzer.run(Document(VULNERABLE, get_language("python")))
    assert _rows(run.findings) == [4]  # first()
    assert [(s.name, s.start_row, s.end_row) for s in run.skipped] == [("pathological", 7, 8), ("after", 11, 12)]
    assert slow_unit == ["import_statement", "first", "pathological"]  # `after` was not even tried


def test_a_unit_that_ran_out_of_time_stays_skipped_until_its_text_changes(slow_unit: list[str]) -> None:
    analyzer, cache = Analyzer(), UnitCache()
    python = get_language("python")
    analyzer.run(Document(VULNERABLE, python), cache)
    assert len(cache.slow) == 1
    assert len(cache.entries) == 2  # the import and first(): the skipped units are never cached as results
    slow_unit.clear()
    again = analyzer.run(Document(VULNERABLE, python), cache)
    assert slow_unit == ["after"]  # pathological() is not tried again as it is
    assert _rows(again.findings) == [4, 12] and [s.name for s in again.skipped] == ["pathological"]
    edited = VULNERABLE.replace("def pathological(data):", "def pathological(data, more):")
    slow_unit.clear()
    analyzer.run(Document(edited, python), cache)
    assert slow_unit == ["pathological"]  # its text changed: tried again


def test_skips_are_never_cached_as_no_findings(slow_unit: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    analyzer, cache = Analyzer(), UnitCache()
    python = get_language("python")
    analyzer.run(Document(VULNERABLE, python), cache, Budget(None, cancelled=lambda: True))  # stopped at once
    assert cache.entries == {} and cache.slow == set()  # cancelled: nothing remembered
    monkeypatch.undo()  # the real matcher and clock again
    full = Analyzer().analyze(Document(VULNERABLE, python))
    assert _rows(full) == [4, 8, 12]
    assert analyzer.analyze(Document(VULNERABLE, python), cache) == full


def test_a_scan_reports_the_units_done_in_time_and_an_ana010_skip(slow_unit: list[str], tmp_path: Path) -> None:
    path = tmp_path / "app.py"
    path.write_text(VULNERABLE)
    result = analyze_file(Analyzer(), path)
    assert _rows(list(result.findings)) == [4]
    assert result.skip is not None and result.skip.code == "ANA010"
    assert "2 parts of the file" in result.skip.detail and "pathological (lines 8-9)" in result.skip.detail


def test_the_budget_option_is_validated() -> None:
    assert options_from_mapping({"file-budget-seconds": 2.5})[0].file_budget_seconds == 2.5
    assert options_from_mapping({"file_budget_seconds": 1})[0].file_budget_seconds == 1.0
    for bad in (0, -1, True, "5", 1e9, float("nan")):
        options, errors = options_from_mapping({"file-budget-seconds": bad})
        assert options.file_budget_seconds == 5.0
        assert [e.code for e in errors] == ["SYS001"], bad
    assert "file-budget-seconds" in CATALOGUE["ANA010"].remedy


def _budget_of(check: Callable[[], bool]) -> Budget:
    return Budget(None, cancelled=check)


def test_a_cancelled_budget_stops_matching() -> None:
    calls = [0]

    def cancelled() -> bool:
        calls[0] += 1
        return calls[0] > 1

    tree = _document("chain.go", GO_CHAIN).snapshot().tree
    assert tree is not None
    go = get_language("go")
    assert go is not None
    query = _analyzer().compiled(go).query
    assert query is not None
    assert unit_matches(query, tree.root_node.children[1], predicates.evaluate, _budget_of(cancelled)) is None
