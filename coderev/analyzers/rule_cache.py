"""The built-in rules, parsed once and kept in the user's cache directory.

Parsing the 151 built-in YAML files and deriving each query's literal requirements
(:mod:`coderev.analyzers.triggers`) cost the language server about 100 ms of every start. The parsed
rules and requirements are pickled under ``<cache>/rules/<key>.pickle``, where the key hashes
the coderev source of the rule types, the Python version and the path, size and modification
time of every built-in rule file: editing a rule, upgrading coderev or moving the package makes
a new key, never a stale answer. A cache that cannot be read (corrupt, from an incompatible
build) or written (read-only disk) is ignored: the rules are then parsed as before.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import sys
import tempfile
from pathlib import Path
from typing import Any

from coderev.analyzers import triggers
from coderev.analyzers.user_cache import cache_root

log = logging.getLogger("coderev.rules")

FORMAT = 1  # bump when what is pickled changes shape


def cache_key(rule_dir: Path, files: list[Path]) -> str:
    digest = hashlib.sha256()
    source = Path(__file__).with_name("ruleset.py")  # the Rule types the pickle holds
    for part in (str(FORMAT), sys.version, str(rule_dir.resolve()), source.read_bytes().hex()):
        digest.update(part.encode() + b"\0")
    for path in files:
        stat = path.stat()
        digest.update(f"{path.relative_to(rule_dir)}\0{stat.st_size}\0{stat.st_mtime_ns}\0".encode())
    return digest.hexdigest()[:32]


def _path(rule_dir: Path, files: list[Path], cache_dir: Path | None) -> Path:
    return (cache_dir or cache_root()) / "rules" / f"{cache_key(rule_dir, files)}.pickle"


def read(rule_dir: Path, files: list[Path], cache_dir: Path | None = None) -> list[Any] | None:
    """The cached rules of ``files`` (and their query requirements, seeded into
    :mod:`coderev.analyzers.triggers`), or None when there is no usable cache."""
    try:
        path = _path(rule_dir, files, cache_dir)
        with path.open("rb") as handle:
            rules, known = pickle.load(handle)  # noqa: S301 - our own file, keyed to this build
    except FileNotFoundError:
        return None
    except Exception as exc:  # a cache from another build, a torn write, an unreadable disk
        log.debug("ignoring the rule cache: %r", exc)
        return None
    triggers.seed(known)
    return list(rules)


def write(rule_dir: Path, files: list[Path], rules: list[Any], cache_dir: Path | None = None) -> None:
    """Cache ``rules`` (parsed from ``files``) with their query requirements; atomic, and silent
    when the disk refuses (the next start parses again)."""
    known = {r.query: triggers.requirements(r.query) for r in rules if r.query}
    try:
        path = _path(rule_dir, files, cache_dir)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".rules.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                pickle.dump((rules, known), handle, protocol=pickle.HIGHEST_PROTOCOL)
            Path(tmp).replace(path)
        finally:
            Path(tmp).unlink(missing_ok=True)
    except OSError as exc:
        log.debug("cannot write the rule cache: %r", exc)
