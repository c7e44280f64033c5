"""Document edits: text and tree stay in step with what the editor has."""

from __future__ import annotations

from pathlib import Path

import pytest

from coderev.analyzers import CoderevError, Document, Position, PositionEncoding, TextChange, TextRange, get_language

PY = get_language("python")


def change(sl: int, sc: int, el: int, ec: int, text: str) -> TextChange:
    return TextChange(TextRange(Position(sl, sc), Position(el, ec)), text)


def test_incremental_edit_matches_a_fresh_parse() -> None:
    doc = Document("def f():\n    return 1\n", PY)
    doc.apply_changes([change(1, 11, 1, 12, "x + 2")], version=2)
    assert doc.text == "def f():\n    return x + 2\n"
    assert doc.version == 2
    fresh = Document(doc.text, PY)
    assert doc.tree is not None and fresh.tree is not None
    assert str(doc.tree.root_node) == str(fresh.tree.root_node)
    assert doc.changed_ranges and doc.changed_ranges[0].start == doc.source.index(b"x + 2")


def test_utf16_positions_after_an_emoji() -> None:
    doc = Document("s = '😀'; t = 1\n", PY)
    # 't' is at UTF-16 column 10 (the emoji takes two code units)
    doc.apply_changes([change(0, 10, 0, 11, "u")])
    assert doc.text == "s = '😀'; u = 1\n"
    utf8 = Document("s = '😀'; t = 1\n", PY, encoding=PositionEncoding.UTF8)
    utf8.apply_changes([change(0, 12, 0, 13, "u")])
    assert utf8.text == doc.text


def test_several_changes_apply_in_order_and_full_replacement_resets() -> None:
    doc = Document("a = 1\nb = 2\n", PY)
    doc.apply_changes([change(0, 0, 0, 1, "x"), change(1, 0, 1, 1, "y"), change(0, 4, 0, 5, "10")])
    assert doc.text == "x = 10\ny = 2\n"
    doc.apply_changes([TextChange(None, "z = 3\n")])
    assert doc.text == "z = 3\n"
    assert doc.tree is not None and not doc.tree.root_node.has_error


@pytest.mark.parametrize(
    "bad",
    [change(5, 0, 5, 0, "x"), change(0, 3, 0, 1, "x"), change(-1, 0, 0, 0, "x"), change(2, 1, 2, 1, "x")],
)
def test_edits_outside_the_text_raise_ana007(bad: TextChange) -> None:
    doc = Document("a = 1\n", PY)
    with pytest.raises(CoderevError) as caught:
        doc.apply_changes([bad])
    assert caught.value.code == "ANA007"
    assert doc.text == "a = 1\n"  # nothing half-applied
    assert doc.tree is not None and doc.tree.root_node.text == doc.source


def test_insert_at_the_end_of_the_text_is_allowed() -> None:
    doc = Document("a = 1\n", PY)
    doc.apply_changes([change(1, 0, 1, 0, "b = 2\n")])
    assert doc.text == "a = 1\nb = 2\n"


def test_a_broken_tree_is_the_one_a_fresh_parse_gives() -> None:
    """ADR 0015: deleting the `{` of a Java method, tree-sitter's incremental reparse recovers into
    other top-level units than a fresh parse of the same text does; readers get the fresh parse's
    tree (parsed once per snapshot), and a tree without errors is the reparse itself."""
    java = get_language("java")
    source = (Path(__file__).parent / "fixtures" / "java" / "safe" / "AccountDao.java").read_text(encoding="utf-8")
    doc = Document(source, java)
    line = next(i for i, text in enumerate(source.split("\n")) if "sealExport(" in text)
    brace = source.split("\n")[line].rindex("{")
    doc.apply_changes([change(line, brace, line, brace + 1, "")])
    fresh = Document(doc.text, java)
    snapshot = doc.snapshot()
    assert snapshot.tree is not None and fresh.tree is not None and snapshot.tree.root_node.has_error
    assert str(snapshot.tree.root_node) == str(fresh.tree.root_node)
    assert [(u.type, u.start_byte, u.end_byte) for u in snapshot.tree.root_node.children] == [
        (u.type, u.start_byte, u.end_byte) for u in fresh.tree.root_node.children
    ]
    assert snapshot.tree is snapshot.tree and doc.tree is not None
    doc.apply_changes([change(line, brace, line, brace, "{")])
    assert doc.snapshot().tree is doc.snapshot().parsed and doc.text == source


def test_snapshots_do_not_change_under_later_edits() -> None:
    doc = Document("a = 1\n", PY)
    before = doc.snapshot()
    doc.apply_changes([change(0, 4, 0, 5, "2")])
    assert before.text == "a = 1\n"
    assert before.tree is not None and before.tree.root_node.text == b"a = 1\n"
    assert doc.snapshot().text == "a = 2\n"


def test_unsupported_language_keeps_text_without_a_tree() -> None:
    doc = Document("hello\n", None)
    doc.apply_changes([change(0, 0, 0, 5, "bye")])
    assert doc.text == "bye\n" and doc.tree is None


def test_python_312_fstrings_parse_without_errors() -> None:
    code = 'names = ["a"]\nmsg = f"{", ".join(names)} and {f"{names[0]!r}"}"\nq = f"{x["k"]}"\n'
    doc = Document(code, PY)
    assert doc.tree is not None and not doc.tree.root_node.has_error


def test_lone_surrogates_from_json_do_not_crash() -> None:
    doc = Document("a = '\ud800'\n", PY)
    doc.apply_changes([change(0, 0, 0, 1, "b")])
    assert doc.text.startswith("b = '")
