"""What a file's imports name: local names bound to functions or classes of other workspace
files, and local names bound to whole modules. Read from the tree, never by running anything.

- Python: ``from app.util import f as g`` / ``from .util import f`` / ``import app.util as u``,
  modules found next to the importing file or in one of its parent directories;
- JavaScript and TypeScript: ``import { f } from './util'``, ``import * as u from './util'``,
  ``const u = require('./util')``, ``const { f } = require('./util')`` (relative paths only);
- Java: ``import a.b.C;`` and ``import a.b.*;`` under the source root implied by the file's
  ``package``, and the classes of the file's own package.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from coderev.analyzers.literals import string_value
from coderev.analyzers.taint.syntax import Node, text

_PARENTS = 12  # directories above the importing file searched for an absolute Python import
_JS_SUFFIXES = ("", ".js", ".ts", ".tsx", ".jsx", ".mjs", ".cjs", "/index.js", "/index.ts")


@dataclass(slots=True)
class FileImports:
    names: dict[str, tuple[Path, str]] = field(default_factory=dict)  # local -> (file, name there)
    modules: dict[str, Path] = field(default_factory=dict)  # local (or dotted) -> module file
    packages: list[Path] = field(default_factory=list)  # Java: directories whose classes are visible
    source_root: Path | None = None  # Java: the directory the file's package path starts from

    def classes(self, name: str) -> list[Path]:
        """Files that may define class ``name``: a fully qualified Java name under the source
        root, else the file's own package and the packages imported with ``.*``."""
        if "." in name and self.source_root is not None:
            parts = name.split(".")
            return [self.source_root.joinpath(*parts[:-1], f"{parts[-1]}.java")]
        return [directory / f"{name}.java" for directory in self.packages]


Exists = Callable[[Path], bool]


def _is_file(path: Path) -> bool:
    return path.is_file()


def file_imports(root: Node, language: str, path: Path, exists: Exists = _is_file) -> FileImports:
    """What the imports among ``root``'s children name; ``exists`` says whether a candidate module
    file exists (a project passes a cached one: a tree's imports ask for the same files often)."""
    found = FileImports()
    if language == "python":
        for unit in root.named_children:
            if unit.type == "import_from_statement":
                _python_from(unit, path, found, exists)
            elif unit.type == "import_statement":
                _python_import(unit, path, found, exists)
    elif language in ("javascript", "typescript", "tsx"):
        for unit in root.named_children:
            _javascript(unit, path, found, exists)
    elif language == "java":
        _java(root, path, found)
    return found


# --- Python -------------------------------------------------------------------------------------


def _python_module(path: Path, dotted: str, dots: int, exists: Exists) -> Path | None:
    parts = [p for p in dotted.split(".") if p]
    if dots:
        base = path.parent
        for _ in range(dots - 1):
            base = base.parent
        bases = [base]
    else:
        bases = [path.parent, *list(path.parent.parents)[:_PARENTS]]
    for base in bases:
        target = base.joinpath(*parts) if parts else base
        if parts and exists(target.with_suffix(".py")):
            return target.with_suffix(".py")
        if exists(target / "__init__.py"):
            return target / "__init__.py"
    return None


def _python_from(unit: Node, path: Path, found: FileImports, exists: Exists) -> None:
    module = unit.child_by_field_name("module_name")
    if module is None:
        return
    dots, dotted = 0, text(module)
    if module.type == "relative_import":
        prefix = next((c for c in module.named_children if c.type == "import_prefix"), None)
        dots = len(text(prefix)) if prefix is not None else 0
        name = next((c for c in module.named_children if c.type == "dotted_name"), None)
        dotted = text(name) if name is not None else ""
    target = _python_module(path, dotted, dots, exists)
    for item in unit.children_by_field_name("name"):
        original = item.child_by_field_name("name") if item.type == "aliased_import" else item
        alias = item.child_by_field_name("alias") if item.type == "aliased_import" else item
        imported, local = text(original), text(alias)
        submodule = _python_module(path, f"{dotted}.{imported}" if dotted else imported, dots, exists)
        if submodule is not None:
            found.modules[local] = submodule
        elif target is not None:
            found.names[local] = (target, imported)


def _python_import(unit: Node, path: Path, found: FileImports, exists: Exists) -> None:
    for item in unit.children_by_field_name("name"):
        original = item.child_by_field_name("name") if item.type == "aliased_import" else item
        alias = item.child_by_field_name("alias") if item.type == "aliased_import" else None
        target = _python_module(path, text(original), 0, exists)
        if target is not None:
            found.modules[text(alias) if alias is not None else text(original)] = target


# --- JavaScript / TypeScript --------------------------------------------------------------------


def _javascript_module(path: Path, spec: str, exists: Exists) -> Path | None:
    if not spec.startswith("."):
        return None  # a package from node_modules: not the project's code
    base = path.parent / spec
    for suffix in _JS_SUFFIXES:
        candidate = Path(str(base) + suffix)
        if exists(candidate):
            return candidate
    return None


def _javascript(unit: Node, path: Path, found: FileImports, exists: Exists) -> None:
    if unit.type == "import_statement":
        source = unit.child_by_field_name("source")
        target = _javascript_module(path, string_value(source) or "", exists) if source is not None else None
        if target is None:
            return
        for clause in unit.named_children:
            if clause.type != "import_clause":
                continue
            for part in clause.named_children:
                if part.type == "named_imports":
                    for spec in part.named_children:
                        name = text(spec.child_by_field_name("name"))
                        alias = spec.child_by_field_name("alias")
                        found.names[text(alias) if alias is not None else name] = (target, name)
                elif part.type == "namespace_import" and part.named_children:
                    found.modules[text(part.named_children[-1])] = target
                elif part.type == "identifier":
                    found.modules[text(part)] = target
        return
    if unit.type not in ("lexical_declaration", "variable_declaration"):
        return
    for declarator in unit.named_children:
        value = declarator.child_by_field_name("value")
        if value is None or value.type != "call_expression" or text(value.child_by_field_name("function")) != "require":
            continue
        arguments = value.child_by_field_name("arguments")
        first = arguments.named_children[0] if arguments is not None and arguments.named_children else None
        target = _javascript_module(path, string_value(first) or "", exists) if first is not None else None
        bound = declarator.child_by_field_name("name")
        if target is None or bound is None:
            continue
        if bound.type == "identifier":
            found.modules[text(bound)] = target
        elif bound.type == "object_pattern":
            for part in bound.named_children:
                if part.type == "shorthand_property_identifier_pattern":
                    found.names[text(part)] = (target, text(part))


# --- Java ---------------------------------------------------------------------------------------


def _java(root: Node, path: Path, found: FileImports) -> None:
    package = next((c for c in root.named_children if c.type == "package_declaration"), None)
    segments = text(package.named_children[0]).split(".") if package is not None and package.named_children else []
    source_root = path.parent
    for _ in segments:
        source_root = source_root.parent
    found.packages.append(path.parent)
    found.source_root = source_root
    for unit in root.named_children:
        if unit.type != "import_declaration" or not unit.named_children or "static" in text(unit).split():
            continue
        dotted = text(unit.named_children[0]).split(".")
        if any(c.type == "asterisk" for c in unit.children):
            found.packages.append(source_root.joinpath(*dotted))
        else:
            found.names[dotted[-1]] = (source_root.joinpath(*dotted[:-1], f"{dotted[-1]}.java"), dotted[-1])
