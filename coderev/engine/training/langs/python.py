"""Python functions for the synthetic data: context shapes and filler from
:mod:`coderev.engine.training.shapes`, vulnerable statements from :mod:`coderev.engine.training.statements`."""

from __future__ import annotations

import random
import textwrap
from collections.abc import Sequence

from coderev.engine.training import shapes
from coderev.engine.training.langs.common import Names, pick
from coderev.engine.training.statements import KINDS as STATEMENT_KINDS
from coderev.engine.training.statements import statement

LANGUAGE = "python"
KINDS = list(STATEMENT_KINDS)


def holes(rng: random.Random, split: str) -> dict[str, str]:
    """Values for the ``{name}`` holes of the templates, drawn for one function."""
    cmds = shapes.CMD_HELD_OUT if split == "test" else shapes.CMD_TRAIN
    tables = shapes.TABLE_HELD_OUT if split == "test" else shapes.TABLE_TRAIN
    names = Names(rng, split, "python")
    out = {k: names() for k in ("v", "w", "x", "fn", "conn", "cur")}
    out["cls"] = names.type_name()
    out["q"] = rng.choice(('"', '"', "'"))
    out["tbl"] = rng.choice(tables)
    out["col"], out["col2"] = (n.strip("_") for n in (names(), names()))
    flags = ("-l", "-h", "-a", "/tmp", "-v")  # noqa: S108 - words of a generated shell command
    out["cmd"] = " ".join(rng.sample(cmds, 1) + [rng.choice(flags)][: rng.randint(0, 1)])
    out["cmdword"], out["cmdword2"] = rng.sample(cmds, 2)
    out["path"] = rng.choice((out["x"], f"{out['q']}{out['col']}.yaml{out['q']}"))
    out["url"] = rng.choice(shapes.URL_FORMS + (["self.{v}"] if split == "test" else [])).format(**out)
    return out


def render(rng: random.Random, split: str, vulnerable: list[str], n_filler: int,
           decoys: Sequence[str] = (), *, templates: Sequence[str] = ()) -> tuple[str, str]:
    """(source, language) of one function with the given vulnerable statement kinds among
    ``n_filler`` safe ones, ``decoys`` (concrete statements) and ``templates`` (statements with
    holes, :func:`coderev.engine.training.decoys.wrapped`)."""
    values = holes(rng, split)
    statements = [pick(shapes.SAFE, shapes.SAFE_HELD_OUT, split, rng) for _ in range(n_filler)]
    for kind in vulnerable:
        statements.insert(rng.randint(0, len(statements)), statement(kind, rng, split))
    for decoy in decoys:  # concrete code (coderev.engine.training.decoys): its braces are not holes
        statements.insert(rng.randint(0, len(statements)), decoy.replace("{", "{{").replace("}", "}}"))
    for template in templates:
        statements.insert(rng.randint(0, len(statements)), template)
    body = "\n".join(s.format(**values) for s in statements) or "pass"
    context = pick(shapes.CONTEXTS, shapes.CONTEXT_HELD_OUT, split, rng)
    if any(word in body for word in ("WTF_CSRF_ENABLED = False", "_COOKIE_")) and rng.random() < 0.5:
        context = "class {cls}:\n{body}"
    text = context.format(body=textwrap.indent(body, "    "), body2=textwrap.indent(body, "        "), **values)
    return text + "\n", LANGUAGE
