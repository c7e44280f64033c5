"""Random statements for REVIEW training, labelled by the analyzers: what teaches the model that
a finding needs a sink and not merely a familiar word.

The hand-written filler of each language generator is a dozen shapes. A small model learns those
by heart and then flags any statement it has not seen (an unseen ``for`` loop, a ``make(map...)``)
as a finding: held-out REVIEW precision was 0.25 at 0.89 recall. Decoys are statements drawn from
a small expression grammar over the words the abstraction keeps verbatim for the language (API
names such as ``hashlib``, ``subprocess``, ``MessageDigest``, the rule vocabulary and keywords) and
generated user names, in that language's statement forms. Most are safe; some happen to be real
findings. Either way the analyzers label them, like every other sample, so a decoy can never
teach a wrong answer.

Decoys never use a held-out argument form (a subscript, ``self``/``this``, ``await``, a cast ...:
:data:`coderev.engine.training.langs.common.HELD_OUT_MARKS`), and a decoy whose abstracted shape equals a
held-out statement shape is dropped (:func:`held_out_shapes`), so the held-out evaluation still
measures statements and arguments the model has not seen.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from functools import lru_cache
from types import ModuleType

from coderev.analyzers.document import Document
from coderev.analyzers.languages import get_language
from coderev.engine.model.placeholders import abstract
from coderev.engine.model.prompt import statement_windows
from coderev.engine.model.vocabulary import keep_names
from coderev.engine.training.langs.common import Names, has_held_out_mark

# Words that cannot stand where the grammar puts a kept name (a callee, an attribute, a key).
_RESERVED = {
    "python": frozenset({
        "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue", "def",
        "del", "elif", "else", "except", "finally", "for", "from", "global", "if", "import", "in", "is",
        "lambda", "nonlocal", "not", "or", "pass", "raise", "return", "try", "while", "with", "yield",
        "match", "case", "type", "_",
    }),
    "javascript": frozenset({
        "await", "async", "break", "case", "catch", "class", "const", "continue", "default", "delete", "do",
        "else", "export", "extends", "false", "finally", "for", "function", "if", "import", "in", "instanceof",
        "let", "new", "null", "return", "static", "super", "switch", "this", "throw", "true", "try", "typeof",
        "undefined", "var", "void", "while", "yield", "of", "from", "as", "interface", "type", "enum",
        "implements", "private", "protected", "public", "readonly", "any", "unknown", "never", "string",
        "number", "boolean",
    }),
    "go": frozenset({
        "break", "case", "chan", "const", "continue", "default", "defer", "else", "fallthrough", "for", "func",
        "go", "goto", "if", "import", "interface", "map", "package", "range", "return", "select", "struct",
        "switch", "type", "var", "true", "false", "nil", "_",
    }),
    "java": frozenset({
        "abstract", "assert", "boolean", "break", "byte", "case", "catch", "char", "class", "const", "continue",
        "default", "do", "double", "else", "enum", "extends", "final", "finally", "float", "for", "goto", "if",
        "implements", "import", "instanceof", "int", "interface", "long", "native", "new", "package", "private",
        "protected", "public", "return", "short", "static", "strictfp", "super", "switch", "synchronized",
        "this", "throw", "throws", "transient", "try", "void", "volatile", "while", "true", "false", "null",
        "var", "record", "yield", "sealed", "permits", "non-sealed",
    }),
}
_LITERALS = {
    "python": ("True", "False", "None", "0", "1", "10", "3600"),
    "javascript": ("true", "false", "null", "0", "1", "10", "3600"),
    "go": ("true", "false", "nil", "0", "1", "10", "3600"),
    "java": ("true", "false", "null", "0", "1", "10", "3600"),
}
# (family of the language a decoy is written in, the minimal code a statement is parse-checked in)
_HARNESS = {
    "python": "def f():\n{body}\n",
    "javascript": "function f() {\n{body}\n}\n",
    "typescript": "function f() {\n{body}\n}\n",
    "go": "package p\n\nfunc f() {\n{body}\n}\n",
    "java": "class C {\n    void f() {\n{body}\n    }\n}\n",
}
_INDENT = {"python": "    ", "javascript": "  ", "typescript": "  ", "go": "\t", "java": "    "}
_FAMILY = {"python": "python", "javascript": "javascript", "typescript": "javascript", "go": "go", "java": "java"}


@lru_cache(maxsize=8)
def _kept(language: str) -> tuple[str, ...]:
    fam = _FAMILY[language]
    banned = _RESERVED[fam] | {"self", "this", "toString", "string"}  # held-out argument forms use those
    return tuple(sorted(n for n in keep_names(language) if n.isidentifier() and n not in banned))


class _Grammar:
    def __init__(self, rng: random.Random, language: str) -> None:
        self.rng = rng
        self.language = language
        self.fam = _FAMILY[language]
        self.names = Names(rng, "train", self.fam)
        self.kept = _kept(language)
        self.pool = [self.names() for _ in range(4)]  # a few names reused, as in real code

    def name(self) -> str:
        return self.rng.choice(self.pool) if self.rng.random() < 0.7 else self.names()

    def key(self) -> str:
        return self.rng.choice(self.kept) if self.rng.random() < 0.6 else self.name()

    def string(self) -> str:
        word = self.rng.choice((self.names.word(), self.rng.choice(self.kept), f"{self.names.word()}/{{}}"))
        quote = "\"" if self.fam in ("go", "java") else self.rng.choice(("\"", "'"))
        return f"{quote}{word}{quote}"

    def atom(self) -> str:
        roll = self.rng.random()
        if roll < 0.45:
            return self.name()
        if roll < 0.6:
            return self.rng.choice(self.kept)
        if roll < 0.8:
            return self.string()
        return self.rng.choice(_LITERALS[self.fam])

    def callee(self) -> str:
        return self.rng.choice((
            self.key(), f"{self.rng.choice(self.kept)}.{self.key()}", f"{self.name()}.{self.key()}",
            f"{self.rng.choice(self.kept)}.{self.rng.choice(self.kept)}",
        ))

    def args(self, depth: int) -> str:
        parts = [self.expr(depth - 1) for _ in range(self.rng.choice((0, 1, 1, 2, 2, 3)))]
        if self.fam == "python" and self.rng.random() < 0.35:
            parts.append(f"{self.key()}={self.expr(depth - 1)}")
        elif self.fam == "javascript" and self.rng.random() < 0.25:
            parts.append("{ " + f"{self.key()}: {self.expr(depth - 1)}" + " }")
        return ", ".join(parts)

    def expr(self, depth: int = 2) -> str:
        if depth <= 0:
            return self.atom()
        roll = self.rng.random()
        if roll < 0.2:
            return self.atom()
        if roll < 0.5:
            return f"{self.callee()}({self.args(depth)})"
        if roll < 0.65:
            return f"{self.expr(depth - 1)}.{self.key()}({self.args(depth)})"
        if roll < 0.72:
            return f"{self.expr(depth - 1)}.{self.key()}"
        if roll < 0.8:
            op = self.rng.choice(("+", "==", "!=", "<", "-"))
            return f"{self.expr(depth - 1)} {op} {self.expr(depth - 1)}"
        if roll < 0.88:
            items = ", ".join(self.expr(depth - 1) for _ in range(self.rng.randint(0, 3)))
            if self.fam == "go":
                return f"[]{self.rng.choice(('string', 'int', 'byte', 'any'))}{{{items}}}"
            if self.fam == "java":
                return f"List.of({items})"
            return f"[{items}]"
        return self.special(depth)

    def special(self, depth: int) -> str:
        """A form of this language only."""
        e = self.expr(depth - 1)
        if self.fam == "python":
            return self.rng.choice((f"{e} if {self.name()} else {self.atom()}", f"not {e}",
                                    "{" + f"{self.string()}: {e}" + "}", f"{e} and {self.name()}"))
        if self.fam == "javascript":
            literal = "{ " + f"{self.key()}: {e}" + " }"
            return self.rng.choice((f"{e} && {self.name()}", f"{e} || {self.atom()}", literal,
                                    f"new {self.key()}({self.args(depth)})", f"typeof {e}"))
        if self.fam == "go":
            ident = self.rng.choice(self.kept)
            return self.rng.choice((f"&{ident}{{{self.key()}: {e}}}", f"{e} && {self.name()}",
                                    f"{self.name()}.{ident}", f"{self.rng.choice(self.kept)}.{ident}"))
        return self.rng.choice((f"new {self.key()}({self.args(depth)})", f"{e} && {self.name()}",
                                f"!{e}", f"{self.name()}.get({self.atom()})"))

    def statement(self, e: str | None = None) -> str:
        e = self.expr(self.rng.choice((1, 1, 2, 2, 3))) if e is None else e
        v, x = self.name(), self.name()
        inner = self.expr(1)
        i = _INDENT[self.language]
        forms: dict[str, list[str]] = {
            "python": [f"{v} = {e}", f"return {e}", e, f"{v}.{self.key()} = {e}", f"{v} += {e}",
                       f"if {e}:\n{i}{v} = {inner}", f"for {x} in {e}:\n{i}{v}.{self.key()}({x})",
                       f"with {e} as {v}:\n{i}{inner}", f"{v}, {x} = {e}, {inner}"],
            "javascript": [f"const {v} = {e};", f"let {v} = {e};", f"{v} = {e};", f"{e};", f"return {e};",
                           f"{v}.{self.key()} = {e};", f"if ({e}) {{\n{i}{inner};\n}}",
                           f"for (const {x} of {e}) {{\n{i}{v}.{self.key()}({x});\n}}",
                           f"const {{ {self.key()} }} = {e};"],
            "go": [f"{v} := {e}", f"{v} = {e}", f"{v}, err := {e}", f"if {e} {{\n{i}{v} = {inner}\n}}",
                   f"for _, {x} := range {e} {{\n{i}{v} = {inner}\n}}", f"{v}.{self.key()} = {e}",
                   f"{self.callee()}({self.args(2)})"],
            "java": [f"var {v} = {e};", f"{self.rng.choice(self.kept)} {v} = {e};", f"{e};", f"return {e};",
                     f"{v} = {e};", f"if ({e}) {{\n{i}{inner};\n}}",
                     f"for (var {x} : {e}) {{\n{i}{v}.{self.key()}({x});\n}}"],
        }
        return self.rng.choice(forms[self.fam])


def wrapped(rng: random.Random, language: str, core: str) -> str:
    """A decoy statement of ``language`` around ``core``, a vulnerable expression template of the
    language's generator (its ``{hole}`` names stay to be filled; the decoy's own braces are
    escaped): the same finding inside statements and expressions of every form the grammar
    writes, so that the model learns the finding, not the handful of statements around it.
    Conditional expressions are left out (``E if c else None`` is a held-out wrapper)."""
    grammar = _Grammar(rng, language)
    mark = "\x00"
    roll = rng.random()
    if roll < 0.25 and grammar.fam == "python":
        e = rng.choice((f"not {mark}", "{" + f"{grammar.string()}: {mark}" + "}", f"{mark} and {grammar.name()}"))
    elif roll < 0.45:
        e = f"{grammar.callee()}({mark})"
    else:
        e = mark
    statement = grammar.statement(e)
    return statement.replace("{", "{{").replace("}", "}}").replace(mark, core)


def _parses(statement: str, language: str) -> bool:
    body = "\n".join(_INDENT[language] + line for line in statement.split("\n"))
    tree = Document(_HARNESS[language].replace("{body}", body), get_language(language)).tree
    return tree is not None and not tree.root_node.has_error


def decoys(rng: random.Random, language: str, n: int) -> list[str]:
    """``n`` random statements of ``language`` that parse (fewer if the grammar keeps failing)."""
    grammar = _Grammar(rng, language)
    out: list[str] = []
    for _ in range(4 * n):
        if len(out) == n:
            break
        statement = grammar.statement()
        if not has_held_out_mark(statement, _FAMILY[language]) and _parses(statement, language):
            out.append(statement)
    return out


_NUMBERED = re.compile(r"\b(ID|STR)\d+\b")


def shape(window_text: str) -> str:
    """A window's abstracted text with placeholder numbers dropped: statements that differ only
    in their names and string words have one shape."""
    return _NUMBERED.sub(r"\1", " ".join(line.strip() for line in window_text.split("\n") if line.strip()))


def window_shapes(source: str, language: str) -> dict[tuple[int, int], str]:
    """The shape of every statement window of ``source`` (a whole unit)."""
    text = abstract(source, language=language).text
    lines = text.split("\n")
    return {(a, b): shape("\n".join(lines[a - 1 : b])) for a, b in statement_windows(text)}


@lru_cache(maxsize=8)
def held_out_shapes(module: ModuleType, units: int = 40) -> frozenset[str]:
    """The statement shapes of held-out units of ``module`` (held-out filler and contexts, no
    vulnerable statement): the shapes no training decoy may have."""
    render: Callable[..., tuple[str, str]] = module.render
    rng = random.Random(f"held-out-shapes:{module.LANGUAGE}")  # noqa: S311 - reproducible synthetic data
    shapes: set[str] = set()
    for _ in range(units):
        source, language = render(rng, "test", [], 6)
        shapes.update(window_shapes(source, language).values())
    return frozenset(shapes)
