"""Identifier and string abstraction: names become ``ID1, ID2, ...`` and string words ``STR1, ...``.

The small model never has to spell a name it has not seen: before prompting, every identifier
that is not a library/API name (those carry the vulnerability: ``yaml``, ``load``, ``execute``)
and every word inside a string literal that is not a known keyword is replaced by a numbered
placeholder, in order of first appearance; after generation the placeholders are restored.
Placeholders are whole words, so restoration is a word-boundary substitution. Line structure is
preserved exactly (only non-newline runs are replaced), so line numbers stay valid.
"""

from __future__ import annotations

import builtins
import keyword
import re
from dataclasses import dataclass, field
from functools import lru_cache

import tree_sitter

from analyzers.languages import get_language, parser_for

PLACEHOLDER = re.compile(r"\b(?:ID|STR)\d+\b")
_WORD = re.compile(r"[^\s'\"`,()=<>]+")

# Names that carry meaning for security review and are kept verbatim (besides rule vocabulary).
_API_NAMES = frozenset(
    [
        "self", "cls", "request", "app", "os", "sys", "subprocess", "shlex", "yaml", "pickle", "marshal",
        "json", "hashlib", "hmac", "secrets", "random", "requests", "httpx", "urllib", "urlopen", "aiohttp",
        "ssl", "jwt", "lxml", "etree", "xml", "jinja2", "Environment", "Markup", "flask", "django", "cursor",
        "execute", "executemany", "fetchall", "fetchone", "fetchmany", "commit", "connect", "connection", "db",
        "session", "query", "raw", "text", "run", "call", "check_call", "check_output", "Popen", "system",
        "popen", "shell", "verify", "timeout", "Loader", "SafeLoader", "FullLoader", "UnsafeLoader", "load",
        "load_all", "safe_load", "safe_load_all", "full_load", "unsafe_load", "dump", "loads", "dumps", "md5",
        "sha1", "sha256", "sha512", "new", "hexdigest", "digest", "encode", "decode", "autoescape",
        "select_autoescape", "XMLParser", "resolve_entities", "no_network", "load_dtd", "fromstring", "parse",
        "config", "update", "route", "get", "post", "args", "form", "json", "data", "GET", "POST", "environ",
        "open", "read", "write", "close", "path", "join", "with_suffix", "render_template", "return",
        "capture_output", "text", "check", "cwd", "env", "stdout", "stderr", "FileSystemLoader",
        "PackageLoader", "loader", "Flask", "WTF_CSRF_ENABLED", "CSRF_ENABLED", "True", "False", "None",
        "print", "len", "str", "int", "float", "list", "dict", "tuple", "set",
    ]
)
# Words inside strings that are kept: SQL keywords, operators and algorithm names.
_STRING_WORDS = frozenset(
    [
        "SELECT", "FROM", "WHERE", "AND", "OR", "NOT", "IN", "LIKE", "INSERT", "INTO", "VALUES", "UPDATE",
        "SET", "DELETE", "ORDER", "BY", "GROUP", "LIMIT", "OFFSET", "JOIN", "ON", "AS", "COUNT", "DISTINCT",
        "HAVING", "IS", "NULL", "DESC", "ASC", "select", "from", "where", "and", "or", "insert", "into",
        "values", "update", "set", "delete", "order", "by", "limit", "*", "=", "<=", ">=", "<", ">", "!=", "%s",
        "?", ",", "(", ")", "md5", "sha1", "sha256", "sha512", "sha224", "sha384", "WTF_CSRF_ENABLED", "utf-8",
        "utf8",
    ]
)


@dataclass
class Abstraction:
    """A text with placeholders and the mapping to restore it."""

    text: str
    names: dict[str, str] = field(default_factory=dict)  # placeholder -> original

    def restore(self, text: str) -> str:
        return PLACEHOLDER.sub(lambda m: self.names.get(m.group(0), m.group(0)), text)


@lru_cache(maxsize=1)
def rule_vocabulary() -> frozenset[str]:
    """Every quoted word in the rule queries (API names the rules match on), plus _API_NAMES."""
    from analyzers.ruleset import default_rules

    words: set[str] = set(_API_NAMES)
    for rule in default_rules():
        words.update(re.findall(r'"([A-Za-z_][A-Za-z0-9_]*)"', rule.query))
    words.update(keyword.kwlist)
    words.update(name for name in dir(builtins) if not name.startswith("_"))
    return frozenset(words)


def _parse(text: str) -> tree_sitter.Tree:
    spec = get_language("python")
    assert spec is not None
    return parser_for(spec).parse(text.encode("utf-8"))


def _spans(tree: tree_sitter.Tree, keep: frozenset[str]) -> list[tuple[int, int, str, str]]:
    """(start, end, kind, text) of the byte runs to abstract, in order."""
    out: list[tuple[int, int, str, str]] = []
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        if node.type == "identifier":
            name = (node.text or b"").decode("utf-8")
            if name not in keep and not PLACEHOLDER.fullmatch(name):
                out.append((node.start_byte, node.end_byte, "ID", name))
            continue
        if node.type == "string_content":
            raw = (node.text or b"").decode("utf-8")
            base = node.start_byte
            for match in _WORD.finditer(raw):
                word = match.group(0)
                if word in _STRING_WORDS or word in keep or PLACEHOLDER.fullmatch(word):
                    continue
                start = base + len(raw[: match.start()].encode("utf-8"))
                out.append((start, start + len(word.encode("utf-8")), "STR", word))
            continue
        stack.extend(reversed(node.children))
    out.sort()
    return out


def _kind(placeholder: str) -> str:
    return "STR" if placeholder.startswith("STR") else "ID"


def abstract(text: str, seed: Abstraction | None = None, *, keep: frozenset[str] | None = None) -> Abstraction:
    """Replace identifiers and string words in ``text`` by placeholders.

    ``seed`` supplies an existing mapping, so the same name gets the same placeholder in a
    request and in its answer.
    """
    keep = rule_vocabulary() if keep is None else keep
    names = dict(seed.names) if seed is not None else {}
    reverse = {f"{_kind(ph)}:{original}": ph for ph, original in names.items()}
    counters = {"ID": 0, "STR": 0}
    for ph in names:
        counters[_kind(ph)] = max(counters[_kind(ph)], int(ph[len(_kind(ph)):]))
    source = text.encode("utf-8")
    pieces: list[bytes] = []
    cursor = 0
    for start, end, kind, word in _spans(_parse(text), keep):
        if start < cursor:
            continue
        placeholder = reverse.get(f"{kind}:{word}")
        if placeholder is None:
            counters[kind] += 1
            placeholder = f"{kind}{counters[kind]}"
            reverse[f"{kind}:{word}"] = placeholder
            names[placeholder] = word
        pieces.append(source[cursor:start])
        pieces.append(placeholder.encode("utf-8"))
        cursor = end
    pieces.append(source[cursor:])
    return Abstraction(b"".join(pieces).decode("utf-8"), names)
