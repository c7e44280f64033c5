"""Identifier/string abstraction in every analyzer language, and the prompt/answer format."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coderev.engine.model import prompt as fmt
from coderev.engine.model.placeholders import abstract, abstract_range, parse
from tests.conftest import budget

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


@pytest.mark.parametrize(
    ("language", "source", "names", "kept"),
    [
        ("javascript",
         'function showBio(card, user) {\n  card.innerHTML = user.bio;\n'
         '  res.cookie("sid", token, { httpOnly: false });\n}\n',
         ("showBio", "card", "user", "user.bio", "token"), ("innerHTML", "cookie", "httpOnly", "false", "function")),
        ("typescript",
         "export function load(widget: Ledger): void {\n"
         "  const agent = new https.Agent({ rejectUnauthorized: false });\n}\n",
         ("widget", "Ledger", "agent"), ("https", "Agent", "rejectUnauthorized", "export")),
        ("go",
         'func remember(w http.ResponseWriter, parcelToken string) {\n'
         '\thttp.SetCookie(w, &http.Cookie{Name: "remember", Value: parcelToken, HttpOnly: false})\n}\n',
         ("remember", "parcelToken"), ("http", "SetCookie", "Cookie", "HttpOnly", "Value", "ResponseWriter")),
        ("java",
         "public class Beacon {\n    void harbor(String voucherId) {\n"
         '        MessageDigest md = MessageDigest.getInstance("MD5");\n        md.update(voucherId.getBytes());\n'
         "    }\n}\n",
         ("Beacon", "harbor", "voucherId", "md"), ("MessageDigest", "getInstance", "MD5", "String", "update")),
    ],
)
def test_every_language_abstracts_its_own_name_nodes(
    language: str, source: str, names: tuple[str, ...], kept: tuple[str, ...]
) -> None:
    a = abstract(source, language=language)
    assert a.restore(a.text) == source
    words = set(a.text.replace("(", " ").replace(")", " ").replace(".", " ").replace(":", " ").split())
    for name in names:
        assert name not in words, (name, a.text)
        assert name in a.names.values(), name
    for word in kept:
        assert word in a.text, (word, a.text)


def test_expressions_no_rule_is_about_become_one_placeholder() -> None:
    source = (
        "def f(x):\n"
        '    cur.execute("DELETE FROM t WHERE a = %s" % self.rows[0])\n'
        "    data = yaml.load(await fetch(x) or x, Loader=yaml.FullLoader)\n"
        "    value = helper(\n        x,\n    )\n"
    )
    a = abstract(source)
    assert a.text == (
        "def ID1(ID2):\n"
        '    ID3.execute("DELETE FROM STR1 WHERE STR2 = %s" % EX1)\n'
        "    data = yaml.load(EX2, Loader=yaml.FullLoader)\n"
        "    ID4 = ID5(\n        ID2,\n    )\n"  # a multi-line expression keeps its lines
    )
    assert a.names["EX1"] == "self.rows[0]" and a.names["EX2"] == "await fetch(x) or x"
    assert a.restore(a.text) == source


def test_a_fixed_text_reuses_the_request_expressions_and_invents_none() -> None:
    source = 'def f(x):\n    cur.execute("DELETE FROM t WHERE a = %s" % self.rows[0])\n'
    fixed = 'def f(x):\n    cur.execute("DELETE FROM t WHERE a = %s", (self.rows[0],))\n'
    request = abstract(source)
    data = fixed.encode()
    answer = abstract_range(data, parse(fixed), 0, len(data), language="python", seed=request,
                            new_expressions=False)
    assert answer.text == 'def ID1(ID2):\n    ID3.execute("DELETE FROM STR1 WHERE STR2 = %s", (EX1,))\n'
    assert set(answer.names) == set(request.names)


names = st.from_regex(r"[a-z][a-z_]{2,10}", fullmatch=True).filter(lambda n: n not in {"def", "for", "and", "not"})


@settings(max_examples=budget(40))
@given(names, names, st.sampled_from(['"', "'"]), st.text("abcdefgh -_/", max_size=20))
def test_round_trip_property(a: str, b: str, quote: str, text: str) -> None:
    source = f"def {a}({b}):\n    {b}.append({quote}{text}{quote})\n    return hashlib.md5({b}).hexdigest()\n"
    abstraction = abstract(source)
    assert abstraction.restore(abstraction.text) == source


def test_fix_format_round_trip() -> None:
    hunks = fmt.edit_hunks("yaml.load(y)", "yaml.safe_load(y)")
    answer = fmt.fix_answer(hunks)
    assert answer == "FIX\n<<< load\n>>> safe_load\nEND\n"
    assert fmt.parse_fix(answer) == [("load", "safe_load")]
    assert fmt.apply_fix("yaml.load(y)", answer) == "yaml.safe_load(y)"
    assert fmt.parse_fix("FIX\nno end") is None
    assert fmt.parse_fix("FIX\n<<< a\nEND") is None  # a search without its replacement
    assert fmt.parse_fix("REVIEW\nNONE\nEND") is None
    assert fmt.apply_fix("yaml.load(y)", "FIX\n<<< dump\n>>> x\nEND") is None  # not in the region
    assert fmt.apply_fix("a", fmt.fix_answer([])) == "a"
    assert fmt.fix_prompt("python.x.y", "a(\n    b)") == "FIX python.x.y\na(\n    b)\nANSWER\n"


def test_review_format_round_trip() -> None:
    items = [fmt.ReviewItem(89, 4, "sql-injection"), fmt.ReviewItem(78, 5, "command-injection")]
    answer = fmt.review_answer(items)
    assert answer == "REVIEW\nL4 CWE-89 sql-injection\nL5 CWE-78 command-injection\nEND\n"
    assert fmt.parse_review(answer) == items
    assert fmt.parse_review(fmt.review_answer([])) == []
    assert fmt.parse_review("REVIEW\nCWE-89 L4 sql-injection\nEND") is None  # the v1 order is refused
    assert fmt.parse_review("REVIEW\nL4 CWE-89\nEND") is None


def test_review_prompt_leaves_out_blank_lines_but_keeps_their_numbers() -> None:
    prompt = fmt.review_prompt("def f():\n\n    pass\n", "python")
    assert prompt == "REVIEW python\n1| def f():\n3| pass\nANSWER\n"
    assert fmt.FORMAT_NAME == "coderev-edit-v4"


@pytest.mark.parametrize(("region", "replacement", "hunks"), [
    # the search widens to the left until its first occurrence is the changed place
    ("f(a=False, verify=False)", "f(a=False, verify=True)", [("verify=False", "verify=True")]),
    # nearby changes are one hunk; distant ones are separate, in order
    ('run("a b",\n    shell=True)', "run(['a', 'b'],\n    shell=False)",
     [('"a b"', "['a', 'b']"), ("True", "False")]),
    # an insertion is anchored on the bracket after it; on the token before when that is ambiguous
    ('Cookie{Name: "n", Value: v}', 'Cookie{Name: "n", Value: v, HttpOnly: true}', [("}", ", HttpOnly: true}")]),
    ("a(\n    b)", "a(\n    b,\n    c)", [(")", ",\n    c)")]),
    ("f(g(x), y)", "f(g(x), y, z=1)", [("y)", "y, z=1)")]),
    ("same", "same", []),
])
def test_edit_hunks_reproduce_the_replacement(region: str, replacement: str, hunks: list[tuple[str, str]]) -> None:
    assert fmt.edit_hunks(region, replacement) == hunks
    assert fmt.apply_fix(region, fmt.fix_answer(hunks)) == replacement


@settings(max_examples=budget(60))
@given(st.text("ab(), =\n", max_size=24), st.text("ab(), =\n", max_size=24))
def test_edit_hunks_round_trip_property(region: str, replacement: str) -> None:
    try:
        hunks = fmt.edit_hunks(region, replacement)
    except ValueError:
        return  # no unambiguous hunk (e.g. an insertion into an empty region): no training pair
    assert fmt.apply_fix(region, fmt.fix_answer(hunks)) == replacement
