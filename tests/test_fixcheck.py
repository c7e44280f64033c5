"""The fix checks (coderev.analyzers.fixcheck): each family accepts the right fix and refuses the
near misses a model (or a careless template) writes."""

from __future__ import annotations

import pytest

from coderev.analyzers import Analyzer, Document, UnitCache, get_language
from coderev.analyzers.finding import Finding, Verification, apply_edits
from coderev.analyzers.fixcheck import ParamStyle, infer_param_style, verify_fix, verify_template_fix
from coderev.analyzers.fixcheck.common import changed_bytes

ANALYZER = Analyzer()
PY = get_language("python")


def _finding(source: str, rule: str, language: str = "python", style: ParamStyle | None = None) -> Finding:
    from coderev.analyzers.paramstyle import param_style

    with param_style(style):
        found = ANALYZER.analyze(Document(source, get_language(language)))
    return next(f for f in found if f.rule_id.endswith(rule))


def check(before: str, after: str, rule: str, style: ParamStyle | None = None, language: str = "python"
          ) -> Verification:
    """Check ``after`` as a fix (by anyone) of the ``rule`` finding in ``before``."""
    finding = _finding(before, rule, language, style)
    lang = get_language(language)
    assert lang is not None
    a, b = before.encode(), after.encode()
    first, _, end = changed_bytes(a, b)
    rows = (b[:first].count(b"\n"), b[:end].count(b"\n"))
    return verify_fix(before, after, finding, ANALYZER, rows, language=lang, style=style)


SQL = 'def name_of(cur, uid):\n    cur.execute("SELECT name FROM users WHERE id = \'%s\'" % uid)\n'
QMARK, FORMAT, NUMERIC = ParamStyle.QMARK, ParamStyle.FORMAT, ParamStyle.NUMERIC


@pytest.mark.parametrize(("after", "style", "problem"), [
    # the case: '%s' kept, quoted, for sqlite3
    ('    cur.execute("SELECT name FROM users WHERE id = \'%s\'", (uid,))', QMARK, "inside quotes"),
    ('    cur.execute("SELECT name FROM users WHERE id = %s", (uid,))', QMARK, "expects ?"),
    ('    cur.execute("SELECT name FROM users WHERE id = \'?\'", (uid,))', QMARK, "inside quotes"),
    ('    cur.execute("SELECT name FROM users WHERE id = ?", uid)', QMARK, "not a tuple"),
    ('    cur.execute("SELECT name FROM users WHERE id = ?", (uid, uid))', QMARK, "1 placeholder(s) but 2"),
    ('    cur.execute("SELECT name FROM users WHERE id = ?", (name,))', QMARK, "not the values"),
    ('    cur.execute("SELECT name FROM users", ())', QMARK, "no placeholders"),
    ('    cur.execute("SELECT name, email FROM users WHERE id = ?", (uid,))', QMARK, "SQL text differs"),
    ('    cur.execute("SELECT name FROM users WHERE id = $2", uid)', NUMERIC, "numbered 1, 2"),
    ('    cur.execute("SELECT name FROM users WHERE id = %(uid)s", {"id": uid})', FORMAT, "names do not match"),
    ('    cur.execute("SELECT name FROM users WHERE id = ?", (uid,))', None, "driver"),
    ("    pass", QMARK, ""),  # the query deleted: the finding is gone, but so is the program
])
def test_sql_near_misses_are_not_verified(after: str, style: ParamStyle | None, problem: str) -> None:
    fixed = SQL.replace(SQL.splitlines()[1], after)
    result = check(SQL, fixed, "percent-formatted-query", style)
    assert not result.verified
    assert problem in result.problem, result


@pytest.mark.parametrize(("after", "style"), [
    ('    cur.execute("SELECT name FROM users WHERE id = ?", (uid,))', QMARK),
    ('    cur.execute("SELECT name FROM users WHERE id = ?", [uid])', QMARK),
    ('    cur.execute("SELECT name FROM users WHERE id = %s", (uid,))', FORMAT),
    ('    cur.execute("SELECT name FROM users WHERE id = %(uid)s", {"uid": uid})', FORMAT),
    ('    cur.execute("SELECT name FROM users WHERE id = $1", uid)', NUMERIC),
    ('    cur.execute(\n        "SELECT name FROM users WHERE id = ?",\n        (uid,),\n    )', QMARK),
])
def test_sql_right_fixes_are_verified(after: str, style: ParamStyle) -> None:
    fixed = SQL.replace(SQL.splitlines()[1], after)
    result = check(SQL, fixed, "percent-formatted-query", style)
    assert result.verified, result
    assert any(style.example in c for c in result.checked)


