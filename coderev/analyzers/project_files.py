"""The files of a project as the taint engine reads them: read and parsed on demand (bounded reads
of regular files; an editor passes a reader that returns its open buffers), cached by content,
with their top-level functions and class methods by name and their imports. Files are only read
and parsed, never imported or run (ADR 0017)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from coderev.analyzers.imports import FileImports, file_imports
from coderev.analyzers.languages import LanguageSpec, language_for_path, parser_for
from coderev.analyzers.taint.syntax import SYNTAX, Node, text
from coderev.analyzers.workspace import read_source

Reader = Callable[[Path], "str | None"]
MAX_PROJECT_FILE = 1_000_000
_CLASSES = frozenset({"class_definition", "class_declaration", "class", "interface_declaration"})
_WRAPPERS = frozenset({"decorated_definition", "export_statement"})


@dataclass(slots=True)
class Parsed:
    path: Path
    language: LanguageSpec
    source: bytes
    root: Node
    functions: dict[str, Node] = field(default_factory=dict)  # "f" and "Class.method"
    imports: FileImports | None = None


def text_digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=12).hexdigest()


def _default_reader(path: Path) -> str | None:
    text_or_skip = read_source(path, MAX_PROJECT_FILE)
    return text_or_skip if isinstance(text_or_skip, str) else None


def definitions(root: Node, language: str) -> dict[str, Node]:
    """Top-level functions and the methods of top-level classes, by name ("f", "C.m")."""
    found: dict[str, Node] = {}
    for unit in root.named_children:
        for name, node in unit_definitions(unit, language):
            found.setdefault(name, node)
    return found


def unit_definitions(unit: Node, language: str) -> list[tuple[str, Node]]:
    """The functions one top-level unit defines: itself, a class's methods (and the class)."""
    syntax = SYNTAX[language]
    found: list[tuple[str, Node]] = []
    node = unit
    while node.type in _WRAPPERS:
        inner = node.child_by_field_name("definition") or node.child_by_field_name("declaration")
        if inner is None:
            break
        node = inner
    if node.type in syntax.functions:
        found.append((text(node.child_by_field_name("name")), node))
    elif node.type in ("lexical_declaration", "variable_declaration"):
        for declarator in node.named_children:  # const f = (x) => ...
            value = declarator.child_by_field_name("value")
            if value is not None and value.type in syntax.functions:
                found.append((text(declarator.child_by_field_name("name")), value))
    elif node.type in _CLASSES:
        name = text(node.child_by_field_name("name"))
        body = node.child_by_field_name("body")
        for member in body.named_children if body is not None else []:
            method = member.child_by_field_name("definition") if member.type in _WRAPPERS else member
            if method is not None and method.type in syntax.functions:
                found.append((f"{name}.{text(method.child_by_field_name('name'))}", method))
        found.append((name, node))
    return found


def has_body(function: Node) -> bool:
    """Whether a function has code to summarize: not an interface or abstract method, and not a
    stub whose body is only ``...``, ``pass``, a docstring or a ``raise``."""
    body = function.child_by_field_name("body")
    if body is None:
        return False
    for statement in body.named_children:
        if "comment" in statement.type or statement.type in ("pass_statement", "raise_statement", "throw_statement"):
            continue
        if statement.type == "expression_statement" and statement.named_child_count == 1 and \
                statement.named_children[0].type in ("ellipsis", "string"):
            continue
        return True
    return False


def function_digest(node: Node | None, source: bytes, language: str) -> str:
    """What a call's answer depends on: the digest of the function's text, or "" when there is no
    function with code to summarize."""
    if node is None or node.type not in SYNTAX[language].functions or not has_body(node):
        return ""
    return text_digest(source[node.start_byte : node.end_byte])


_UNIT_DIGESTS: dict[tuple[str, object], dict[str, str]] = {}


def own_digests(units: Sequence[tuple[Node, Hashable]], source: bytes, language: str) -> dict[str, str]:
    """:func:`function_digest` of every function of a file, by name, from its top-level units and
    the key the analyzer gave each unit's text (type, length, hash): a keystroke costs a
    dictionary lookup per unit, not a walk of every class."""
    found: dict[str, str] = {}
    for unit, key in units:
        cache_key = (language, key)
        digests = _UNIT_DIGESTS.get(cache_key)
        if digests is None:
            if len(_UNIT_DIGESTS) > 8192:
                _UNIT_DIGESTS.clear()
            digests = _UNIT_DIGESTS[cache_key] = {
                name: function_digest(node, source, language) for name, node in unit_definitions(unit, language)
            }
        for name, digest in digests.items():
            found.setdefault(name, digest)
    return found


