"""Identifier/string abstraction and the prompt/answer format."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.model import prompt as fmt
from engine.model.placeholders import abstract

SOURCE = '''@app.route("/users/<user_id>")
def show_user(user_id):
    cur = db.cursor()
    cur.execute(f"SELECT name, email FROM users WHERE id = {user_id}")
    subprocess.run("df -h", shell=True)
    return jsonify(cur.fetchone())
'''


def test_round_trip_restores_the_exact_text() -> None:
    a = abstract(SOURCE)
    assert a.restore(a.text) == SOURCE
    assert a.text.count("\n") == SOURCE.count("\n")


def test_user_names_become_placeholders_and_api_names_stay() -> None:
    a = abstract(SOURCE)
    for name in ("show_user", "user_id", "jsonify", "cur"):
        assert name not in a.text.replace("cursor", ""), name
    for api in ("execute", "subprocess", "run", "shell", "SELECT", "FROM", "WHERE"):
        assert api in a.text
    assert "def ID1(ID2):" in a.text
    assert "{ID2}" in a.text  # the same name gets the same placeholder everywhere


def test_answer_shares_the_request_mapping() -> None:
    request = abstract("def f(alpha):\n    return yaml.load(alpha)\n")
    answer = abstract("def f(alpha):\n    return yaml.safe_load(alpha)\n", request)
    assert answer.text == "def ID1(ID2):\n    return yaml.safe_load(ID2)\n"
    assert request.restore(answer.text) == "def f(alpha):\n    return yaml.safe_load(alpha)\n"


names = st.from_regex(r"[a-z][a-z_]{2,10}", fullmatch=True).filter(lambda n: n not in {"def", "for", "and", "not"})


@settings(max_examples=40, deadline=None)
@given(names, names, st.sampled_from(['"', "'"]), st.text("abcdefgh -_/", max_size=20))
def test_round_trip_property(a: str, b: str, quote: str, text: str) -> None:
    source = f"def {a}({b}):\n    {b}.append({quote}{text}{quote})\n    return hashlib.md5({b}).hexdigest()\n"
    abstraction = abstract(source)
    assert abstraction.restore(abstraction.text) == source


def test_fix_format_round_trip() -> None:
    answer = fmt.fix_answer("x = yaml.safe_load(y)\n")
    assert answer == "FIX\nx = yaml.safe_load(y)\nEND\n"
    assert fmt.parse_fix(answer) == "x = yaml.safe_load(y)\n"
    assert fmt.parse_fix("FIX\nno end") is None
    assert fmt.parse_fix("REVIEW\nNONE\nEND") is None


def test_review_format_round_trip() -> None:
    items = [fmt.ReviewItem(89, 4, "sql-injection"), fmt.ReviewItem(78, 5, "command-injection")]
    assert fmt.parse_review(fmt.review_answer(items)) == items
    assert fmt.parse_review(fmt.review_answer([])) == []
    assert fmt.parse_review("REVIEW\nCWE-89 at line 4\nEND") is None
    assert fmt.review_prompt("def f():\n    pass\n") == "REVIEW\n1| def f():\n2|     pass\nANSWER\n"


def test_dedent_and_reindent() -> None:
    indent, region = fmt.dedent_region("        a = 1\n        b(\n            c)\n")
    assert indent == " " * 8
    assert region == "a = 1\nb(\n    c)\n"
    assert fmt.reindent(region, indent) == "        a = 1\n        b(\n            c)\n"
