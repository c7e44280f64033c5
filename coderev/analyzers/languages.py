"""The grammar registry: which tree-sitter grammar parses which file.

Grammars come from the official per-language wheels (tree-sitter-python, ...), which ship the
compiled parsers, so nothing is downloaded at run time. Languages and parsers are created once
and reused; a parser is not thread-safe, so each thread gets its own.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import PurePath

import tree_sitter
import tree_sitter_go
import tree_sitter_java
import tree_sitter_javascript
import tree_sitter_python
import tree_sitter_typescript

from coderev.analyzers.deps.files import manifest_kind


@dataclass(frozen=True, slots=True)
class LanguageSpec:
    """A language coderev analyzes: its id, file extensions and comment syntax."""

    id: str
    name: str
    extensions: tuple[str, ...]
    line_comment: str
    _loader: Callable[[], object] | None = field(repr=False, compare=False)

    @property
    def grammar(self) -> tree_sitter.Language:
        return _grammar(self.id)

    @property
    def has_grammar(self) -> bool:
        return self._loader is not None


LANGUAGES: tuple[LanguageSpec, ...] = (
    LanguageSpec("python", "Python", (".py", ".pyi", ".pyw"), "#", tree_sitter_python.language),
    LanguageSpec(
        "javascript",
        "JavaScript",
        (".js", ".jsx", ".mjs", ".cjs"),
        "//",
        tree_sitter_javascript.language,
    ),
    LanguageSpec(
        "typescript",
        "TypeScript",
        (".ts", ".mts", ".cts"),
        "//",
        tree_sitter_typescript.language_typescript,
    ),
    LanguageSpec("tsx", "TSX", (".tsx",), "//", tree_sitter_typescript.language_tsx),
    LanguageSpec("go", "Go", (".go",), "//", tree_sitter_go.language),
    LanguageSpec("java", "Java", (".java",), "//", tree_sitter_java.language),
)

# Any other text file (.env, YAML, JSON, properties, shell, ...): no grammar, so only text-pattern
# rules (secrets) apply. Not in the registry: no extension maps to it.
TEXT = LanguageSpec("text", "Text", (), "#", None)

# Templates (EJS, Handlebars and Mustache, Pug, HTML with Angular, Vue, Django or Jinja markup):
# no grammar either, but their own text-pattern rules (unescaped output), which name these ids in
# `languages`. Secrets rules ("text") do not apply to them. Not in the registry of grammars:
# ``language_for_path`` is None for them, ``text_language_for_path`` names them.
TEMPLATES: tuple[LanguageSpec, ...] = (
    LanguageSpec("ejs", "EJS", (".ejs",), "<%#", None),
    LanguageSpec("handlebars", "Handlebars", (".hbs", ".handlebars", ".mustache"), "{{!", None),
    LanguageSpec("pug", "Pug", (".pug", ".jade"), "//-", None),
    LanguageSpec("html", "HTML template", (".html", ".htm", ".vue", ".jinja", ".jinja2", ".j2", ".njk", ".djhtml"),
                 "<!--", None),
)
_TEMPLATE_BY_EXTENSION = {ext: spec for spec in TEMPLATES for ext in spec.extensions}
TEXT_LANGUAGE_IDS = frozenset({TEXT.id, *(spec.id for spec in TEMPLATES)})

# Files without a grammar that are still worth reading for secrets, by name or extension.
TEXT_FILE_SUFFIXES = frozenset(
    {".env", ".yaml", ".yml", ".json", ".properties", ".ini", ".cfg", ".conf", ".toml", ".sh",
     ".bash", ".zsh", ".tf", ".tfvars", ".xml", ".gradle", ".npmrc", ".pypirc", ".netrc", ".pem",
     ".key", ".txt", ".cnf", ".config"}
)
TEXT_FILE_NAMES = frozenset({".env", "Dockerfile", ".npmrc", ".pypirc", ".netrc", "credentials", "config"})
# Generated files full of hashes: high entropy by construction, never hand-written secrets.
SKIPPED_TEXT_FILES = frozenset(
    {"package-lock.json", "yarn.lock", "pnpm-lock.yaml", "poetry.lock", "Pipfile.lock", "go.sum",
     "Cargo.lock", "composer.lock", "Gemfile.lock"}
)


def is_text_scan_candidate(path: str | PurePath) -> bool:
    """Whether a file without a grammar should still be scanned: for secrets, as a template, or
    as a dependency file (lock files are read for their dependencies only)."""
    pure = PurePath(path)
    if manifest_kind(pure) is not None:
        return True
    if pure.name in SKIPPED_TEXT_FILES:
        return False
    return (
        pure.suffix.lower() in TEXT_FILE_SUFFIXES
        or pure.suffix.lower() in _TEMPLATE_BY_EXTENSION
        or pure.name in TEXT_FILE_NAMES
        or pure.name.startswith((".env", "Dockerfile"))
    )


_BY_ID = {spec.id: spec for spec in LANGUAGES}
_BY_EXTENSION = {ext: spec for spec in LANGUAGES for ext in spec.extensions}

# Editors' language identifiers (LSP ``languageId``) that differ from ours.
_EDITOR_IDS = {
    "javascriptreact": "javascript",
    "typescriptreact": "tsx",
}


@cache
def _grammar(language_id: str) -> tree_sitter.Language:
    loader = _BY_ID[language_id]._loader
    assert loader is not None
    return tree_sitter.Language(loader())


def get_language(language_id: str) -> LanguageSpec | None:
    """The language for an id (ours or an editor's ``languageId``), or ``None``."""
    return _BY_ID.get(_EDITOR_IDS.get(language_id, language_id))


def language_for_path(path: str | PurePath) -> LanguageSpec | None:
    """The language of a file by its extension, or ``None`` when coderev does not parse it."""
    return _BY_EXTENSION.get(PurePath(path).suffix.lower())


def text_language_for_path(path: str | PurePath | None) -> LanguageSpec:
    """The text-pattern language of a file without a grammar: its template language by
    extension, otherwise ``TEXT`` (also for no path at all)."""
    if path is None:
        return TEXT
    return _TEMPLATE_BY_EXTENSION.get(PurePath(path).suffix.lower(), TEXT)


_local = threading.local()


def parser_for(language: LanguageSpec) -> tree_sitter.Parser:
    """This thread's parser for ``language``."""
    parsers: dict[str, tree_sitter.Parser] | None = getattr(_local, "parsers", None)
    if parsers is None:
        parsers = _local.parsers = {}
    parser = parsers.get(language.id)
    if parser is None:
        parser = parsers[language.id] = tree_sitter.Parser(language.grammar)
    return parser
