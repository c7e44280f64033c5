"""Depth of the taint engine: constant conditions, key-sensitive containers, allow-lists that
are themselves untrusted, and the traces it records (issue 18)."""

# ruff: noqa: E501 - the snippets are code, one per line

from __future__ import annotations

import pytest

from coderev.analyzers.taint import is_tainted
from coderev.analyzers.taint.engine import taint_trace
from tests.check import argument_of

FLASK = "@app.route('/x', methods=['POST'])\ndef h():\n    p = request.form.get('p')\n"
SERVLET = "class A { void doPost(HttpServletRequest request, HttpServletResponse response) { String p = request.getParameter(\"p\"); "
EXPRESS = "app.post('/x', (req, res) => { const p = req.body.p; "
GIN = "package m\nfunc h(c *gin.Context) { p := c.Query(\"p\"); "

TAINTED = [
    # constant conditions that select the tainted branch
    ("python", FLASK + "    if (7 * 42) - 86 > 200:\n        v = p\n    else:\n        v = 'safe'\n    sink(v)\n"),
    ("python", FLASK + "    n = 10\n    if n * 3 < 5:\n        v = 'safe'\n    elif n > 1:\n        v = p\n    else:\n        v = 'x'\n    sink(v)\n"),
    ("python", FLASK + "    guess = 'ABC'\n    match guess[2]:\n        case 'A':\n            v = 'safe'\n        case 'B' | 'C':\n            v = p\n        case _:\n            v = 'x'\n    sink(v)\n"),
    ("python", FLASK + "    v = p if 2 > 1 else 'safe'\n    sink(v)\n"),
    ("java", SERVLET + "String v; int num = 196; if ((500 / 42) + num > 200) v = p; else v = \"safe\"; sink(v); } }"),
    ("java", SERVLET + "String v = \"safe\"; String guess = \"ABC\"; char t = guess.charAt(2); switch (t) { case 'A': v = \"x\"; break; case 'B': v = \"y\"; break; case 'C': case 'D': v = p; break; default: v = \"z\"; } sink(v); } }"),
    ("java", SERVLET + "int num = 106; String v = (7 * 18) + num > 200 ? p : \"safe\"; sink(v); } }"),
    ("javascript", EXPRESS + "let v = 'safe'; switch ('b') { case 'a': v = 'x'; break; case 'b': v = p; } sink(v) })"),
    ("go", GIN + "v := \"safe\"\n if 3 > 2 { v = p }\n sink(v) }"),
    # containers: the tainted key or position is the one read
    ("python", FLASK + "    m = {}\n    m['a'] = 'safe'\n    m['b'] = p\n    sink(m['b'])\n"),
    ("python", FLASK + "    m = {'a': 'safe', 'b': p}\n    sink(m.get('b'))\n"),
    ("python", FLASK + "    lst = []\n    lst.append('safe')\n    lst.append(p)\n    lst.append('more')\n    lst.pop(0)\n    sink(lst[0])\n"),
    ("python", FLASK + "    conf = configparser.ConfigParser()\n    conf.add_section('s')\n    conf.set('s', 'a', 'safe')\n    conf.set('s', 'b', p)\n    sink(conf.get('s', 'b'))\n"),
    ("python", FLASK + "    m = {}\n    m[p] = p\n    sink(m['a'])\n"),  # written under a key that is not known
    ("python", FLASK + "    m = {}\n    m['a'] = p\n    sink(m[name])\n"),  # read under a key that is not known
    ("python", FLASK + "    m = {'a': 'safe'}\n    m.update(request.args)\n    sink(m['a'])\n"),
    ("java", SERVLET + "java.util.HashMap<String, Object> m = new java.util.HashMap<String, Object>(); m.put(\"a\", \"safe\"); m.put(\"b\", p); String v = (String) m.get(\"b\"); sink(v); } }"),
    ("java", SERVLET + "java.util.List<String> l = new java.util.ArrayList<String>(); l.add(\"safe\"); l.add(p); l.add(\"more\"); l.remove(0); sink(l.get(0)); } }"),
    ("javascript", EXPRESS + "const o = { a: 'safe', b: p }; sink(o.b) })"),
    ("go", GIN + "m := map[string]string{\"a\": \"safe\"}\n m[\"b\"] = p\n sink(m[\"b\"]) }"),
    # an allow-list read from the request proves nothing
    ("python", FLASK + "    if p in request.form.getlist('allowed'):\n        sink(p)\n"),
    ("javascript", EXPRESS + "if (req.body.allowed.includes(p)) { sink(p) } })"),
    # wrappers that keep the request in a field
    ("python", "class Wrapped:\n    def value(self, name):\n        return self.request.args.get(name)\n    def h(self):\n        sink(self.value('x'))\n"),
]

