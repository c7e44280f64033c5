"""The invariant: after any sequence of edits, incremental findings == a fresh full analysis."""

from __future__ import annotations

from pathlib import Path

from hypothesis import example, given, settings
from hypothesis import strategies as st

from coderev.analyzers import Document, Position, TextChange, TextRange, UnitCache, language_for_path
from tests.check import analyzer
from tests.conftest import budget
from tests.edit_replay import ROOT, SOURCES, Step, first_mismatch

# Insertions that build findings, break syntax, move code, or add multi-byte text.
SNIPPETS = [
    "", "x", "\n", "    ", "(", ")", ":", "'", '"""', "#", "# coderev: ignore\n", "😀", "中文",
    "def g(a):\n    return a\n",
    "yaml.load(data)\n",
    'cursor.execute("SELECT * FROM t WHERE id = %s" % uid)\n',
    'cursor.execute(f"DELETE FROM t WHERE id = {uid}")\n',
    "subprocess.call(cmd, shell=True)\n",
    "requests.get(url, verify=False)\n",
    "eval(request.args['x'])\n",
    "class C:\n    pass\n",
    "@app.route('/x')\n",
    "if True:\n",
    # JavaScript / TypeScript: taint sources, sinks and sanitizers, and broken syntax
    "const q = req.query.q;\n", "db.query('SELECT ' + q);\n", "res.send(q);\n", "q = parseInt(q);\n",
    "el.innerHTML = location.hash;\n", "app.get('/x', (req, res) => {\n", "});\n", "`${", "=>",
    # Go
    "id := r.URL.Query().Get(\"id\")\n", "db.Query(\"SELECT \" + id)\n", "func h(c *gin.Context) {\n",
    # Java
    "String n = request.getParameter(\"n\");\n", "stmt.executeQuery(\"SELECT \" + n);\n",
    "void doGet(HttpServletRequest request) {\n", "}\n",
]


@st.composite
def edit_sequences(draw: st.DrawFn) -> tuple[Path, list[Step]]:
    path = draw(st.sampled_from(SOURCES))
    steps: list[Step] = draw(
        st.lists(
            st.tuples(
                st.floats(0, 1), st.floats(0, 1), st.integers(0, 3),
                st.one_of(st.sampled_from(SNIPPETS), st.text(max_size=6)), st.integers(0, 4),
            ),
            min_size=1,
            max_size=12,
        )
    )
    return path, steps


def test_there_are_real_sources_to_edit() -> None:
    assert len(SOURCES) >= 2
    languages = {spec.id for p in SOURCES if (spec := language_for_path(p)) is not None}
    assert {"python", "javascript", "typescript", "tsx", "go", "java"} <= languages


@settings(max_examples=budget(80))
@given(edit_sequences())
# Deleting a closing brace: the incremental reparse recovers `function jumpToSection() {` as a
# declaration, a fresh parse as a statement holding a function expression (the unit's name, and so
# the fingerprints of the findings in it, differed).
@example((ROOT / "tests" / "fixtures" / "javascript" / "vulnerable" / "client.js",
          [(0.4375, 0.0, 3, ""), (0.5, 0.0, 0, "0")]))
# Issue 15: a Go function header above the imports swallows the whole Java file into one unit with
# errors, which was matched on the incrementally reparsed tree: its error recovery (reusing subtrees
# of the previous, already broken, tree) kept `importStatements` inside an ERROR node, where a fresh
# parse makes it a method declaration again (one path-traversal finding fewer incrementally).
@example((ROOT / "tests" / "fixtures" / "java" / "vulnerable" / "AccountDao.java",
          [(0.0, 0.0, 0, ""), (0.0, 0.0, 0, ""), (0.71875, 0.125, 0, "/"), (0.5, 0.0, 2, ""),
           (0.0, 0.0, 1, ""), (0.75, 0.0, 2, ""), (0.0, 0.0, 0, "func h(c *gin.Context) {\n")]))
def test_incremental_findings_equal_full_analysis(case: tuple[Path, list[Step]]) -> None:
    path, steps = case
    mismatch = first_mismatch(analyzer(), path, steps)
    if mismatch is not None:
        assert mismatch.incremental == mismatch.full, f"after step {mismatch.step} of {steps}"


def test_edit_inside_one_function_rematches_only_that_unit() -> None:
    path = ROOT / "examples" / "vulnerable-app" / "app" / "views.py"
    doc = Document(path.read_text(encoding="utf-8"), language_for_path(path))
    cache = UnitCache()
    before = analyzer().analyze(doc, cache)
    assert cache.matched > 10 and cache.reused == 0
    line = doc.text.split("\n").index("def ping():")
    doc.apply_changes([TextChange(TextRange(Position(line + 1, 4), Position(line + 1, 4)), "x = 1\n    ")])
    after = analyzer().analyze(doc, cache)
    assert cache.matched == 1
    assert len(after) == len(before)
    moved = [f for f in after if f.span.start_row > line + 1]
    assert moved and all(f.fingerprint in {b.fingerprint for b in before} for f in after)
