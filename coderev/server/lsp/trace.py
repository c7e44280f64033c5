"""A data-flow finding's trace in the editor: ``Diagnostic.relatedInformation``, one location per
step (source first, sink last), for clients that accept it.

A step in the document itself is converted like the diagnostic's own range. A step in another
file (a helper defined there) names that file by a workspace-relative path, resolved against the
document's workspace folder, else the document's own folder; its columns are converted with that
file's text: the text the taint engine read (an open document's buffer), else the file on disk
read with the analyzers' bounded reader, once per conversion batch. When the file cannot be
read, the step points at its row, character 0 (UTF-8 clients need no text: their characters are
byte columns).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from lsprotocol import types
from pygls.uris import from_fs_path

from coderev.analyzers import Finding, PositionEncoding, Snapshot
from coderev.analyzers.finding import Span, TraceStep
from coderev.analyzers.text import LineIndex, byte_column_to_character
from coderev.analyzers.workspace import Skip, read_source
from coderev.server.lsp import convert
from coderev.server.traces import masked, secret_values


def client_accepts(capabilities: types.ClientCapabilities) -> bool:
    """Whether the client shows ``Diagnostic.relatedInformation``: ``textDocument.publishDiagnostics
    .relatedInformation`` (also what pulling clients such as Neovim declare), or the same flag of
    ``textDocument.diagnostic`` (LSP 3.18)."""
    text_document = capabilities.text_document
    if text_document is None:
        return False
    published, pulled = text_document.publish_diagnostics, text_document.diagnostic
    return bool(published is not None and published.related_information) or bool(
        pulled is not None and pulled.related_information
    )


class TraceContext:
    """What converting trace steps needs beside the finding and its snapshot: the document's URI,
    the folder other files resolve against (None: an untitled document, whose steps in other
    files are left out), the size limit of a read, the document's secrets (masked in labels),
    and optionally the text the engine analyzed another file with (None: read it from disk).
    Used by one thread for one batch of diagnostics."""

    def __init__(
        self,
        uri: str,
        base: Path | None,
        encoding: PositionEncoding,
        max_size: int,
        *,
        secrets: tuple[str, ...] = (),
        text_of: Callable[[Path], bytes | None] | None = None,
    ) -> None:
        self.uri = uri
        self.base = base
        self.encoding = encoding
        self.max_size = max_size
        self.secrets = secrets
        self._text_of = text_of
        self._files: dict[Path, LineIndex | None] = {}

    def related(self, finding: Finding, snapshot: Snapshot) -> list[types.DiagnosticRelatedInformation]:
        out = []
        for step in finding.trace:
            location = self.location(step, snapshot)
            if location is not None:
                message = masked(step.label, self.secrets)
                out.append(types.DiagnosticRelatedInformation(location=location, message=message))
        return out

    def location(self, step: TraceStep, snapshot: Snapshot) -> types.Location | None:
        if not step.path:
            return types.Location(uri=self.uri, range=convert.lsp_range(step.span, snapshot))
        path = Path(step.path)
        if not path.is_absolute():
            if self.base is None:
                return None
            path = self.base / path
        uri = from_fs_path(str(path)) or path.as_uri()
        return types.Location(uri=uri, range=self._range(path, step.span))

    def _range(self, path: Path, span: Span) -> types.Range:
        lines = None if self.encoding is PositionEncoding.UTF8 else self._lines(path)
        return types.Range(
            self._position(lines, span.start_row, span.start_col),
            self._position(lines, span.end_row, span.end_col),
        )

    def _position(self, lines: LineIndex | None, row: int, column: int) -> types.Position:
        if self.encoding is PositionEncoding.UTF8:
            return types.Position(row, column)
        if lines is None or row >= lines.line_count:
            return types.Position(row, 0)
        line = lines.line_bytes(row)
        return types.Position(row, byte_column_to_character(line, min(column, len(line)), self.encoding))

    def _lines(self, path: Path) -> LineIndex | None:
        if path not in self._files:
            data = self._text_of(path) if self._text_of is not None else None
            if data is None:
                text = read_source(path, self.max_size)
                data = None if isinstance(text, Skip) else text.encode("utf-8")
            self._files[path] = None if data is None else LineIndex(data)
        return self._files[path]


def context_for(
    uri: str,
    base: Path | None,
    snapshot: Snapshot,
    findings: Sequence[Finding],
    max_size: int,
    *,
    text_of: Callable[[Path], bytes | None] | None = None,
) -> TraceContext | None:
    """The context for converting ``findings`` of ``snapshot``; None when none has a trace."""
    if not any(f.trace for f in findings):
        return None
    secrets = secret_values(snapshot.source, (f.secret for f in findings if f.secret is not None))
    return TraceContext(uri, base, snapshot.encoding, max_size, secrets=secrets, text_of=text_of)
