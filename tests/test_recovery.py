"""The tree of a text with syntax errors (coderev/analyzers/recovery.py, ADR 0018): one per text,
made by a reparse that a fresh parse of the text's unbroken chunks guides."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import tree_sitter

from coderev.analyzers import Document, LanguageSpec, Position, TextChange, TextRange, get_language, language_for_path
from coderev.analyzers.recovery import chunk_starts
from coderev.server.lsp.documents import AnalysisResult, OpenDocument
from coderev.server.lsp.scheduler import Scheduler
from tests.edit_replay import SOURCES


def language(name: str) -> LanguageSpec:
    found = get_language(name)
    assert found is not None
    return found


PY = language("python")
JS = language("javascript")


def functions(count: int) -> str:
    return "".join(
        f"def handler_{i}(request, cursor):\n    user = request.args.get('id')\n"
        f"    cursor.execute('SELECT * FROM t WHERE id = %s' % user)\n    return user\n\n\n"
        for i in range(count)
    )


def typed(doc: Document, line: int, column: int, text: str) -> Iterator[Document]:
    """Type ``text`` (one line) at (line, column), one character per change; yields the document
    after each."""
    for i, char in enumerate(text):
        at = Position(line, column + i)
        doc.apply_changes([TextChange(TextRange(at, at), char)], version=doc.version + 1)
        yield doc


def shape(tree: tree_sitter.Tree | None) -> list[tuple[str, int, int, bool]]:
    assert tree is not None
    out, stack = [], [tree.root_node]
    while stack:
        node = stack.pop()
        out.append((node.type, node.start_byte, node.end_byte, node.is_missing))
        stack.extend(node.children)
    return out


def test_chunks_start_at_column_0_but_not_at_closers_continuations_or_after_decorators() -> None:
    source = (b"import os\n\n@app.route('/')\n@login\ndef f():\n    pass\n\nif x:\n    y()\nelse:\n    z()\n"
              b"# note\nclass A:\n    pass\n")
    starts = chunk_starts(source)
    assert [source[s : s + 6] for s in starts] == [b"import", b"@app.r", b"if x:\n", b"# note", b"class "]
    js = b"function f() {\n  return 1;\n}\nconst g = () => {\n};\ntry {\n} catch (e) {\n}\n"
    assert [js[s : s + 5] for s in chunk_starts(js)] == [b"funct", b"const", b"try {"]


def test_typing_into_one_function_reparses_without_a_fresh_parse_of_the_file() -> None:
    """While a statement is typed into one function, the text is broken at every keystroke; its
    tree is the one a new Document of that text gets, and the guide (the fresh parse of the other
    functions) is parsed once, not at every keystroke."""
    source = functions(30)
    doc = Document(source, PY)
    line = source.split("\n").index("def handler_12(request, cursor):") + 1
    guides, broken = set(), 0
    doc.apply_changes([TextChange(TextRange(Position(line + 1, 0), Position(line + 1, 0)), "\n")], version=2)
    for version in typed(doc, line + 1, 0, "    for item in items:"):
        snapshot = version.snapshot()
        assert snapshot.parsed is not None
        if not snapshot.parsed.root_node.has_error:
            continue
        broken += 1
        assert shape(snapshot.tree) == shape(Document(snapshot.source, PY).tree)
        assert snapshot.recovery.guide is not None
        guides.add(id(snapshot.recovery.guide[1]))
    assert broken > 10 and len(guides) == 1
    assert doc.tree is not None
    names = [u.child_by_field_name("name") for u in doc.tree.root_node.children]
    assert [n.text for n in names if n is not None][11:14] == [b"handler_11", b"handler_12", b"handler_13"]


def test_a_guide_that_does_not_parse_falls_back_to_a_fresh_parse() -> None:
    # Left out of the guide, `function f( {` keeps its "f"; with the next chunk `(x) => x;` that
    # is a call followed by `=> x`, which does not parse: the tree is then a fresh parse.
    text = "const a = 1;\nfunction f( {\n  return 1;\n}\n(x) => x;\nconst b = 2;\n"
    doc = Document(text.replace("f( {", "f() {"), JS)
    doc.apply_changes([TextChange(TextRange(Position(1, 11), Position(1, 12)), "")], version=2)
    assert doc.text == text
    fresh = tree_sitter.Parser(JS.grammar).parse(text.encode())
    assert str(doc.tree.root_node if doc.tree else None) == str(fresh.root_node)
    assert shape(doc.tree) == shape(Document(text, JS).tree)


def test_a_tree_given_up_for_a_newer_version_is_made_again_when_asked() -> None:
    source = functions(40)
    doc = Document(source, PY)
    list(typed(doc, 1, 4, "for "))
    snapshot = doc.snapshot()
    assert not snapshot.prepare(lambda: True) and not snapshot.prepare(lambda: True, units=True)
    assert snapshot.prepare(lambda: False) and snapshot.prepare(lambda: False, units=True)
    assert shape(snapshot.tree) == shape(Document(snapshot.source, PY).tree)
    assert Document("x = 1\n", PY).tree is not None  # the thread's parser was left usable


def test_a_version_superseded_while_its_tree_is_made_is_not_analysed() -> None:
    source = functions(40)
    doc = OpenDocument("file:///a.py", Path("a.py"), None, Document(source, PY))
    list(typed(doc.document, 1, 4, "for "))
    snapshot = doc.document.snapshot()
    analysed: list[int] = []

    def analyze(_: OpenDocument, snap: object, generation: int) -> AnalysisResult:
        analysed.append(generation)
        return AnalysisResult(doc.version, generation, doc.document.snapshot(), (), ())

    scheduler = Scheduler(None, analyze, lambda *_: None, lambda: 0)  # type: ignore[arg-type]
    doc.document.version += 1  # a newer edit arrived
    assert scheduler._prepared(doc, snapshot, 0) is None and analysed == []
    doc.document.version -= 1
    assert scheduler._prepared(doc, snapshot, 0) is not None and analysed == [0]


def test_units_keep_error_recovery_inside_the_broken_chunk() -> None:
    """An unclosed bracket typed into one JavaScript function: a parse of the whole text lets the
    call swallow the functions after it into one broken unit; the units parse that function
    alone, and the others are the units of the text before it broke, moved."""
    source = "".join(f"function f{i}(req, db) {{\n  const id = req.query.id;\n  return db.query(id);\n}}\n\n"
                     for i in range(40))
    doc = Document(source, JS)
    line = source.split("\n").index("function f7(req, db) {") + 1
    for version in typed(doc, line, len("  const id = req.query.id;"), " call(arg, [1"):
        snapshot = version.snapshot()
        units = snapshot.units
        assert [u.text for u in units] == [snapshot.source[u.start_byte : u.end_byte] for u in units]
        assert shape_of(units) == shape_of(Document(snapshot.source, JS).snapshot().units)
    assert doc.tree is not None and max(u.end_byte - u.start_byte for u in doc.tree.root_node.children) > 1000
    broken = [u for u in doc.snapshot().units if u.has_error]
    assert len(broken) == 1 and broken[0].text is not None and broken[0].text.startswith(b"function f7(")
    clean = Document(source, JS).snapshot().units
    after = [(u.type, u.end_byte - u.start_byte) for u in doc.snapshot().units if u.start_byte > broken[0].end_byte]
    assert after == [(u.type, u.end_byte - u.start_byte) for u in clean][8:]


BREAKS = ["(", "{", '"', "for ", "[1, ", "def ", "function ", "}", ")", ":", "\n  x = (", "/*", "`"]


def test_units_are_the_same_whatever_the_edits_before() -> None:
    """Breaking edits, one after another and undone in part, in files of every language: after
    each, the units of the edited document are those of a new document of the same text."""
    firsts: dict[str, tuple[Path, LanguageSpec]] = {}
    for path in SOURCES:
        found = language_for_path(path)
        if found is not None:
            firsts.setdefault(found.id, (path, found))
    assert {"python", "javascript", "java", "go"} <= set(firsts)
    for path, spec in firsts.values():
        text = path.read_text(encoding="utf-8")
        doc = Document(text, spec)
        lines = text.split("\n")
        for i, insert in enumerate(BREAKS * 2):
            line = (i * 7919) % len(lines)
            column = min(len(doc.text.split("\n")[line]), (i * 13) % 17)
            at = Position(line, column)
            end = Position(line, min(column + 1, len(doc.text.split("\n")[line])) if i % 5 == 4 else column)
            doc.apply_changes([TextChange(TextRange(at, end), insert)], version=i + 2)
            snapshot = doc.snapshot()
            assert shape_of(snapshot.units) == shape_of(Document(snapshot.source, spec).snapshot().units), (path, i)


def shape_of(units: list[tree_sitter.Node]) -> list[tuple[str, int, int, bool]]:
    out = []
    for unit in units:
        stack = [unit]
        while stack:
            node = stack.pop()
            out.append((node.type, node.start_byte, node.end_byte, node.is_missing))
            stack.extend(node.children)
    return out