def test_an_f_string_with_several_values_keeps_their_order_and_the_rest_of_the_sql() -> None:
    before = ('def find(cur, a, b):\n'
              '    return cur.execute(f"SELECT * FROM t WHERE x = {a} AND y LIKE \'{b}\' LIMIT 5").fetchall()\n')
    good = before.replace('f"SELECT * FROM t WHERE x = {a} AND y LIKE \'{b}\' LIMIT 5")',
                          '"SELECT * FROM t WHERE x = ? AND y LIKE ? LIMIT 5", (a, b))')
    swapped = good.replace("(a, b)", "(b, a)")
    assert check(before, good, "fstring-query", QMARK).verified
    assert "in order" in check(before, swapped, "fstring-query", QMARK).problem


def test_values_that_are_not_values_get_no_template_fix() -> None:
    for source in ('def f(cur, t):\n    cur.execute(f"SELECT * FROM {t}")\n',
                   'def f(cur, q):\n    cur.execute(f"SELECT * FROM t WHERE name LIKE \'%{q}%\'")\n'):
        finding = _finding(source, "fstring-query", style=QMARK)
        assert finding.fix is None


def test_a_lone_percent_needs_doubling_for_format_drivers() -> None:
    before = 'import psycopg2\n\ndef f(cur, a):\n    cur.execute(f"SELECT * FROM t WHERE x = {a} AND y LIKE \'a%\'")\n'
    finding = _finding(before, "fstring-query")
    assert finding.fix is not None and "LIKE 'a%%'" in finding.fix.edits[0].text
    snapshot = Document(before, PY).snapshot()
    assert verify_template_fix(snapshot, finding, ANALYZER).verified
    lone = before.replace('f"SELECT * FROM t WHERE x = {a} AND y LIKE \'a%\'")',
                          '"SELECT * FROM t WHERE x = %s AND y LIKE \'a%\'", (a,))')
    assert "lone %" in check(before, lone, "fstring-query", FORMAT).problem


def test_the_template_fix_follows_the_file_imports_also_incrementally() -> None:
    body = '\n\ndef name_of(cur, uid):\n    cur.execute(f"SELECT name FROM users WHERE id = {uid}")\n'
    cache = UnitCache()
    texts = []
    for head in ("import sqlite3", "import psycopg2", "import asyncpg", "import os"):
        finding = next(f for f in ANALYZER.analyze(Document(head + body, PY), cache) if f.fix is not None)
        assert finding.fix is not None
        texts.append(finding.fix.edits[0].text)
    assert texts == ['"SELECT name FROM users WHERE id = ?", (uid,)', '"SELECT name FROM users WHERE id = %s", (uid,)',
                     '"SELECT name FROM users WHERE id = $1", uid', '"SELECT name FROM users WHERE id = %s", (uid,)']
    unknown = Document("import os" + body, PY).snapshot()
    finding = next(f for f in ANALYZER.analyze(Document("import os" + body, PY)) if f.fix is not None)
    assert "driver" in verify_template_fix(unknown, finding, ANALYZER).problem


@pytest.mark.parametrize(("source", "language", "style"), [
    ("import sqlite3\n", "python", QMARK),
    ("def f():\n    import psycopg2\n", "python", FORMAT),
    ("from django.db import connection\n", "python", FORMAT),
    ("import asyncpg\n", "python", NUMERIC),
    ("import sqlite3\nimport psycopg2\n", "python", None),  # two styles: no style
    ("import os\n", "python", None),
    ("const { Pool } = require('pg');\n", "javascript", NUMERIC),
    ("import mysql from 'mysql2/promise';\n", "typescript", QMARK),
    ('import (\n\t"database/sql"\n\t_ "github.com/lib/pq"\n)\n', "go", NUMERIC),
    ('import _ "github.com/go-sql-driver/mysql"\n', "go", QMARK),
    ("import java.sql.PreparedStatement;\n", "java", QMARK),
])
def test_the_driver_style_comes_from_the_imports(source: str, language: str, style: ParamStyle | None) -> None:
    assert infer_param_style(source, language) is style


