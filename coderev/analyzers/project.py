"""Calls of the project's own functions, for the taint engine's cross-unit and cross-file
questions. The files come from a :class:`~coderev.analyzers.project_files.Project`; a
:class:`FileResolver` answers, for one analyzed file, the calls the engine asks about:

- ``helper(x)``: a function defined at the top level of this file (another unit), or imported
  (``from app.util import helper``, ``import { helper } from './util'``);
- ``mod.helper(x)``: a function of an imported module (``import app.util as mod``,
  ``const mod = require('./util')``);
- ``obj.method(x)``: a method of the class of ``obj``, known from a declaration
  (``SeparateClassRequest scr = ...`` in Java), a construction (``obj = Wrapper(request)``,
  ``new Wrapper(req)``) or a summarized function that returns an instance (``wrap(request)``);
  the class is defined in this file or imported (Java: same package or ``import``).

Every answer is recorded with the digest of the text it came from (:attr:`FileResolver.deps`),
so a cached unit is reused only while the functions it called are unchanged
(ARCHITECTURE.md, invariant 3). Workspace code is only read and parsed, never run.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from coderev.analyzers.finding import TraceStep
from coderev.analyzers.imports import FileImports, file_imports
from coderev.analyzers.project_files import Parsed, Project, function_digest, own_digests, unit_definitions
from coderev.analyzers.taint.containers import Steps
from coderev.analyzers.taint.helpers import extend
from coderev.analyzers.taint.scopes import Context, declared_types, scopes_around
from coderev.analyzers.taint.summaries import Summary, summary_of
from coderev.analyzers.taint.syntax import Node, callee, text

_MAX_CHAIN = 4  # receivers followed back through calls and bindings
_WHITESPACE = re.compile(r"\s+")
_SCOPED = frozenset({"scoped_identifier", "scoped_type_identifier", "member_expression", "attribute"})


@dataclass(slots=True)
class _Target:
    parsed: Parsed | None  # None: the analyzed file itself
    name: str  # "f" or "Class.method"


class FileResolver:
    """Answers the engine's calls for one analyzed file (see the module docstring)."""

    def __init__(self, project: Project, path: Path, root: Node, source: bytes, language: str) -> None:
        self.project = project
        self.path = path
        self.language = language
        self.source = source
        self._root = root
        self._functions: _OwnFunctions | None = None
        self._imports: FileImports | None = None
        self.deps: dict[str, str] = {}  # "path::name" -> digest of the function's text ("" none)
        self._answers: dict[tuple[str, str], Summary | None] = {}
        self._digests: dict[tuple[str, str], str] = {}
        self._current: dict[str, str] = {}
        self._bindings: dict[tuple[int, int], dict[str, list[tuple[int, Node]]]] = {}
        self._local: dict[tuple[int, int], FileImports] = {}
        self._homes: dict[int, Parsed | None] = {}  # a summary's file (None: this one), by id
        self._own: dict[str, str] | None = None  # this file's function digests (for validation)
        # the analyzer's (unit, key of its text) for this run; keys make own_digests a lookup
        self.units: Sequence[tuple[Node, Hashable]] = ()
        self.unit_memo: dict[tuple[int, int], dict[str, list[Node]]] = {}  # see Resolver.unit_memo

    @property
    def functions(self) -> _OwnFunctions:
        """This file's functions by name, found through the analyzer's unit keys: the names each
        unit defines are cached by its text, so a keystroke does not walk every class again."""
        if self._functions is None:  # on the first question: most runs ask none
            units = self.units or [(u, self.source[u.start_byte : u.end_byte]) for u in self._root.named_children]
            self._functions = _OwnFunctions(units, self.language)
        return self._functions

    @property
    def imports(self) -> FileImports:
        if self._imports is None:
            self._imports = self.project.imports(self._root, self.language, self.path)
        return self._imports

    # --- what the engine asks -------------------------------------------------------------------

    def answer(self, call: Node, ctx: Context, reads: Callable[[Node], Steps | None]) -> Steps | Literal[False] | None:
        summary = self._summary_for(call, ctx)
        if summary is None:
            return False
        name = summary.name
        if summary.source and "request" in ctx.classes:  # a summary traces request sources only
            return extend(summary.source, (f"returned by {name}()", call))
        arguments = call.child_by_field_name("arguments")
        args = [a for a in (arguments.named_children if arguments is not None else [])
                if a.type not in ctx.syntax.comments and a.type != "keyword_argument"]
        for index in sorted(summary.passes):
            if index < len(args):
                found = reads(args[index])
                if found:
                    label = f"passed through {name}()"
                    inside = TraceStep(label, summary.span.span, summary.span.path) if summary.span else call
                    return extend(found, (label, inside))
        return None

    def _summary_for(self, call: Node, ctx: Context, depth: int = 0) -> Summary | None:
        name, _, receiver = callee(call)
        if not name or depth > _MAX_CHAIN:
            return None
        if receiver is None:
            if name not in self.functions and name not in self.imports.names:
                local = self._local_imports(call, ctx)  # only now: it walks up to the function
                imported = local.names.get(name) if local is not None else None
                if imported is not None:
                    return self._lookup(_Target(self.project.parsed(imported[0]), imported[1] or name))
            return self._lookup(self._function_target(name))
        owner = self._class_of(receiver, call, ctx, depth)
        if owner is None and receiver.type in ctx.syntax.names | ctx.syntax.paths | _SCOPED:
            written = _WHITESPACE.sub("", text(receiver))
            if written.rsplit(".", 1)[-1][:1].isupper():  # Helper.method(x), a.b.Helper.method(x)
                owner = self._class_target(written)
        if owner is not None:
            return self._lookup(_Target(owner.parsed, f"{owner.name}.{name}"))
        module = self.imports.modules.get(text(receiver))
        if module is None and receiver.type in ctx.syntax.paths | ctx.syntax.names:
            local = self._local_imports(call, ctx)
            module = local.modules.get(text(receiver)) if local is not None else None
        if module is not None:
            return self._lookup(_Target(self.project.parsed(module), name))
        return None

    def _local_imports(self, call: Node, ctx: Context) -> FileImports | None:
        """Imports inside the functions around ``call`` (Python code often imports a helper
        module in the function that uses it)."""
        if self.language != "python":
            return None
        scopes = scopes_around(call, ctx)
        if not scopes:
            return None
        key = (scopes[-1].start_byte, scopes[-1].end_byte)
        if key not in self._local:
            merged = FileImports()
            for scope in scopes:
                body = scope.child_by_field_name("body")
                if body is not None and any("import" in c.type for c in body.named_children):
                    found = file_imports(body, self.language, self.path, self.project.exists)
                    merged.names.update(found.names)
                    merged.modules.update(found.modules)
            self._local[key] = merged
        return self._local[key]

    # --- resolution ------------------------------------------------------------------------------

    def _function_target(self, name: str) -> _Target:
        if name in self.functions:
            return _Target(None, name)
        imported = self.imports.names.get(name)
        if imported is not None:
            path, original = imported
            return _Target(self.project.parsed(path), original or name)
        return _Target(None, name)

    def _class_target(self, written: str, home: Parsed | None = None) -> _Target | None:
        """Where the class written ``written`` (``Helper`` or ``a.b.Helper``) is defined: ``home``
        (the file of the function that built it), this file, a file this one imports it from, or
        (Java) the file its qualified name names."""
        name = written.rsplit(".", 1)[-1]
        if "." in written:
            for candidate in self.imports.classes(written):
                parsed = self.project.parsed(candidate)
                if parsed is not None and name in parsed.functions:
                    return _Target(parsed, name)
        if home is not None and name in home.functions:
            return _Target(home, name)
        if name in self.functions:
            return _Target(None, name)
        imported = self.imports.names.get(name)
        if imported is not None:
            return _Target(self.project.parsed(imported[0]), imported[1] or name)
        for candidate in self.imports.classes(name):  # Java: the same package, `import a.b.*`
            parsed = self.project.parsed(candidate)
            if parsed is not None and name in parsed.functions:
                return _Target(parsed, name)
        return None

    def _class_of(self, receiver: Node, call: Node, ctx: Context, depth: int) -> _Target | None:
        """The class of a method call's receiver, when the file says which (a chain of calls is
        followed a few links back, never the length of a builder chain)."""
        if receiver.type in ctx.syntax.calls:
            built = _constructed(receiver)
            if built:
                return self._class_target(built)
            made = self._summary_for(receiver, ctx, depth + 1)  # wrap(request).query(...)
            if made is None or not made.returns_class:
                return None
            return self._class_target(made.returns_class, self._homes.get(id(made)))
        if receiver.type not in ctx.syntax.names:
            return None
        name = text(receiver)
        scopes = scopes_around(call, ctx)
        if scopes:
            declared = declared_types(scopes[0], ctx.syntax).get(name)
            if declared:
                return self._class_target(_WHITESPACE.sub("", declared.split("<", 1)[0]))
            value = self._last_binding(scopes[-1], name, call, ctx)
            if value is not None and value.type in ctx.syntax.calls:
                return self._class_of(value, call, ctx, depth + 1)
        return None

    def _last_binding(self, scope: Node, name: str, before: Node, ctx: Context) -> Node | None:
        """The value last bound to ``name`` in ``scope`` before ``before`` (the scope's single
        bindings are collected once per run)."""
        key = (scope.start_byte, scope.end_byte)
        bindings = self._bindings.get(key)
        if bindings is None:
            bindings = self._bindings[key] = _single_bindings(scope, ctx)
        found = None
        for start, value in bindings.get(name, ()):
            if start >= before.start_byte:
                break
            found = value
        return found

    def _lookup(self, target: _Target) -> Summary | None:
        parsed = target.parsed
        key = (str(parsed.path) if parsed is not None else "", target.name)
        dep = f"{key[0]}::{target.name}"
        if key in self._answers:
            self.deps[dep] = self._digests[key]
            return self._answers[key]
        if parsed is None:
            node, path, language = self.functions.get(target.name), self.path, self.language
        else:
            node, path, language = parsed.functions.get(target.name), parsed.path, parsed.language.id
        summary = None
        digest = function_digest(node, self.source if parsed is None else parsed.source, language)
        if node is not None and digest:
            shown = "" if parsed is None else self.project.relative(path)
            summary = summary_of(node, language, shown, digest)
        self.deps[dep] = self._digests[key] = digest
        self._answers[key] = summary
        if summary is not None:
            self._homes[id(summary)] = parsed
        return summary

    def current(self, dep: str) -> str:
        """The digest a dependency recorded by an earlier run has now ("" when it is gone)."""
        found = self._current.get(dep)
        if found is None:
            found = self._current[dep] = self._digest_now(dep)
        return found

    def _digest_now(self, dep: str) -> str:
        path, _, name = dep.partition("::")
        if not path:
            if self._own is None:
                units = self.units or [(u, self.source[u.start_byte : u.end_byte]) for u in self._root.named_children]
                self._own = own_digests(units, self.source, self.language)
            return self._own.get(name, "")
        parsed = self.project.parsed(Path(path))
        if parsed is None:
            return ""
        return function_digest(parsed.functions.get(name), parsed.source, parsed.language.id)