CLEAN = [
    ("python", FLASK + "    if 3 * 7 > 40:\n        v = p\n    else:\n        v = 'safe'\n    sink(v)\n"),
    ("python", FLASK + "    num = 86\n    if (7 * 42) - num > 200:\n        v = 'safe'\n    else:\n        v = p\n    sink(v)\n"),
    ("python", FLASK + "    guess = 'ABC'\n    match guess[1]:\n        case 'A':\n            v = p\n        case 'B':\n            v = 'safe'\n        case _:\n            v = p\n    sink(v)\n"),
    ("python", FLASK + "    v = 'safe' if 2 > 1 else p\n    sink(v)\n"),
    ("python", FLASK + "    if True:\n        return 'nothing'\n    sink(p)\n"),
    ("python", FLASK + "    if 1 > 2:\n        sink(p)\n"),
    ("java", SERVLET + "String v; int num = 86; if ((7 * 42) - num > 200) v = \"safe\"; else v = p; sink(v); } }"),
    ("java", SERVLET + "String v = \"safe\"; String guess = \"ABC\"; char t = guess.charAt(1); switch (t) { case 'A': v = p; break; case 'B': v = \"y\"; break; case 'C': case 'D': v = p; break; default: v = p; } sink(v); } }"),
    ("java", SERVLET + "int num = 86; String v = (7 * 42) - num > 200 ? \"safe\" : p; sink(v); } }"),
    ("javascript", EXPRESS + "let v = p; switch ('c') { case 'a': v = p; break; default: v = 'safe'; } sink(v) })"),
    ("javascript", EXPRESS + "const v = (1 > 2) ? p : 'safe'; sink(v) })"),
    ("go", GIN + "v := p\n if 3 > 2 { v = \"safe\" } else { v = p }\n sink(v) }"),
    ("python", FLASK + "    m = {}\n    m['a'] = 'safe'\n    m['b'] = p\n    sink(m['a'])\n"),
    ("python", FLASK + "    m = {'a': 'safe', 'b': p}\n    sink(m.get('a'))\n"),
    ("python", FLASK + "    lst = []\n    lst.append('safe')\n    lst.append(p)\n    lst.append('more')\n    lst.pop(0)\n    sink(lst[1])\n"),
    ("python", FLASK + "    conf = configparser.ConfigParser()\n    conf.add_section('s')\n    conf.set('s', 'a', 'safe')\n    conf.set('s', 'b', p)\n    sink(conf.get('s', 'a'))\n"),
    ("java", SERVLET + "java.util.HashMap<String, Object> m = new java.util.HashMap<String, Object>(); m.put(\"a\", \"safe\"); m.put(\"b\", p); String v = (String) m.get(\"a\"); sink(v); } }"),
    ("java", SERVLET + "java.util.List<String> l = new java.util.ArrayList<String>(); l.add(\"safe\"); l.add(p); l.add(\"more\"); l.remove(0); sink(l.get(1)); } }"),
    ("javascript", EXPRESS + "const o = { a: 'safe', b: p }; sink(o.a) })"),
    ("go", GIN + "m := map[string]string{\"a\": \"safe\"}\n m[\"b\"] = p\n sink(m[\"a\"]) }"),
    # a trusted allow-list still sanitizes
    ("python", FLASK + "    if p in ALLOWED:\n        sink(p)\n"),
    ("javascript", EXPRESS + "if (ALLOWED.includes(p)) { sink(p) } })"),
]


@pytest.mark.parametrize(("language", "code"), TAINTED)
def test_tainted(language: str, code: str) -> None:
    assert is_tainted(argument_of(code, language), language=language)


@pytest.mark.parametrize(("language", "code"), CLEAN)
def test_clean(language: str, code: str) -> None:
    assert not is_tainted(argument_of(code, language), language=language)


def test_a_loop_does_not_fold_its_counter() -> None:
    code = FLASK + "    v = 'safe'\n    i = 0\n    while i < 3:\n        i = i + 1\n        if i == 2:\n            v = p\n    sink(v)\n"
    assert is_tainted(argument_of(code, "python"), language="python")


def test_a_return_inside_try_does_not_make_the_rest_dead() -> None:
    code = FLASK + "    try:\n        return int(p)\n    except ValueError:\n        pass\n    sink(p)\n"
    assert is_tainted(argument_of(code, "python"), language="python")


def test_trace_goes_from_the_source_to_the_sink() -> None:
    code = FLASK + "    q = 'SELECT ' + p\n    sink(q)\n"
    steps = taint_trace(argument_of(code, "python"), language="python")
    assert steps is not None
    labels = [label for label, _ in steps]
    assert labels[0].startswith("source: request.form.get")
    assert labels[1:] == ["assigned to `p`", "assigned to `q`"]
    assert [node.start_point.row for _, node in steps] == [2, 2, 3]


@pytest.mark.parametrize(("language", "code"), [
    ("javascript", EXPRESS + "const names = USERS.map(u => u.name); sink(names.slice(p, p + 1).join(', ')) })"),
    ("java", SERVLET + "int i = 2; sink(NAMES.get(Integer.valueOf(i))); sink2(\"x\".substring(p.length())); } }"),
])
def test_positions_carry_no_text_into_the_result(language: str, code: str) -> None:
    assert not is_tainted(argument_of(code, language), language=language)


def test_the_receiver_of_a_slice_still_carries_its_text() -> None:
    code = EXPRESS + "sink(p.slice(0, 10)) })"
    assert is_tainted(argument_of(code, "javascript"), language="javascript")
