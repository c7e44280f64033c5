"""Vulnerable variants of real functions (issue 20), labelled by the analyzers.

Two ways, both keeping the real function's layout (nesting, decorators, comments, annotations,
long bodies, tabs) around the vulnerability:

- **mutation**: a safe construct the function already has becomes its unsafe twin
  (``yaml.safe_load`` into ``yaml.load``, ``sha256`` into ``md5``, ``verify=True`` into
  ``verify=False``, ``textContent`` into ``innerHTML``, ...); the original is the fix.
- **injection**: one vulnerable statement of a fix kind the model knows (the synthetic
  generators' own statements, :mod:`coderev.engine.training.langs`) is inserted between two
  statements of the body, at their indentation, using the function's own parameter names.

Neither decides what is vulnerable: the analyzers label every variant, and a variant is kept only
when it parses and has a finding its original has not.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from dataclasses import dataclass
from types import ModuleType

import tree_sitter

from coderev.analyzers.analysis import Analyzer
from coderev.analyzers.document import Document
from coderev.analyzers.finding import Finding
from coderev.analyzers.languages import LanguageSpec, get_language
from coderev.analyzers.review_units import review_units
from coderev.engine.model.vocabulary import family as family_of
from coderev.engine.training.langs import common, go, java, javascript, python
from coderev.engine.training.realcode import RealUnit
from coderev.engine.training.statements import statement as python_statement

# (language family, safe text, unsafe text): one replacement, at one place, per variant.
MUTATIONS: tuple[tuple[str, str, str], ...] = (
    ("python", "yaml.safe_load(", "yaml.load("),
    ("python", "Loader=yaml.SafeLoader", "Loader=yaml.Loader"),
    ("python", "hashlib.sha256(", "hashlib.md5("),
    ("python", "hashlib.sha512(", "hashlib.sha1("),
    ("python", "verify=True", "verify=False"),
    ("python", "autoescape=True", "autoescape=False"),
    ("python", "httponly=True", "httponly=False"),
    ("python", "secure=True", "secure=False"),
    ("python", "resolve_entities=False", "resolve_entities=True"),
    ("javascript", "createHash('sha256'", "createHash('md5'"),
    ("javascript", 'createHash("sha256"', 'createHash("md5"'),
    ("javascript", ".textContent =", ".innerHTML ="),
    ("javascript", "rejectUnauthorized: true", "rejectUnauthorized: false"),
    ("javascript", "httpOnly: true", "httpOnly: false"),
    ("javascript", "secure: true", "secure: false"),
    ("go", "InsecureSkipVerify: false", "InsecureSkipVerify: true"),
    ("go", "tls.VersionTLS12", "tls.VersionTLS10"),
    ("go", "tls.VersionTLS13", "tls.VersionTLS11"),
    ("go", "HttpOnly: true", "HttpOnly: false"),
    ("go", "Secure:   true", "Secure:   false"),
    ("go", "Secure: true", "Secure: false"),
    ("java", 'MessageDigest.getInstance("SHA-256")', 'MessageDigest.getInstance("MD5")'),
    ("java", "new SecureRandom()", "new Random()"),
    ("java", "setHttpOnly(true)", "setHttpOnly(false)"),
    ("java", "setSecure(true)", "setSecure(false)"),
)

GENERATORS: dict[str, ModuleType] = {"python": python, "javascript": javascript, "go": go, "java": java}
_SKIP_NAMES = frozenset({"self", "cls", "this", "_", "ctx", "args", "kwargs"})


@dataclass(frozen=True, slots=True)
class Variant:
    how: str  # "mutation:<safe>" or "injection:<kind>"
    source: str
    findings: list[Finding]  # the analyzers' findings in the variant (all of them)
    new: list[Finding]  # those the original does not have


def _unit_node(tree: tree_sitter.Tree, spec: LanguageSpec) -> tree_sitter.Node | None:
    units = review_units([tree.root_node], spec, 10_000)
    return units[0] if units else None


def _body_statements(node: tree_sitter.Node) -> list[tree_sitter.Node]:
    body = node.child_by_field_name("body")
    if body is None:
        return []
    children = body.named_children
    if len(children) == 1 and children[0].type == "statement_list":  # Go wraps a block's statements
        children = children[0].named_children
    return [c for c in children if c.type not in {"comment", "line_comment", "block_comment"}]


def _is_docstring(node: tree_sitter.Node) -> bool:
    return (node.type == "expression_statement" and node.named_child_count == 1
            and node.named_children[0].type == "string")


def _parameters(node: tree_sitter.Node) -> list[str]:
    params = node.child_by_field_name("parameters")
    names: list[str] = []
    stack = [params] if params is not None else []
    while stack:
        current = stack.pop()
        if current.type == "identifier" and (current.text or b"").decode() not in _SKIP_NAMES:
            names.append((current.text or b"").decode())
            continue
        if current.type in {"type", "type_identifier", "type_annotation", "default_parameter"} and names:
            continue
        stack.extend(reversed(current.named_children))
    return list(dict.fromkeys(names))


def _render(kind: str, family: str, rng: random.Random, split: str, names: list[str]) -> str:
    """One vulnerable statement of ``kind``, its holes filled, the function's parameters used for
    the data it works on."""
    module = GENERATORS[family]
    if family == "python":
        values = python.holes(rng, split)
        for hole, name in zip(("x", "w"), names, strict=False):
            values[hole] = name
        return python_statement(kind, rng, split).format(**values)
    values = common.basic_holes(rng, split, family)
    for hole, name in zip(("w", "x"), names, strict=False):
        values[hole] = name
    return common.fill(module.statement(kind, rng, split), values)


def inject(unit: RealUnit, kind: str, rng: random.Random, split: str) -> str | None:
    """``unit`` with a ``kind`` statement inserted before one of its body's statements (or after
    the last), at that statement's indentation; None when the result does not parse cleanly."""
    spec = get_language(unit.language)
    family = family_of(unit.language)
    if spec is None or family not in GENERATORS:
        return None
    document = Document(unit.text, spec)
    tree = document.tree
    node = _unit_node(tree, spec) if tree is not None else None
    if node is None:
        return None
    statements = _body_statements(node)
    if not statements:
        return None
    source = document.source
    if len(statements) > 1 and _is_docstring(statements[0]):
        statements = statements[1:]  # code goes after a docstring, not above it
    anchor = rng.choice(statements)
    line_start = source.rfind(b"\n", 0, anchor.start_byte) + 1
    indent = source[line_start : anchor.start_byte].decode("utf-8", "replace")
    if indent.strip():
        return None  # a statement sharing its line with the block's brace
    text = _render(kind, family, rng, split, _parameters(node))
    block = "\n".join(indent + line if line.strip() else line for line in text.split("\n")) + "\n"
    variant = (source[:line_start] + block.encode("utf-8") + source[line_start:]).decode("utf-8", "replace")
    parsed = Document(variant, spec).tree
    return variant if parsed is not None and not parsed.root_node.has_error else None