_UNIT_NAMES: dict[tuple[str, Hashable], tuple[str, ...]] = {}


class _OwnFunctions:
    """``name in functions`` and ``functions.get(name)`` over a file's units, where each unit's
    names are remembered by its key and only the unit that defines a name is walked."""

    def __init__(self, units: Sequence[tuple[Node, Hashable]], language: str) -> None:
        self._language = language
        self._units: dict[str, Node] = {}
        for unit, key in units:
            names = _UNIT_NAMES.get((language, key))
            if names is None:
                if len(_UNIT_NAMES) > 16384:
                    _UNIT_NAMES.clear()
                names = _UNIT_NAMES[(language, key)] = tuple(n for n, _ in unit_definitions(unit, language))
            for name in names:
                self._units.setdefault(name, unit)

    def __contains__(self, name: object) -> bool:
        return name in self._units

    def get(self, name: str) -> Node | None:
        unit = self._units.get(name)
        if unit is None:
            return None
        return dict(unit_definitions(unit, self._language)).get(name)


def _constructed(call: Node) -> str:
    if call.type in ("new_expression", "object_creation_expression"):
        target = call.child_by_field_name("constructor") or call.child_by_field_name("type")
        return _WHITESPACE.sub("", text(target).split("<", 1)[0])
    name = callee(call)[0]
    return name if call.type == "call" and name[:1].isupper() else ""


def _single_bindings(scope: Node, ctx: Context) -> dict[str, list[tuple[int, Node]]]:
    """``name = value`` bindings of one name to one value in ``scope``, by name, in source order."""
    found: dict[str, list[tuple[int, Node]]] = {}
    stack = [scope]
    while stack:
        current = stack.pop()
        if current.type in ctx.syntax.bindings:
            target_field, value_field = ctx.syntax.bindings[current.type]
            targets = current.children_by_field_name(target_field)
            values = current.children_by_field_name(value_field)
            if len(targets) == 1 and len(values) == 1:
                found.setdefault(text(targets[0]), []).append((current.start_byte, values[0]))
        stack.extend(current.named_children)
    for entries in found.values():
        entries.sort(key=lambda entry: entry[0])
    return found

