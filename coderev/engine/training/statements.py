"""Compositional vulnerable Python statements: a core call per fix kind, random extra arguments,
one-line or multi-line layout, and a statement wrapper. Training and held-out data use disjoint
wrappers (:data:`HELD_OUT_WRAPPERS`), argument expressions with held-out forms
(:func:`coderev.engine.training.langs.common.expression`) and disjoint multi-line call layouts
(:data:`LAYOUTS`), so the evaluation sees statement shapes, argument shapes and layouts the model
never saw inside a region.
"""

from __future__ import annotations

import random

from coderev.engine.training.langs.common import expression

WRAPPERS = [
    "{v} = {E}",
    "return {E}",
    "{E}",
    "self.{v} = {E}",
    "{v}[{q}{col}{q}] = {E}",
    "{v}.append({E})",
    "{v} = {fn}({E})",
    "{v}, {x} = {E}, None",
    # held out:
    "yield {E}",
    "{v} = {E} if {w} else None",
    "{fn}({w}, {E})",
]
HELD_OUT_WRAPPERS = 3

# Multi-line layouts of a call: hanging with or without a trailing comma, or closed on the last
# argument's line (training); first argument on the opening line and the others below it (held out).
LAYOUTS = ["hang_comma", "hang", "hang_close", "open_line"]


def _arg(rng: random.Random, split: str) -> str:
    """An argument expression: random training grammar, or one with a held-out form."""
    return expression(rng, "python", split)


def _call(rng: random.Random, split: str, func: str, args: list[str]) -> str:
    if rng.random() < 0.3 and len(args) > 1:
        layout = "open_line" if split == "test" else rng.choice(LAYOUTS[:-1])
        if layout == "hang_comma":
            return func + "(\n    " + ",\n    ".join(args) + ",\n)"
        if layout == "hang":
            return func + "(\n    " + ",\n    ".join(args) + "\n)"
        if layout == "hang_close":
            return func + "(\n    " + ",\n    ".join(args) + ")"
        return func + "(" + args[0] + ",\n    " + ",\n    ".join(args[1:]) + ")"
    return func + "(" + ", ".join(args) + ")"


def _extras(rng: random.Random, options: list[str], n: int) -> list[str]:
    return rng.sample(options, rng.randint(0, min(n, len(options))))


def _sql(rng: random.Random, hole: str, split: str) -> tuple[str, list[str]]:
    """An SQL text with ``hole`` for each value, and the value expressions (deliberately
    vulnerable code: it is the training data's subject). The last value is sometimes a call or an
    attribute (training), or ``self.<name>`` or a subscript (held out)."""
    values = ["{v}", "{w}"][: rng.randint(1, 2)]
    if rng.random() < 0.3:
        held_out = ("self.{w}", "{w}[0]")
        trained = ("{fn}({w})", "{x}.{col}", "{x}.{col}.{col2}", "str({w})", "{fn}({w}, {x})", "{w}.{col}()",
                   "int({w})", "{w} + 1", "len({x})")
        values[-1] = rng.choice(held_out if split == "test" else trained)
    # a value sometimes written as an SQL string literal ('{v}'): the fix drops the quotes
    where = " AND ".join(f"{c} = '{hole}'" if rng.random() < 0.3 else f"{c} = {hole}"
                         for c in ("{col}", "{col2}")[: len(values)])
    form = rng.randrange(4)
    if form == 0:
        return f"SELECT * FROM {{tbl}} WHERE {where}", values  # noqa: S608
    if form == 1:
        return f"SELECT {{col}}, {{col2}} FROM {{tbl}} WHERE {where}", values  # noqa: S608
    if form == 2:
        return f"DELETE FROM {{tbl}} WHERE {where}", values  # noqa: S608
    return f"UPDATE {{tbl}} SET {{col}} = 0 WHERE {where}", values  # noqa: S608


