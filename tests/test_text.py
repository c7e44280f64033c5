"""Positions survive every encoding on non-ASCII text (emoji, CJK, combining marks)."""

from __future__ import annotations

from hypothesis import assume, given
from hypothesis import strategies as st

from coderev.analyzers.text import LineIndex, Position, PositionEncoding

ENCODINGS = list(PositionEncoding)
# Text without lone surrogates (what a file can hold), weighted towards multi-byte characters.
chars = st.one_of(
    st.characters(blacklist_categories=("Cs",)),
    st.sampled_from(["😀", "中", "é", "e\u0301", "\n", "\r\n", "𝄞", "a", " "]),
)
texts = st.lists(chars, max_size=40).map("".join)


def units(text: str, encoding: PositionEncoding) -> int:
    if encoding is PositionEncoding.UTF8:
        return len(text.encode())
    if encoding is PositionEncoding.UTF16:
        return len(text.encode("utf-16-le")) // 2
    return len(text)


@given(texts, st.data())
def test_every_character_boundary_round_trips(text: str, data: st.DataObject) -> None:
    source = text.encode()
    index = LineIndex(source)
    cut = data.draw(st.integers(0, len(text)))
    assume(text[cut - 1 : cut] != "\r")  # inside a CRLF terminator is not a text position
    offset = len(text[:cut].encode())
    for encoding in ENCODINGS:
        position = index.position_of(offset, encoding)
        line_start = text.rfind("\n", 0, cut) + 1
        assert position == Position(text.count("\n", 0, cut), units(text[line_start:cut], encoding))
        assert index.offset_of(position, encoding) == offset


def test_known_positions() -> None:
    text = "a😀b\n中文x\ne\u0301!"
    index = LineIndex(text.encode())
    b = text.encode().index(b"b")
    assert index.position_of(b, PositionEncoding.UTF16) == Position(0, 3)
    assert index.position_of(b, PositionEncoding.UTF32) == Position(0, 2)
    assert index.position_of(b, PositionEncoding.UTF8) == Position(0, 5)
    x = text.encode().index(b"x")
    assert index.position_of(x, PositionEncoding.UTF16) == Position(1, 2)
    bang = text.encode().index(b"!")
    assert index.position_of(bang, PositionEncoding.UTF16) == Position(2, 2)


def test_positions_inside_a_code_point_round_up_and_past_the_end_clamp() -> None:
    index = LineIndex("😀z\nq".encode())
    # character 1 is half of the surrogate pair: the edit point moves past the emoji
    assert index.offset_of(Position(0, 1), PositionEncoding.UTF16) == 4
    assert index.offset_of(Position(0, 2), PositionEncoding.UTF8) == 4
    assert index.offset_of(Position(0, 99), PositionEncoding.UTF16) == 5
    assert index.offset_of(Position(7, 0), PositionEncoding.UTF16) == len("😀z\nq".encode())


@given(texts, st.integers(0, 60), st.integers(0, 8), texts)
def test_incrementally_updated_line_index_equals_a_rebuilt_one(
    text: str, at: int, length: int, inserted: str
) -> None:
    source = text.encode()
    start = min(at, len(source))
    end = min(start + length, len(source))
    new = inserted.encode()
    edited = source[:start] + new + source[end:]
    updated = LineIndex(source).replaced(edited, start, end, new)
    rebuilt = LineIndex(edited)
    assert [updated.line_start(i) for i in range(updated.line_count)] == [
        rebuilt.line_start(i) for i in range(rebuilt.line_count)
    ]