def mutations(unit: RealUnit) -> Iterator[tuple[str, str]]:
    """(safe text, variant) for each safe construct of ``unit`` that has an unsafe twin (the first
    occurrence of each)."""
    family = family_of(unit.language)
    for fam, safe, unsafe in MUTATIONS:
        if fam == family and safe in unit.text:
            yield safe, unit.text.replace(safe, unsafe, 1)


_SPACES = re.compile(r"\s+")


def _keys(findings: list[Finding], source: str) -> list[tuple[str, str]]:
    """(rule, the finding's line with its whitespace collapsed) of each finding."""
    lines = source.split("\n")
    return [(f.rule_id, _SPACES.sub(" ", lines[f.span.start_row].strip()) if f.span.start_row < len(lines) else "")
            for f in findings]


def labelled(unit: RealUnit, variant: str, how: str, analyzer: Analyzer,
             before: list[Finding] | None = None) -> Variant | None:
    """The analyzers' view of ``variant``: kept when it has a finding ``unit`` has not (compared
    by rule and line text, since an insertion moves the lines below it). ``before``: the unit's
    own findings, when the caller has them."""
    spec = get_language(unit.language)
    if spec is None:
        return None
    if before is None:
        before = analyzer.analyze(Document(unit.text, spec))
    after = analyzer.analyze(Document(variant, spec))
    old = set(_keys(before, unit.text))
    new = [f for f, key in zip(after, _keys(after, variant), strict=True) if key not in old]
    return Variant(how, variant, after, new) if new else None


def variants(unit: RealUnit, rng: random.Random, split: str, analyzer: Analyzer,
             kinds_per_unit: int = 1) -> list[Variant]:
    """The labelled vulnerable variants of ``unit``: every mutation that makes a finding, and
    ``kinds_per_unit`` injections of random fix kinds of its language."""
    out: list[Variant] = []
    spec = get_language(unit.language)
    if spec is None:
        return out
    before = analyzer.analyze(Document(unit.text, spec))  # once for every variant of the unit
    for safe, text in mutations(unit):
        found = labelled(unit, text, f"mutation:{safe}", analyzer, before)
        if found is not None:
            out.append(found)
    family = family_of(unit.language)
    module = GENERATORS.get(family)
    if module is None:
        return out
    for kind in rng.sample(list(module.KINDS), min(kinds_per_unit, len(module.KINDS))):
        injected = inject(unit, kind, rng, split)
        if injected is not None:
            found = labelled(unit, injected, f"injection:{kind}", analyzer, before)
            if found is not None:
                out.append(found)
    return out
