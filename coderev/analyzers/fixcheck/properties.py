"""Property-only fixes (cookies, TLS, XML parsers, deserialization, CSRF, autoescape, innerHTML,
random generators, key sizes, protocol versions, weak hashes): the fix changes one argument,
property or name of the flagged statement, or adds one, to the value the rule vets, and keeps
every other argument as it was."""

from __future__ import annotations

import re

from coderev.analyzers.finding import Verification, failed
from coderev.analyzers.fixcheck.common import (
    ARGUMENT_LISTS,
    SINK_TYPES,
    Change,
    Node,
    arguments,
    keyword,
    leaves,
    text,
    words,
)

_PUNCTUATION = frozenset({",", "=", ":", ".", "(", ")", "'", '"', "`", "new", "&"})
_KEY_SIZE = re.compile(r"\d+")
_STRONG_HASHES = frozenset({
    "sha256", "sha384", "sha512", "sha3_256", "sha3_384", "sha3_512", "blake2b", "blake2s",
    "SHA256", "SHA384", "SHA512", "SHA-256", "SHA-384", "SHA-512", "SHA3-256", "SHA3-512",
    "sha-256", "sha-384", "sha-512",
})
# Where a digest is a password's stored form, SHA-256 is as wrong as MD5: it needs a salted,
# slow password hash (hashlib.scrypt or pbkdf2_hmac, bcrypt, argon2).
_PASSWORD = re.compile(r"pass(?:word|wd|phrase)?|pwd|credential", re.I)


def _covering(sink: Node, tokens: tuple[Node, ...]) -> Node | None:
    """The smallest node of ``sink`` that holds all ``tokens``."""
    lo, hi = tokens[0].start_byte, tokens[-1].end_byte
    return sink.descendant_for_byte_range(lo, hi)


def _one_slot(sink: Node, tokens: tuple[Node, ...]) -> bool:
    """Whether ``tokens`` lie inside one argument, property, value or name of ``sink``."""
    node = _covering(sink, tokens)
    return node is not None and node != sink and node.type not in ARGUMENT_LISTS | SINK_TYPES


def _one_new_argument(change: Change) -> bool:
    """Whether the fix only inserted one argument or property (with its comma)."""
    new = [text(n) for n in change.new]
    if len(new) < 2 or "," not in (new[0], new[-1]):
        return False
    body = change.new[1:] if new[0] == "," else change.new[:-1]
    node = _covering(change.after, tuple(body))
    return node is not None and node.type not in ARGUMENT_LISTS | SINK_TYPES and (
        node.start_byte, node.end_byte) == (body[0].start_byte, body[-1].end_byte)


# Nodes that spell a qualified name (``hashlib.sha256``, ``java.security.SecureRandom``).
_DOTTED = frozenset({"attribute", "scoped_identifier", "scoped_type_identifier", "member_expression",
                     "selector_expression", "field_access", "qualified_type"})


def _qualified(sink: Node, tokens: tuple[Node, ...]) -> set[str]:
    """The qualified names of ``sink`` that hold one of ``tokens``, without whitespace."""
    out = set()
    for token in tokens:
        node, top = token.parent, None
        while node is not None and node.type in _DOTTED and node != sink:
            top, node = node, node.parent
        if top is not None:
            out.add("".join(text(top).split()))
    return out


def _qualifier(name: str) -> str:
    """``hashlib`` of ``hashlib.sha256``, ``std`` of ``std::rand``."""
    match = re.fullmatch(r"(.*)(?:\.|::)\w+", name)
    return match.group(1) if match else ""


def _names_ok(change: Change) -> str | None:
    """None when every qualified name the fix writes is one the rule's fix writes, or keeps the
    qualifier the code already used (``hashlib.md5`` to ``hashlib.sha256``); the words of
    ``java.security.SecureRandom`` rearranged into ``java.SecureRandom`` name no class."""
    before = {_qualifier(n) for n in _qualified(change.before, tuple(leaves(change.before)))}
    for name in sorted(_qualified(change.after, change.new)):
        if name not in change.allowed and _qualifier(name) not in before:
            return f"the fix writes {name}, a qualified name neither the rule nor the code uses"
    return None


