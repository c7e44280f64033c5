"""Custom query predicates and fix filters on small Python snippets."""

from __future__ import annotations

import gc
import tracemalloc
from pathlib import Path

import pytest
import tree_sitter
import tree_sitter_python

from coderev.analyzers import Analyzer, Document, get_language
from coderev.analyzers.fixes import fstring_to_params, shell_to_list, sql_percent_query
from coderev.analyzers.predicates import CUSTOM, binding_before, bindings_before, is_dynamic, local_constants
from coderev.analyzers.taint import is_tainted
from tests.check import argument_of

PYTHON = tree_sitter.Language(tree_sitter_python.language())


def dynamic(code: str) -> bool:
    node = argument_of(code)
    return is_dynamic(node, local_constants(node))


@pytest.mark.parametrize(
    "code",
    [
        "def v():\n    sink(request.args['f'])",
        "def v():\n    name = request.form.get('n')\n    path = os.path.join(BASE, name)\n    sink(path)",
        "def v():\n    for item in request.json['items']:\n        sink(item)",
        "def v():\n    if (q := request.GET.get('q')):\n        sink(q)",
        "@app.route('/f/<name>')\ndef v(name):\n    sink(name)",
        "@app.get('/items')\ndef v(q: str):\n    sink(f'/data/{q}')",
        "def v():\n    f = request.files['doc']\n    sink(f.filename)",
        "def v():\n    n = request.args['n']\n    if n in ALLOWED:\n        pass\n    sink(n)",
    ],
)
def test_request_data_is_tainted(code: str) -> None:
    assert is_tainted(argument_of(code))


@pytest.mark.parametrize(
    "code",
    [
        "def v(path):\n    sink(path)",
        "def v(request, slug):\n    sink(slug)",
        "def v():\n    sink(request.path)",
        "@app.route('/p/<int:pk>')\ndef v(pk: int):\n    sink(pk)",
        "@app.get('/x')\ndef v(db=Depends(get_db)):\n    sink(db)",
        "def v():\n    n = secure_filename(request.args['n'])\n    sink(n)",
        "def v():\n    n = int(request.args['n'])\n    sink(n)",
        "def v():\n    n = request.args['n']\n    n = 'fixed'\n    sink(n)",
        "def v():\n    n = request.args['n']\n    if n not in ALLOWED:\n        abort(400)\n    sink(n)",
        "def v():\n    n = request.args['n']\n    if n.startswith('/safe/'):\n        sink(n)",
        "def v():\n    n = request.args['n']\n    validate_path(n)\n    sink(n)",
        "def v():\n    sink(User.objects.get(pk=request.GET['id']))",
        "x = request.args['x']\nsink(x)",
    ],
)
def test_other_values_are_not_tainted(code: str) -> None:
    assert not is_tainted(argument_of(code))


def test_console_input_counts_only_with_the_cli_option() -> None:
    node = argument_of("def f():\n    cmd = input('> ')\n    sink(cmd)")
    assert is_tainted(node, {"cli"})
    assert not is_tainted(node)


def test_a_failed_check_does_not_clear_taint() -> None:
    code = "def v():\n    n = request.args['n']\n    if n not in CATALOG:\n        sink(n)"
    assert is_tainted(argument_of(code))


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("def f():\n    cmd = 'ls -l'\n    sink(cmd)", False),
        ("def f():\n    cmd = 'ls ' + OPTIONS\n    sink(cmd)", False),
        ("def f(x):\n    cmd = 'ls'\n    cmd = x\n    sink(cmd)", True),
        ("def f(cmd):\n    cmd = 'ls'\n    sink(cmd)", True),
        ("def f(xs):\n    for cmd in xs:\n        sink(cmd)", True),
        ("def f(flag):\n    sink('a' if flag else 'b')", False),
        ("def f(flag, x):\n    sink('a' if flag else x)", True),
        ("def f(name):\n    sink('DROP TABLE %s' % quote_name(name))", False),
        ("def f(keys):\n    sink(', '.join(['%s'] * len(keys)))", False),
        ("def f(x):\n    sink(str(x).strip())", True),
        ("def f():\n    sink(_('Select all'))", False),
    ],
)
def test_dynamic_values(code: str, expected: bool) -> None:
    assert dynamic(code) is expected


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("def f(request):\n    CMD = 'ping ' + request.GET['h']\n    sink(CMD)", True),
        ("def f(x):\n    RESPONSE = ''\n    RESPONSE += x\n    sink(RESPONSE)", True),
        ("def f(x):\n    SQL = 'SELECT ' + x\n    QUERY = SQL + ' FROM t'\n    sink(QUERY)", True),
        ("def f():\n    CMD = 'clear'\n    sink(CMD)", False),
        ("def f():\n    sink(CLEAR_COMMAND)", False),
        ("def f(x):\n    sink(CLEAR_COMMAND)\n    CLEAR_COMMAND = x", False),
    ],
)
def test_a_constant_style_name_is_dynamic_when_bound_to_data(code: str, expected: bool) -> None:
    """A name is a constant by what it holds, not by its case (``RESPONSE += param``)."""
    assert CUSTOM["dynamic?"]([("x", "capture")], {"x": [argument_of(code)]}) is expected