CMD = 'def listing(path):\n    return subprocess.run("ls -l /tmp", shell=True, check=True, text=True)\n'


@pytest.mark.parametrize(("after", "problem"), [
    ('subprocess.run(["ls", "-l", "/tmp"], check=True, text=True)', ""),
    ('subprocess.run(["ls", "-l", "/tmp"], shell=False, check=True, text=True)', ""),
    ('subprocess.run(["ls", "-l"], check=True, text=True)', "differs from the shell's split"),
    ('subprocess.run(["ls -l /tmp"], check=True, text=True)', "differs from the shell's split"),
    ('subprocess.run(["ls", "-l", "/tmp"], check=True)', "other arguments"),
    ('subprocess.call(["ls", "-l", "/tmp"], check=True, text=True)', "different function"),
])
def test_command_fixes(after: str, problem: str) -> None:
    fixed = CMD.replace('subprocess.run("ls -l /tmp", shell=True, check=True, text=True)', after)
    result = check(CMD, fixed, "shell-literal")
    assert result.verified is (problem == ""), result
    assert problem in result.problem


def test_a_command_that_needs_a_shell_gets_no_fix() -> None:
    for command in ("ls /tmp | wc -l", "ls *.py", "echo $HOME", "cd /tmp && ls", "ls > out.txt"):
        source = f'def f():\n    subprocess.run("{command}", shell=True)\n'
        found = [f for f in ANALYZER.analyze(Document(source, PY)) if f.rule_id.endswith("shell-literal")]
        assert all(f.fix is None for f in found), command


HASH = "def digest(data):\n    return hashlib.md5(data).hexdigest()\n"


def test_a_fix_may_not_use_a_name_the_code_lacks() -> None:
    """``from hashlib import md5`` then ``sha256(data)``: a NameError on the first run."""
    source = "import hashlib\n\n\ndef digest(data):\n    return hashlib.md5(data).hexdigest()\n"
    result = check(source, source.replace("hashlib.md5(data)", "sha256(data)"), "weak-hash")
    assert not result.verified and "sha256, which the code does not define" in result.problem
    imported = "from hashlib import md5\n\n\ndef digest(data):\n    return md5(data).hexdigest()\n"
    assert check(imported, imported.replace("md5(data)", "sha256(data)"), "weak-hash").verified is False
    keyword = imported.replace("md5(data)", "md5(data, usedforsecurity=True)")
    assert check(imported, keyword, "weak-hash").verified is False


def test_hash_fixes_fit_the_use() -> None:
    assert check(HASH, HASH.replace("md5", "sha256"), "weak-hash").verified
    assert not check(HASH, HASH.replace("md5", "sha1"), "weak-hash").verified
    # a credential's stored form needs a password hash, not a faster digest
    credential = "def seal(credential):\n    return hashlib.md5(credential).hexdigest()\n"
    result = check(credential, credential.replace("md5", "sha256"), "weak-hash")
    assert not result.verified and "password" in result.problem


TLS = "def fetch(url, body):\n    return requests.post(url, json=body, verify=False, timeout=10)\n"


@pytest.mark.parametrize(("after", "problem"), [
    ("requests.post(url, json=body, verify=True, timeout=10)", ""),
    ("requests.post(url, json=body, verify=True)", "more than the flagged property"),
    ("requests.post(url, verify=True, timeout=10)", "more than the flagged property"),
    ('requests.post(url, json=body, verify="/etc/ssl/ca.pem", timeout=10)', "puts a string where"),
    ("requests.post(url, json=body, timeout=10)", "more than the flagged property"),
])
def test_property_fixes_change_only_the_property(after: str, problem: str) -> None:
    fixed = TLS.replace("requests.post(url, json=body, verify=False, timeout=10)", after)
    result = check(TLS, fixed, "tls-verify-disabled")
    assert result.verified is (problem == ""), result
    assert problem in result.problem