def _values_ok(change: Change, family: str) -> str | None:
    """None when every word the fix writes is one the rule vets, else the problem."""
    problem = _names_ok(change)
    if problem:
        return problem
    added = change.added - _PUNCTUATION
    if family == "key-size":
        sizes = [int(w) for w in added if _KEY_SIZE.fullmatch(w)]
        if not sizes or any(s < 2048 for s in sizes):
            return "the new key size is not at least 2048 bits"
        added = {w for w in added if not _KEY_SIZE.fullmatch(w)}
    stray = added - change.allowed
    if stray:
        return f"the fix writes {', '.join(sorted(stray))}, which is not the rule's vetted value"
    return None


_KINDS = {
    "name": frozenset({"identifier", "type_identifier", "scoped_type_identifier", "property_identifier",
                       "field_identifier", "attribute", "scoped_identifier", "member_expression",
                       "selector_expression", "field_access", "qualified_type"}),
    "string": frozenset({"string", "string_literal", "interpreted_string_literal", "raw_string_literal",
                         "template_string", "string_content", "string_fragment"}),
    "number": frozenset({"integer", "float", "number", "int_literal", "float_literal", "decimal_integer_literal"}),
    "boolean": frozenset({"true", "false", "boolean"}),
}
# A keyword added to a call with more positional arguments than this may repeat one of them
# (werkzeug's and Django's set_cookie take secure and httponly as the 7th and 8th).
_MAX_POSITIONAL = 5


def _kind(sink: Node, tokens: tuple[Node, ...]) -> str:
    node = _covering(sink, tokens)
    if node is None:
        return ""
    return next((k for k, types in _KINDS.items() if node.type in types), node.type)


def _unbound(change: Change) -> str | None:
    """A bare name the fix writes that the original unit never mentions (``sha256`` after
    ``from hashlib import md5``: a NameError), or None."""
    root = change.before
    while root.parent is not None:
        root = root.parent
    known = {text(n) for n in leaves(root) if n.type == "identifier"}
    for token in change.new:
        parent = token.parent
        if token.type != "identifier" or text(token) in known or parent is None:
            continue
        if parent.type == "attribute" and parent.child_by_field_name("attribute") == token:
            continue  # module.name: resolved on the object
        if parent.type == "keyword_argument" and parent.child_by_field_name("name") == token:
            continue
        return text(token)
    return None


def check_property(change: Change, family: str = "property") -> Verification:
    if not change.old and not change.new:
        return failed("the fix changes only layout")
    if change.old:
        if not (_one_slot(change.before, change.old) and change.new and _one_slot(change.after, change.new)):
            return failed("the fix changes more than the flagged property")
        if _kind(change.before, change.old) != _kind(change.after, change.new):
            return failed(f"the fix puts a {_kind(change.after, change.new)} where the code has a "
                          f"{_kind(change.before, change.old)}")
    elif not _one_new_argument(change):
        return failed("the fix adds more than one argument")
    else:
        positional = [a for a in arguments(change.after) if keyword(a) is None and a.type != "pair"]
        if len(positional) > _MAX_POSITIONAL:
            return failed(f"the call passes {len(positional)} positional arguments; the added keyword "
                          "may repeat one of them")
    name = _unbound(change)
    if name is not None:
        return failed(f"the fix uses {name}, which the code does not define or import")
    problem = _values_ok(change, family)
    if problem:
        return failed(problem)
    what = "only the flagged property changed" if change.old else "one argument added"
    return Verification(True, (f"{what}, every other argument kept", "the rule's vetted value"))


def check_hash(change: Change) -> Verification:
    """A weak hash swapped for a strong one, where the data is not a password."""
    base = check_property(change)
    if not base.verified:
        return base
    algorithms = {w for n in change.new for w in words(text(n)) | {text(n).strip("'\"")}} & _STRONG_HASHES
    if not algorithms:
        return failed("the new algorithm is not SHA-2, SHA-3 or BLAKE2")
    old_names = [text(n).strip("'\"") for n in change.old]
    if any("-" in n for n in old_names) and not any("-" in a for a in algorithms):
        # the API spells algorithms with a dash (WebCrypto's "SHA-1"): "sha256" is unknown to it
        return failed("the API names algorithms with a dash (SHA-256), the fix does not")
    statement = change.before
    while statement.parent is not None and statement.parent.type not in {"block", "module", "program",
                                                                          "statement_block", "source_file"}:
        statement = statement.parent
    if _PASSWORD.search(text(statement)):
        return failed("the data looks like a password: storing one needs a salted password hash "
                      "(hashlib.scrypt, pbkdf2_hmac, bcrypt, argon2), not a fast digest")
    return Verification(True, (*base.checked, f"{sorted(algorithms)[0]} for data that is not a password"))