@pytest.mark.parametrize(
    ("literal", "offered"),
    [
        ('"SELECT * FROM t WHERE id = %s"', True),
        ('"SELECT * FROM t WHERE a = %s AND b IN (%s, %s) LIMIT %s"', True),
        ('"INSERT INTO t (a, b) VALUES (%(a)s, %(b)s)"', True),
        ("\"SELECT * FROM t WHERE name = '%s'\"", False),
        ("\"SELECT * FROM t WHERE name LIKE '%%%s%%'\"", False),
        ('"SELECT * FROM %s WHERE id = %s"', False),
        ('"SELECT * FROM t WHERE id = %d"', False),
    ],
)
def test_sql_percent_query_only_accepts_value_placeholders(literal: str, offered: bool) -> None:
    node = argument_of(f"sink({literal})")
    assert (sql_percent_query(node) is not None) is offered


@pytest.mark.parametrize(
    ("literal", "expected"),
    [
        ('f"SELECT * FROM t WHERE id = {uid}"', '"SELECT * FROM t WHERE id = %s", (uid,)'),
        ('f"UPDATE t SET a = {a}, b = {b}"', '"UPDATE t SET a = %s, b = %s", (a, b)'),
        # a value written as an SQL string literal: the parameter replaces it, quotes and all
        ("f\"SELECT * FROM t WHERE name = '{name}'\"", '"SELECT * FROM t WHERE name = %s", (name,)'),
        ("f\"SELECT * FROM t WHERE name LIKE '%{name}%'\"", None),
        ('f"SELECT * FROM {table} WHERE id = {uid}"', None),
        ('f"SELECT * FROM t WHERE id = {uid!r}"', None),
    ],
)
def test_fstring_to_params_only_converts_value_holes(literal: str, expected: str | None) -> None:
    assert fstring_to_params(argument_of(f"sink({literal})")) == expected


@pytest.mark.parametrize(
    ("literal", "expected"),
    [
        ('"df -h"', "['df', '-h']"),
        ("'systemctl restart nginx'", "['systemctl', 'restart', 'nginx']"),
        ('"ls *.txt"', None),
        ('"grep x log | tail"', None),
        ('"cd /srv/app"', None),
        ('"echo $HOME"', None),
    ],
)
def test_shell_to_list_only_splits_plain_commands(literal: str, expected: str | None) -> None:
    assert shell_to_list(argument_of(f"sink({literal})")) == expected


def test_repeated_analysis_does_not_keep_the_trees_of_earlier_ones() -> None:
    """py-tree-sitter 0.26.1 leaks the capture lists it hands to our predicate callback, and their
    nodes keep whole trees alive: ten analyses of a 500-line file kept ~6 MB of Python objects
    (the language server analyzes on every keystroke). ``evaluate`` empties the lists."""
    views = Path(__file__).resolve().parent.parent / "examples" / "vulnerable-app" / "app" / "views.py"
    text = views.read_text() * 5
    language = get_language("python")
    analyzer = Analyzer()
    for warm in range(2):
        analyzer.analyze(Document(text + f"\n# warm {warm}\n", language))
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        for i in range(10):
            analyzer.analyze(Document(text + f"\n# {i}\n", language))
        gc.collect()
        grown = tracemalloc.get_traced_memory()[0] - base
    finally:
        tracemalloc.stop()
    assert grown < 3_000_000, f"{grown / 1e6:.1f} MB kept after ten analyses"


@pytest.mark.parametrize(
    ("code", "rows", "last"),
    [
        ("def v(c, n):\n    sql = 'SELECT ' + n\n    sql += ' FROM t'\n    sink(sql)", [1, 2], 1),
        ("def v(c, sql):\n    sink(sql)", [], None),  # a parameter: no binding in the function
        ("sql = 'SELECT 1'\ndef v(c):\n    sink(sql)", [], None),  # module level: not this function's
        ("def v(c):\n    sink(sql)\n    sql = 'SELECT 1'", [], None),  # bound only after the use
        ("def v(c):\n    def inner():\n        sql = 'x'\n    sink(sql)", [], None),  # another scope
    ],
)
def test_bindings_before_are_the_functions_own_earlier_ones(code: str, rows: list[int], last: int | None) -> None:
    node = argument_of(code)
    assert [b.start_point.row for b in bindings_before(node)] == rows
    found = binding_before(node)
    assert (found.start_point.row if found is not None else None) == last


def test_bound_match_checks_the_value_the_name_was_last_given() -> None:
    node = argument_of("def v(c, n):\n    q = 'DELETE FROM t WHERE a = ' + n\n    sink(q)")
    check = CUSTOM["bound-match?"]
    assert check([("x", "capture"), ("^'DELETE FROM", "string")], {"x": [node]})
    assert not check([("x", "capture"), ("^'SELECT", "string")], {"x": [node]})
    assert not check([("x", "capture"), ("^'DELETE", "string")], {"x": [argument_of("def v(q):\n    sink(q)")]})