def core(kind: str, rng: random.Random, split: str = "train") -> tuple[str, bool]:
    """(expression or statement, is_statement) for one fix kind."""
    arg = _arg(rng, split)
    if kind == "yaml-load":
        return _call(rng, split, f"yaml.{rng.choice(('load', 'load', 'load_all'))}", [arg]), False
    if kind == "yaml-unsafe-load":
        return _call(rng, split, f"yaml.{rng.choice(('full_load', 'unsafe_load', 'unsafe_load_all'))}", [arg]), False
    if kind == "yaml-unsafe-loader":
        loader = rng.choice(("FullLoader", "UnsafeLoader"))
        last = rng.choice((f"Loader=yaml.{loader}", f"yaml.{loader}"))
        return _call(rng, split, f"yaml.{rng.choice(('load', 'load_all'))}", [arg, last]), False
    if kind == "shell-literal":
        extras = _extras(rng, ["capture_output=True", "check=True", "timeout=30", "cwd={w}", "text=True"], 2)
        fn = rng.choice(("run", "call", "check_call", "check_output", "Popen"))
        return _call(rng, split, f"subprocess.{fn}", ["{q}{cmd}{q}", "shell=True", *extras]), False
    if kind == "csrf-disabled":
        target = rng.choice(("app.config[{q}WTF_CSRF_ENABLED{q}]", "{v}.config[{q}WTF_CSRF_ENABLED{q}]",
                             "WTF_CSRF_ENABLED"))
        return f"{target} = False", True
    if kind == "fstring-query":
        sql, values = _sql(rng, "\x00", split)
        for value in values:
            sql = sql.replace("\x00", "{{" + value + "}}", 1)
        call = _call(rng, split, "{cur}.execute", [f"f{{q}}{sql}{{q}}"])
        return call + rng.choice(("", "", ".fetchall()", ".fetchone()")), False
    if kind == "percent-query":
        sql, values = _sql(rng, "%s", split)
        params = values[0] if len(values) == 1 else "(" + ", ".join(values) + ")"
        return "{cur}.execute(" + f"{{q}}{sql}{{q}} % {params})" + rng.choice(("", "", ".fetchall()")), False
    if kind == "tls-verify":
        if rng.random() < 0.15:
            return "{v}.verify = False", True
        extras = ["timeout=10", "json={w}", "params={w}", "headers={x}", "data={w}"]
        before = _extras(rng, extras, 1)
        after = [e for e in _extras(rng, extras, 2) if e not in before]
        if rng.random() < 0.2:
            client = rng.choice(("httpx.Client", "requests.Session"))
            return _call(rng, split, client, [*before, "verify=False", *after]), False
        fn = rng.choice(("get", "post", "put", "delete", "head"))
        return _call(rng, split, f"requests.{fn}", ["{url}", *before, "verify=False", *after]), False
    if kind in _COOKIES:
        return _cookie(kind, rng, split)
    if kind == "weak-hash":
        algo = rng.choice(("md5", "sha1"))
        data = rng.choice(("{w}", "{w}.encode()", arg, arg))
        suffix = rng.choice(("", ".hexdigest()", ".digest()"))
        if rng.random() < 0.25:
            return _call(rng, split, "hashlib.new", [f"{{q}}{algo}{{q}}", data]) + suffix, False
        return _call(rng, split, f"hashlib.{algo}", [data]) + suffix, False
    if kind == "jinja2-autoescape":
        extras = ["loader=FileSystemLoader({path})", "loader={w}", "trim_blocks=True", "lstrip_blocks=True"]
        before = _extras(rng, extras[:2], 1)
        after = _extras(rng, extras[2:], 2)
        environment = rng.choice(("Environment", "jinja2.Environment"))
        return _call(rng, split, environment, [*before, "autoescape=False", *after]), False
    if kind == "xxe-entities":
        extras = ["no_network=True", "load_dtd=True", "huge_tree=True", "recover=True"]
        before = _extras(rng, extras, 1)
        after = [e for e in _extras(rng, extras, 2) if e not in before]
        parser = _call(rng, split, "etree.XMLParser", [*before, "resolve_entities=True", *after])
        if rng.random() < 0.3:
            return f"etree.{rng.choice(('fromstring', 'parse'))}({{w}}, {parser})", False
        return parser, False
    raise KeyError(kind)


_COOKIES = ("cookie-setting", "cookie-httponly", "cookie-secure")


def _cookie(kind: str, rng: random.Random, split: str) -> tuple[str, bool]:
    """Flask cookie settings turned off, or ``set_cookie`` without one of its protections."""
    if kind == "cookie-setting":
        name = rng.choice(("SESSION_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY", "CSRF_COOKIE_SECURE",
                           "REMEMBER_COOKIE_SECURE", "REMEMBER_COOKIE_HTTPONLY"))
        target = rng.choice((f"app.config[{{q}}{name}{{q}}]", f"{{v}}.config[{{q}}{name}{{q}}]", name))
        return f"{target} = False", True
    present = "secure=True" if kind == "cookie-httponly" else "httponly=True"
    options = ["max_age=3600", "path={q}/{q}", "samesite={q}Lax{q}", "domain={w}"]
    before = _extras(rng, options, 1)
    after = [e for e in _extras(rng, options, 1) if e not in before]
    owner = rng.choice(("response", "resp", "{v}"))
    args = ["{q}{col}{q}", _arg(rng, split), *before, present, *after]
    return _call(rng, split, f"{owner}.set_cookie", args), False


KINDS = ["cookie-setting", "cookie-httponly", "cookie-secure", "csrf-disabled", "fstring-query", "jinja2-autoescape",
         "percent-query", "shell-literal", "tls-verify", "weak-hash", "xxe-entities", "yaml-load", "yaml-unsafe-load",
         "yaml-unsafe-loader"]


def statement(kind: str, rng: random.Random, split: str) -> str:
    """A vulnerable statement template (``{name}`` holes still to fill)."""
    text, is_statement = core(kind, rng, split)
    if is_statement:
        return text
    pool = WRAPPERS[-HELD_OUT_WRAPPERS:] if split == "test" else WRAPPERS[:-HELD_OUT_WRAPPERS]
    wrapper = rng.choice(pool)
    return _wrap(wrapper, text)


def _wrap(wrapper: str, expression: str) -> str:
    head, tail = wrapper.split("{E}")
    return head + expression + tail
