"""What every language generator shares: identifier styles, word pools and the train/held-out split.

Each list of shapes is split into a training part and a held-out part (its last ``held_out``
entries); the held-out data uses only held-out shapes and held-out identifier words, so the
evaluation measures what the model does with code it has never seen.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence

from coderev.engine.training import shapes

# Languages whose names are camelCase by convention use these styles more often.
_STYLES = {
    "python": ("snake", "snake", "camel", "short", "prefixed"),
    "javascript": ("camel", "camel", "camel", "short", "snake"),
    "go": ("camel", "camel", "short", "short", "pascal"),
    "java": ("camel", "camel", "camel", "short", "pascal"),
}


def style_name(rng: random.Random, words: Sequence[str], style: str) -> str:
    parts = rng.sample(list(words), rng.choice((1, 1, 2)))
    if style == "camel":
        return parts[0] + "".join(p.title() for p in parts[1:])
    if style == "pascal":
        return "".join(p.title() for p in parts)
    if style == "short":
        return "".join(p[:3] for p in parts)
    if style == "prefixed":
        return "_" + "_".join(parts)
    return "_".join(parts)


class Names:
    """Distinct identifiers for one function, in one naming style of ``family``."""

    def __init__(self, rng: random.Random, split: str, family: str = "python") -> None:
        self.rng = rng
        self.words = shapes.HELD_OUT_WORDS if split == "test" else shapes.TRAIN_WORDS
        self.style = rng.choice(_STYLES[family])
        self.used: set[str] = set()

    def __call__(self) -> str:
        for _ in range(50):
            name = style_name(self.rng, self.words, self.style)
            if name not in self.used and name.isidentifier():
                self.used.add(name)
                return name
        name = f"{style_name(self.rng, self.words, 'snake')}_{len(self.used)}"
        self.used.add(name)
        return name

    def type_name(self) -> str:
        return "".join(p.title() for p in self().strip("_").split("_")) or "Thing"

    def word(self) -> str:
        return str(self.rng.choice(self.words))


def pick(options: Sequence[str], held_out: int, split: str, rng: random.Random) -> str:
    """One of the training (or, for ``split == "test"``, held-out) entries of ``options``."""
    pool = options[-held_out:] if split == "test" else options[:-held_out]
    return str(rng.choice(list(pool)))


def extras(rng: random.Random, options: Sequence[str], n: int) -> list[str]:
    """Up to ``n`` distinct extra arguments, in random order."""
    return rng.sample(list(options), rng.randint(0, min(n, len(options))))


def indent(text: str, prefix: str) -> str:
    return "\n".join(prefix + line if line.strip() else line for line in text.split("\n"))


_HOLE = re.compile(r"⟨(\w+)⟩")


def fill(template: str, values: dict[str, str]) -> str:
    """Fill ``⟨name⟩`` holes (braces, ``$`` and ``%`` are code in JavaScript, Go and Java, so
    those templates use a hole syntax that never occurs in code)."""
    return _HOLE.sub(lambda m: values[m.group(1)], template)


def basic_holes(rng: random.Random, split: str, family: str) -> dict[str, str]:
    """Names for one unit: v/w/x variables, fn function, obj a second object, cls a type,
    col/col2 words used as keys and string contents, q the quote character."""
    names = Names(rng, split, family)
    out = {k: names() for k in ("v", "w", "x", "fn", "obj")}
    out["cls"] = names.type_name()
    out["col"], out["col2"] = names.word(), names.word()
    out["q"] = '"' if family in ("go", "java") else rng.choice(('"', '"', "'"))
    return out


# Argument expressions, per family: (training forms, held-out forms). ``§E`` is a nested
# expression, ``§A`` an argument list (0-2 expressions), ``§N`` a variable name. Held-out
# expressions always contain one held-out form (a subscript, ``self``/``this``, ``await``, a
# conversion ...) that never occurs inside a training FIX region, around training-grammar parts;
# the training grammar is wide on purpose, so that copying an argument is the only strategy
# that works for the model.
_LEAVES = {
    "python": ["§N", "§N", "§N", "{x}.{col}", "{q}{col}{q}"],
    "javascript": ["§N", "§N", "§N", "⟨x⟩.⟨col⟩", "⟨q⟩⟨col⟩⟨q⟩", "req.body.⟨col⟩"],
    "go": ["§N", "§N", "§N", "⟨x⟩.⟨cls⟩", "\"⟨col⟩\"", "r.FormValue(\"⟨col⟩\")"],
    "java": ["§N", "§N", "§N", "⟨x⟩.get⟨cls⟩()", "\"⟨col⟩\"", "request.getParameter(\"⟨col⟩\")"],
}
_FORMS: dict[str, tuple[list[str], list[str]]] = {
    "python": (["{fn}(§A)", "§E.{col}", "§E.{col}(§A)", "§E + §E", "open(§E)", "str(§E)", "§E.read()",
                "§E.encode()", "(§E, §E)", "len(§E)", "int(§E)", "§E.get({q}{col}{q})", "§E.strip()",
                "§E * 2", "§E.decode()", "({fn}(§A))", "{{{q}{col}{q}: §E}}"],
               ["§E[{q}{col}{q}]", "§E[0]", "self.{w}", "await §E", "§E or §E"]),
    "javascript": (["⟨fn⟩(§A)", "§E.⟨col⟩", "§E.⟨col⟩(§A)", "§E + §E", "String(§E)", "§E.trim()",
                    "JSON.stringify(§E)"],
                   ["§E[⟨q⟩⟨col⟩⟨q⟩]", "this.⟨w⟩", "await §E", "§E ?? §E"]),
    "go": (["⟨fn⟩(§A)", "§E.⟨cls⟩", "§E.⟨cls⟩(§A)", "§E + §E", "strings.TrimSpace(§E)", "fmt.Sprint(§A)"],
           ["§E[0]", "string(§E)", "§E[1:]", "*§E"]),
    "java": (["⟨fn⟩(§A)", "§E.get⟨cls⟩()", "§E.⟨fn⟩(§A)", "§E + §E", "String.valueOf(§E)", "§E.trim()"],
             ["this.⟨w⟩", "§E[0]", "(String) §E", "§E.toString()"]),
}
_VARIABLES = {"python": ["{w}", "{x}", "{v}"]}
# What only the held-out forms write (regular expressions, matched against templates and code):
# no training argument expression and no REVIEW decoy (coderev.engine.training.decoys) contains them.
HELD_OUT_MARKS = {
    "python": (r"[\w)\]}⟩\"']\[", r"\bself\.", r"\bawait ", r" or "),
    "javascript": (r"[\w)\]}⟩\"']\[", r"\bthis\.", r"\bawait ", r" \?\? "),
    "go": (r"\[0\]", r"\bstring\(", r"\[1:\]", r"\*"),
    "java": (r"\bthis\.", r"\[0\]", r"\(String\)", r"\.toString\(\)"),
}


def has_held_out_mark(text: str, fam: str) -> bool:
    """Whether ``text`` contains a form that only held-out argument expressions use."""
    return any(re.search(mark, text) for mark in HELD_OUT_MARKS[fam])


def expression(rng: random.Random, fam: str, split: str, depth: int = 2) -> str:
    """A random argument expression template of family ``fam`` for ``split``."""
    train_forms, held_forms = _FORMS[fam]
    if split == "test":
        form = rng.choice(held_forms)
        return _expand(rng, fam, form, depth - 1)
    if depth <= 0 or rng.random() < 0.4:
        return _expand(rng, fam, rng.choice(_LEAVES[fam]), 0)
    return _expand(rng, fam, rng.choice(train_forms), depth - 1)


def _expand(rng: random.Random, fam: str, form: str, depth: int) -> str:
    variables = _VARIABLES.get(fam, ["⟨w⟩", "⟨x⟩", "⟨v⟩"])
    out = form
    while "§" in out:
        index = out.index("§")
        marker = out[index : index + 2]
        if marker == "§N":
            part = rng.choice(variables)
        elif marker == "§E":
            part = expression(rng, fam, "train", depth)
        else:
            parts = [expression(rng, fam, "train", depth) for _ in range(rng.randint(0, 2))]
            if parts and fam == "python" and rng.random() < 0.25:
                parts[-1] = "{col}=" + parts[-1]  # a keyword argument, last
            part = ", ".join(parts)
        out = out[:index] + part + out[index + 2 :]
    return out
