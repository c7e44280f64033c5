"""npm lock files: package-lock.json (and npm-shrinkwrap.json), yarn.lock, pnpm-lock.yaml.

Every installed package a lock file records is read with the version it resolved to; links,
workspaces and local folders (``link:``, ``file:``, ``workspace:``, ``portal:``) are the project's
own code, not registry releases, and are left out. A lock file is never edited: its integrity
hashes must come from the package manager.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import yaml

from coderev.analyzers.deps.model import (
    Dependency,
    Found,
    Unreadable,
    first_line,
    json_field_after_key,
    line_spans,
    load_json,
)
from coderev.analyzers.deps.versions import Ecosystem

NPM = Ecosystem.NPM
_LOCAL = ("link:", "file:", "workspace:", "portal:", "git+", "git:", "github:", "http:", "https:")

try:
    _Loader: Any = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on how PyYAML was built
    _Loader = yaml.SafeLoader


def _name_of_path(path: str) -> str:
    """``node_modules/a/node_modules/@s/b`` is package ``@s/b``."""
    return path.rsplit("node_modules/", 1)[-1]


def package_lock(source: bytes) -> list[Dependency]:
    data = load_json(source)
    if not isinstance(data, dict):
        raise Unreadable("not a package-lock object")
    found = Found()
    packages = data.get("packages")
    if isinstance(packages, dict):  # lockfileVersion 2 and 3
        cursor = 0
        for path, entry in packages.items():
            if not path or "node_modules/" not in path or not isinstance(entry, dict) or entry.get("link"):
                continue
            version = entry.get("version")
            if not isinstance(version, str) or version.startswith(_LOCAL):
                continue
            span = json_field_after_key(source, path, "version", version, cursor)
            if span is not None:
                cursor = span[1]
                name = entry.get("name") if isinstance(entry.get("name"), str) else _name_of_path(path)
                found.add(Dependency(NPM, str(name), version, span))
        return found.items
    _legacy(source, data.get("dependencies"), found)  # lockfileVersion 1: nested "dependencies"
    return found.items


def _legacy(source: bytes, dependencies: Any, found: Found) -> None:
    """lockfileVersion 1: entries nested under ``dependencies``, walked in document order (an
    explicit stack of iterators: nesting is unbounded) so that each search starts where the
    previous entry's ended."""
    stack: list[Iterator[tuple[Any, Any]]] = [iter(dependencies.items())] if isinstance(dependencies, dict) else []
    cursor = 0
    while stack:
        item = next(stack[-1], None)
        if item is None:
            stack.pop()
            continue
        key, entry = item
        if not isinstance(entry, dict):
            continue
        name, version = key, entry.get("version")
        if isinstance(version, str) and not version.startswith(_LOCAL):
            if version.startswith("npm:") and "@" in version[5:]:  # an alias: "npm:real-name@1.2.3"
                name, version = version[4:].rsplit("@", 1)
            span = json_field_after_key(source, key, "version", entry["version"], cursor)
            if span is not None:
                cursor = span[1]
                found.add(Dependency(NPM, name, version, (span[1] - len(version), span[1])))
        if isinstance(entry.get("dependencies"), dict):
            stack.append(iter(entry["dependencies"].items()))


def _descriptor_name(descriptor: str) -> str:
    """``@babel/core@^7.0.0`` and ``lodash@npm:^4.17.0`` name ``@babel/core`` and ``lodash``."""
    descriptor = descriptor.strip().strip("\"'")
    at = descriptor.find("@", 1)
    return descriptor[:at] if at > 0 else descriptor


_YARN_VERSION = re.compile(rb'^\s+version:?\s+"?([^"\s]+)"?\s*$')


def yarn_lock(source: bytes) -> list[Dependency]:
    """yarn.lock, v1 (``version "1.2.3"``) and Berry (YAML, ``version: 1.2.3``): each entry is a
    header line of descriptors ending in ``:`` with its fields indented below."""
    found = Found()
    header: str | None = None
    for offset, line in line_spans(source):
        if not line.strip() or line.lstrip().startswith(b"#"):
            continue
        if not line[:1].isspace():
            text = line.decode("utf-8", "replace").rstrip()
            header = text[:-1] if text.endswith(":") and not text.startswith("__metadata") else None
            continue
        match = _YARN_VERSION.match(line)
        if header is None or match is None:
            continue
        descriptors = [d.strip().strip("\"'") for d in header.split(",")]
        header = None  # one version per entry
        if all(any(p in d for p in _LOCAL) for d in descriptors):
            continue
        version = match.group(1).decode()
        if not re.match(r"\d", version):  # 0.0.0-use.local and such
            continue
        found.add(Dependency(NPM, _descriptor_name(descriptors[0]), version,
                             (offset + match.start(1), offset + match.end(1))))
    return found.items


_PEERS = re.compile(r"(\(.*\)|_[^/]*@.*)$")  # v6/v9 "(react@18.2.0)"; v5 "_react@18.2.0"


def _pnpm_key(key: str) -> tuple[str, str] | None:
    """(name, version) of a ``packages:`` key: ``/lodash@4.17.21`` (v6), ``lodash@4.17.21``
    (v9), ``/lodash/4.17.21`` (v5), with a peer-dependency suffix or not."""
    key = _PEERS.sub("", key.strip()).lstrip("/")
    at = key.find("@", 1)
    if at > 0:
        name, version = key[:at], key[at + 1 :]
    else:
        name, _, version = key.rpartition("/")
    if not name or not version or not version[:1].isdigit():
        return None  # a tarball URL or a local folder
    return name, version


def pnpm_lock(source: bytes) -> list[Dependency]:
    try:
        data = yaml.load(source, Loader=_Loader)  # noqa: S506 - a safe loader (CSafeLoader or SafeLoader)
    except (yaml.YAMLError, RecursionError) as exc:
        raise Unreadable(f"not valid YAML ({first_line(exc)})") from exc
    packages = data.get("packages") if isinstance(data, dict) else None
    found, cursor = Found(), 0
    for key in packages if isinstance(packages, dict) else ():
        parsed = _pnpm_key(str(key))
        if parsed is None:
            continue
        name, version = parsed
        pattern = re.compile(rb"(?m)^[ \t]+['\"]?" + re.escape(str(key).encode()) + rb"['\"]?:")
        where = pattern.search(source, cursor) or pattern.search(source)  # keys come in document order
        if where is None:
            continue
        cursor = where.end()
        text = where.group(0)
        inside = text.find(version.encode(), text.find(name.encode()) + len(name))
        if inside == -1:
            continue
        start = where.start() + inside
        found.add(Dependency(NPM, name, version, (start, start + len(version.encode()))))
    return found.items
