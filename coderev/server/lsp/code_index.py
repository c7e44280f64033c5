"""The workspace's code as the taint engine sees it from the editor: one analyzers ``Project``
per workspace folder, reading open documents from the editor's buffers (what the user typed, not
what is saved) and other files from disk; and which open documents depend on one that changed.

A unit of an open document records the functions of other files its taint questions were
answered with (``UnitCache`` entries' ``deps``). After a document changes, the open documents
that depend on it are analyzed again: their other units are reused, and the dependent units are
matched again only when the function they called changed (docs/taint.md).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from coderev.analyzers.project_files import Project
from coderev.server.lsp.documents import DocumentStore, OpenDocument


class CodeIndex:
    def __init__(self, documents: DocumentStore) -> None:
        self._documents = documents
        self._projects: dict[Path | None, Project] = {}
        self._lock = threading.Lock()
        self._notified: dict[str, int] = {}  # uri -> the version its dependents were last told of

    def project_for(self, root: Path | None) -> Project:
        with self._lock:
            project = self._projects.get(root)
            if project is None:
                project = self._projects[root] = Project(root, reader=self._reader(root))
            return project

    def _reader(self, root: Path | None) -> Callable[[Path], str | None]:
        def read(path: Path) -> str | None:
            for doc in self._documents:
                if doc.path == path and not doc.closed and doc.skip is None:
                    return doc.document.text
            return self.project_for(root).read_disk(path)

        return read

    def changed_on_disk(self, path: Path) -> None:
        """A watched file changed outside the editor: read it again next time."""
        with self._lock:
            projects = list(self._projects.values())
        for project in projects:
            project.forget(path)

    def closed(self, uri: str) -> None:
        self._notified.pop(uri, None)

    def dependents(self, changed: OpenDocument, version: int) -> list[OpenDocument]:
        """The other open documents with a unit whose findings used a function of ``changed``,
        once per version of ``changed`` (two documents that call each other do not ping-pong)."""
        if changed.path is None or self._notified.get(changed.uri) == version:
            return []
        self._notified[changed.uri] = version
        prefix = f"{changed.path}::"
        found = []
        for doc in self._documents:
            if doc is changed or doc.closed:
                continue
            entries = list(doc.cache.entries.values())
            if any(dep.startswith(prefix) for entry in entries for dep, _ in entry.deps):
                found.append(doc)
        return found