def test_an_added_keyword_is_one_argument() -> None:
    cookie = 'def login(resp, token):\n    resp.set_cookie("sid", token, secure=True)\n'
    good = cookie.replace("secure=True)", "secure=True, httponly=True)")
    assert check(cookie, good, "missing-httponly").verified
    two = cookie.replace("secure=True)", "secure=True, httponly=True, max_age=60)")
    assert not check(cookie, two, "missing-httponly").verified


def test_key_size_needs_2048_bits() -> None:
    source = "function keys() {\n  return crypto.generateKeyPairSync('rsa', { modulusLength: 1024 });\n}\n"
    assert check(source, source.replace("1024", "4096"), "small-rsa-key", language="javascript").verified
    assert not check(source, source.replace("1024", "1536"), "small-rsa-key", language="javascript").verified


RANDOM = "class Tokens {\n    String next() {\n        return Long.toHexString(new Random().nextLong());\n    }\n}\n"


@pytest.mark.parametrize(("replacement", "problem"), [
    ("new java.security.SecureRandom()", ""),
    # the words of the rule's value rearranged: a class that does not exist (a slot wrote this)
    ("new java.SecureRandom()", "java.SecureRandom, a qualified name neither the rule nor the code uses"),
    ("new security.SecureRandom()", "security.SecureRandom, a qualified name"),
])
def test_a_qualified_name_is_the_rules_or_keeps_the_codes_qualifier(replacement: str, problem: str) -> None:
    result = check(RANDOM, RANDOM.replace("new Random()", replacement), "insecure-random", language="java")
    assert result.verified is (problem == ""), result
    assert problem in result.problem


def test_a_changed_name_may_keep_the_qualifier_the_code_used() -> None:
    assert check(HASH, HASH.replace("hashlib.md5", "hashlib.sha256"), "weak-hash").verified
    assert not check(HASH, HASH.replace("hashlib.md5", "hashlib.sha.sha256"), "weak-hash").verified


def test_where_the_rule_declines_a_form_no_property_fix_is_verified() -> None:
    """A seeded ``new Random(42L)`` has no template fix (SecureRandom has no long constructor), so
    nothing the model writes for it is a vetted value."""
    seeded = RANDOM.replace("new Random()", "new Random(42L)")
    assert _finding(seeded, "insecure-random", "java").fix is None
    for replacement in ("new java.security.SecureRandom(42L)", "new java.security.SecureRandom()"):
        result = check(seeded, seeded.replace("new Random(42L)", replacement), "insecure-random", language="java")
        assert not result.verified and "no fix for this form" in result.problem


def test_a_rule_without_a_check_is_never_verified(tmp_path: pytest.TempPathFactory) -> None:
    finding = _finding(HASH, "weak-hash")
    assert finding.fix is not None
    rule = ANALYZER.rules.get(finding.rule_id)
    assert rule is not None and rule.fix is not None and rule.fix.check == "hash"
    from dataclasses import replace

    from coderev.analyzers.ruleset import RuleSet

    unchecked = RuleSet([replace(rule, fix=replace(rule.fix, check=None))])
    analyzer = Analyzer(unchecked)
    found = analyzer.analyze(Document(HASH, PY))
    fixed = apply_edits(HASH.encode(), found[0].fix.edits if found[0].fix else ()).decode()
    result = verify_fix(HASH, fixed, found[0], analyzer, (1, 1), language=PY, style=None)
    assert not result.verified and "no semantic check" in result.problem


def test_the_driver_style_from_units_equals_the_style_of_the_whole_file() -> None:
    from coderev.analyzers import Document, get_language
    from coderev.analyzers.paramstyle import infer_param_style, units_param_style

    for text in (
        "import sqlite3\n\ndef f(c, x):\n    c.execute('SELECT ' + x)\n",
        "def f(c, x):\n    import psycopg2\n    c.execute('SELECT ' + x)\n",
        "import sqlite3\nimport psycopg2\n",  # two styles: none
        "def f():\n    return 1\n",
    ):
        document = Document(text, get_language("python"))
        root = document.snapshot().tree.root_node
        units = [(u.start_byte, u.end_byte, (u.type, text[u.start_byte : u.end_byte])) for u in root.children]
        assert units_param_style(units, document.source, "python") == infer_param_style(document.source, "python")
