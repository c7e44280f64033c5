"""What compiling a rule's query tells the rule checks, remembered between runs.

Loading rules with their queries checked (``load_rules()``, as ``coderev scan`` does) compiles
each rule's query once per language it names, only to learn its capture names or its compile
error: about 1.6 s for the 152 built-in rules, of the 16 s a 1,250-file scan took (issue 18),
the same at every run, and before any worker starts. The answer depends only on the query text,
the grammar, the tree-sitter binding and Python (whose ``re`` compiles ``#match?``), so it is
kept in ``<cache>/queries/<key>.pickle``: the key hashes the binding's and each grammar's
compiled files (path, size, modification time) and the Python version, and each entry is keyed
by language and the query text itself. An edited rule is a new entry, a new grammar a new file:
never a stale answer. A cache that cannot be read or written is ignored (queries compile as
before); errors other than ``QueryError`` are never remembered.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import sys
import tempfile
import threading
from pathlib import Path

import tree_sitter

from coderev.analyzers.languages import LANGUAGES, LanguageSpec
from coderev.analyzers.user_cache import cache_root

log = logging.getLogger("coderev.rules")

FORMAT = 1  # bump when what is pickled changes shape
# (language id, sha256 of the query) -> the capture names, or the QueryError's message
_Entries = dict[tuple[str, str], frozenset[str] | str]

_lock = threading.Lock()
_entries: _Entries | None = None  # loaded on first use
_added = False  # entries computed since the file was read


def capture_names(language: LanguageSpec, query: str) -> frozenset[str]:
    """The capture names of ``query`` compiled for ``language``; raises ``tree_sitter.QueryError``
    (with the compiler's message) when it does not compile."""
    global _added
    key = (language.id, hashlib.sha256(query.encode("utf-8", "surrogatepass")).hexdigest())
    with _lock:
        known = _loaded().get(key)
    if known is None:
        try:
            compiled = tree_sitter.Query(language.grammar, query)
        except tree_sitter.QueryError as exc:
            known = str(exc)
        else:
            known = frozenset(compiled.capture_name(i) for i in range(compiled.capture_count))
        with _lock:
            _loaded()[key] = known
            _added = True
    if isinstance(known, str):
        raise tree_sitter.QueryError(known)
    return known


def save() -> None:
    """Write the entries computed since the cache was read (atomically; silent when the disk
    refuses: the next run compiles again)."""
    global _added
    with _lock:
        if not _added or _entries is None:
            return
        entries = dict(_entries)
        _added = False
    try:
        path = _path()
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".queries.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                pickle.dump((FORMAT, entries), handle, protocol=pickle.HIGHEST_PROTOCOL)
            Path(tmp).replace(path)
        finally:
            Path(tmp).unlink(missing_ok=True)
    except OSError as exc:
        log.debug("cannot write the query check cache: %r", exc)


def _loaded() -> _Entries:
    """The entries, read from disk on first use (the caller holds ``_lock``)."""
    global _entries
    if _entries is None:
        _entries = _read()
    return _entries


def _read() -> _Entries:
    try:
        with _path().open("rb") as handle:
            form, entries = pickle.load(handle)  # noqa: S301 - our own file, keyed to this build
        if form == FORMAT and isinstance(entries, dict):
            return entries
    except FileNotFoundError:
        pass
    except Exception as exc:  # a torn write, a cache from another build, an unreadable disk
        log.debug("ignoring the query check cache: %r", exc)
    return {}


def _path() -> Path:
    key = _environment_key()
    if key is None:
        raise OSError("the grammar files are unknown: no query check cache")
    return cache_root() / "queries" / f"{key}.pickle"


def _environment_key() -> str | None:
    """A hash of what compiling a query depends on besides its text: Python, and the compiled
    files of the tree-sitter binding and of every grammar (None when one cannot be found)."""
    digest = hashlib.sha256(f"{FORMAT}\0{sys.version}\0".encode())
    modules = [sys.modules.get("tree_sitter._binding")]
    modules += [getattr(spec._loader, "__self__", None) for spec in LANGUAGES]  # the grammar's extension
    for module in modules:
        try:
            path = Path(module.__file__)  # type: ignore[union-attr, arg-type]
            stat = path.stat()
        except (AttributeError, TypeError, OSError):
            return None
        digest.update(f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}\0".encode())
    return digest.hexdigest()[:32]
