"""Finding and reading the files of a workspace: excludes, .gitignore, binary and size checks.

Shared by ``coderev scan`` and the language server's workspace scan. Reading a file never
raises for bad content: a binary, non-UTF-8 or oversized file becomes a :class:`Skip` with a
catalogued code, so one bad file never stops a scan. Only regular files are read, and never more
than the size limit: a ``*.py`` that is a FIFO, a device (``zero.py -> /dev/zero``) or a socket
is a skip (ANA011), not a scan that blocks or reads until memory runs out.
"""

from __future__ import annotations

import codecs
import os
import stat
import tokenize
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pathspec

from coderev.analyzers.config import DEFAULT_MAX_FILE_SIZE
from coderev.analyzers.errors import CoderevError
from coderev.analyzers.languages import is_text_scan_candidate, language_for_path

ALWAYS_SKIPPED = frozenset(
    {".git", ".hg", ".svn", "node_modules", "__pycache__", ".venv", "venv", ".tox", ".nox",
     ".mypy_cache", ".pytest_cache", ".ruff_cache", "site-packages", "dist-packages", ".eggs",
     "bower_components", "vendor", ".idea", ".vscode"}
)


@dataclass(frozen=True, slots=True)
class Skip:
    """A file that was not analyzed, and why: a catalogue code and a detail. Plain data, so it
    crosses process boundaries (``coderev scan``'s workers) as it is."""

    path: Path
    code: str
    detail: str

    @classmethod
    def of(cls, path: Path, code: str, detail: str) -> Skip:
        CoderevError(code, detail)  # an unknown code fails here, where it is made
        return cls(path, code, detail)

    @property
    def error(self) -> CoderevError:
        return CoderevError(self.code, self.detail)


def _is_virtualenv(directory: Path) -> bool:
    return (directory / "pyvenv.cfg").is_file()


class Excludes:
    """Exclude globs (gitignore syntax) plus every ``.gitignore`` met on the way down."""

    def __init__(self, root: Path, patterns: Iterable[str] = ()) -> None:
        self.root = root
        self._user = pathspec.GitIgnoreSpec.from_lines(list(patterns))
        self._ignores: dict[Path, pathspec.GitIgnoreSpec] = {}

    def _gitignore(self, directory: Path) -> pathspec.GitIgnoreSpec | None:
        if directory not in self._ignores:
            path = directory / ".gitignore"
            try:
                lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
            except OSError:
                lines = []
            self._ignores[directory] = pathspec.GitIgnoreSpec.from_lines(lines)
        spec = self._ignores[directory]
        return spec if spec.patterns else None

    def excluded(self, path: Path, is_dir: bool) -> bool:
        try:
            relative = path.relative_to(self.root)
        except ValueError:
            relative = Path(path.name)
        suffix = "/" if is_dir else ""
        if self._user.match_file(relative.as_posix() + suffix):
            return True
        for parent in (self.root, *(self.root / p for p in relative.parents[:-1][::-1])):
            spec = self._gitignore(parent)
            if spec is not None and spec.match_file(path.relative_to(parent).as_posix() + suffix):
                return True
        return False


def is_analyzable(path: Path) -> bool:
    """Source files of a supported language, and text files that may hold secrets."""
    return language_for_path(path) is not None or is_text_scan_candidate(path)


def rebased(patterns: Iterable[str], top: Path, bases: Iterable[Path]) -> list[str]:
    """Exclude patterns for a walk of ``top``: each pattern as it is (relative to ``top``), plus,
    for a pattern written relative to one of ``bases`` (the current directory, the configuration
    file's folder) that names a path inside ``top``, the same pattern relative to ``top``. So
    ``coderev scan src --exclude src/gen/`` and ``--exclude gen/`` both skip ``src/gen``."""
    out = list(patterns)
    for base in bases:
        try:
            inside = top.resolve().relative_to(base.resolve()).as_posix()
        except ValueError:
            continue
        if inside == ".":
            continue
        for pattern in patterns:
            negated = pattern.startswith("!")
            body = pattern[negated:].lstrip("/")
            if body.startswith(inside + "/") and len(body) > len(inside) + 1:
                out.append(("!" if negated else "") + "/" + body[len(inside) + 1 :])
    return list(dict.fromkeys(out))