_DECLARATIONS = frozenset({"lexical_declaration", "variable_declaration"})


def _may_import(unit: Node, language: str) -> bool:
    """Whether a top-level unit can be an import (read by type; only a JavaScript declaration
    needs its text: ``const x = require('./x')``)."""
    kind = unit.type
    if "import" in kind or "package" in kind:
        return True
    return language in ("javascript", "typescript", "tsx") and kind in _DECLARATIONS and \
        b"require(" in (unit.text or b"")[:300]


class Project:
    """Other files of the workspace, read and parsed on demand and cached by content. Without a
    ``reader``, files are read from disk (again only when their size or time stamp changed); an
    editor passes a reader that returns its open documents' text and falls back to
    :meth:`read_disk`."""

    def __init__(self, root: Path | None = None, reader: Reader | None = None) -> None:
        self.root = root
        self._reader = reader or self.read_disk
        self._disk: dict[Path, tuple[int, int, str | None]] = {}
        self._parsed: dict[Path, tuple[str, Parsed | None]] = {}
        self._imports: dict[tuple[Path, str, str], FileImports] = {}
        self._exists: dict[Path, bool] = {}

    def relative(self, path: Path) -> str:
        if self.root is not None:
            try:
                return path.relative_to(self.root).as_posix()
            except ValueError:
                pass
        return path.as_posix()

    def parsed(self, path: Path) -> Parsed | None:
        """The parse of a workspace file, or None (missing, unreadable, no grammar)."""
        language = language_for_path(path)
        if language is None or language.id not in SYNTAX:
            return None
        content = self._reader(path)
        if content is None:
            self._parsed.pop(path, None)
            return None
        data = content.encode("utf-8", "surrogatepass")
        digest = text_digest(data)
        cached = self._parsed.get(path)
        if cached is not None and cached[0] == digest:
            return cached[1]
        tree = parser_for(language).parse(data)
        parsed = Parsed(path, language, data, tree.root_node)
        parsed.functions = definitions(tree.root_node, language.id)
        parsed.imports = file_imports(tree.root_node, language.id, path, self.exists)
        self._parsed[path] = (digest, parsed)
        return parsed

    def forget(self, path: Path) -> None:
        self._parsed.pop(path, None)
        self._disk.pop(path, None)
        self._exists.clear()  # a file appeared or went: imports may name another module now
        self._imports.clear()

    def exists(self, path: Path) -> bool:
        """Whether ``path`` is a file, remembered: the imports of many files ask for the same
        candidate modules (a scan of Django asked 60,000 times)."""
        found = self._exists.get(path)
        if found is None:
            if len(self._exists) > 65536:
                self._exists.clear()
            found = self._exists[path] = path.is_file()
        return found

    def read_disk(self, path: Path) -> str | None:
        try:
            status = path.stat()
        except OSError:
            self._disk.pop(path, None)
            return None
        cached = self._disk.get(path)
        if cached is not None and cached[:2] == (status.st_mtime_ns, status.st_size):
            return cached[2]
        content = _default_reader(path)
        if len(self._disk) > 8192:
            self._disk.clear()
        self._disk[path] = (status.st_mtime_ns, status.st_size, content)
        return content

    def imports(self, root: Node, language: str, path: Path) -> FileImports:
        """The imports of a file being analyzed, cached by the text of its import statements
        (a keystroke elsewhere does not look for modules on disk again)."""
        parts = [unit.text or b"" for unit in root.named_children if _may_import(unit, language)]
        key = (path, language, text_digest(b"\0".join(parts)))
        found = self._imports.get(key)
        if found is None:
            if len(self._imports) > 4096:
                self._imports.clear()
            found = self._imports[key] = file_imports(root, language, path, self.exists)
        return found


NO_FILES = Project(reader=lambda _path: None)  # reads no other file: the analyzed file's own calls only