def iter_source_files(
    paths: Iterable[Path], exclude: Iterable[str] = (), *, all_text: bool = False,
    exclude_bases: Iterable[Path] = (),
) -> Iterator[Path]:
    """Files to analyze under ``paths`` in a stable order. Files named explicitly are always
    yielded; directories are walked, skipping VCS/dependency folders, virtualenvs, excludes and
    .gitignore'd paths. Only files :func:`is_analyzable` unless ``all_text``. Exclude patterns are
    relative to each walked directory, or to one of ``exclude_bases`` (:func:`rebased`)."""
    patterns = list(exclude)
    bases = list(exclude_bases)
    for top in paths:
        if top.is_file():
            yield top
            continue
        excludes = Excludes(top, rebased(patterns, top, bases))
        for current, dirnames, filenames in os.walk(top):
            here = Path(current)
            dirnames[:] = sorted(
                d for d in dirnames
                if d not in ALWAYS_SKIPPED
                and not _is_virtualenv(here / d)
                and not excludes.excluded(here / d, is_dir=True)
            )
            for name in sorted(filenames):
                path = here / name
                if (all_text or is_analyzable(path)) and not excludes.excluded(
                    path, is_dir=False
                ):
                    yield path


def read_source(path: Path, max_size: int = DEFAULT_MAX_FILE_SIZE) -> str | Skip:
    """The text of a regular file, or why it is skipped (not a regular file, binary, not UTF-8, too
    large, unreadable). Opens without blocking and reads at most ``max_size + 1`` bytes, so neither
    a FIFO nor a device nor a file that grows while it is read can stall or exhaust the reader."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    except PermissionError as exc:
        return Skip.of(path, "AUTH001", f"{path}: {exc.strerror}")
    except OSError as exc:
        return Skip.of(path, "DAT002", f"{path}: {exc.strerror or exc}")
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            return Skip.of(path, "ANA011", f"{path} is {_kind(mode)}, not a regular file")
        chunks: list[bytes] = []
        size = 0
        while size <= max_size:
            chunk = os.read(fd, min(1 << 20, max_size + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as exc:
        return Skip.of(path, "DAT002", f"{path}: {exc.strerror or exc}")
    finally:
        os.close(fd)
    if size > max_size:
        return Skip.of(path, "ANA005", f"{path} is over {max_size} bytes (the limit)")
    return decode_source(path, b"".join(chunks))


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"), (stat.S_ISDIR, "a directory")):
        if test(mode):
            return name
    return "a special file"


@dataclass(frozen=True, slots=True)
class Encoding:
    """How a source file's bytes map to its text: the codec and whether it starts with a UTF-8 BOM."""

    codec: str = "utf-8"
    bom: bool = False

    def encode(self, text: str) -> bytes:
        """The file's bytes for ``text``; raises UnicodeEncodeError if the codec cannot hold it."""
        return (codecs.BOM_UTF8 if self.bom else b"") + text.encode(self.codec)


def detect_encoding(path: Path, data: bytes) -> Encoding:
    """The encoding a reader of this file uses: for Python, the BOM or the PEP 263 declaration on
    line 1 or 2 (as the interpreter does, via :func:`tokenize.detect_encoding`); for other files
    UTF-8, with an optional BOM. Raises SyntaxError for an unknown or contradictory declaration."""
    if path.suffix in {".py", ".pyi", ".pyw"}:
        lines = iter(data.splitlines(keepends=True)[:2])
        codec, _ = tokenize.detect_encoding(lambda: next(lines, b""))
        if codec == "utf-8-sig":
            return Encoding("utf-8", bom=True)
        return Encoding(codecs.lookup(codec).name)
    return Encoding("utf-8", bom=data.startswith(codecs.BOM_UTF8))


def decode_source(path: Path, data: bytes) -> str | Skip:
    """Decode file bytes as the file's reader would (:func:`detect_encoding`); binary content is a
    skip, not an error, and so is text that is not valid in its encoding."""
    decoded = decode_with_encoding(path, data)
    return decoded if isinstance(decoded, Skip) else decoded[0]


def decode_with_encoding(path: Path, data: bytes) -> tuple[str, Encoding] | Skip:
    """The text of ``data`` and the :class:`Encoding` that turns it back into the file's bytes."""
    if b"\0" in data[:8192]:
        return Skip.of(path, "ANA003", f"{path} looks binary (contains NUL bytes)")
    try:
        encoding = detect_encoding(path, data)
    except SyntaxError as exc:
        return Skip.of(path, "ANA004", f"{path}: {exc.msg}")
    body = data[len(codecs.BOM_UTF8):] if encoding.bom else data
    try:
        return body.decode(encoding.codec), encoding
    except UnicodeDecodeError as exc:
        offset = exc.start + (len(codecs.BOM_UTF8) if encoding.bom else 0)
        return Skip.of(path, "ANA004", f"{path}: invalid {encoding.codec} at byte {offset}")
