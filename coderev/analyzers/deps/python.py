"""Python dependency files: requirements*.txt, pyproject.toml, poetry.lock, uv.lock, Pipfile.lock.

Only exact versions are checked: ``==`` / ``===`` pins (a requirement ``django>=3`` names no
version; its lock file does), Poetry's bare ``"2.2.0"`` (which means exactly that version), and
every version a lock file records. Local sources (editable installs, paths, VCS checkouts) are
not releases on the index and are left out.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator
from typing import Any

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

PYPI = Ecosystem.PYPI
_PIN = re.compile(
    rb"^\s*(?P<name>[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(?:\[[^\]]*\])?\s*"
    rb"(?:===|==)\s*(?P<version>[A-Za-z0-9][A-Za-z0-9.+!_-]*)\s*(?=$|;|\\|--|#)"
)
_TOML_PIN = re.compile(r"^\s*(?:===|==)\s*([A-Za-z0-9][A-Za-z0-9.+!_-]*)\s*$")
_BARE_VERSION = re.compile(r"^\s*\d[A-Za-z0-9.+!_-]*\s*$")  # Poetry: "2.2.0" means ==2.2.0


def _logical_lines(source: bytes) -> Iterator[tuple[int, bytes, bytes]]:
    """(offset, first physical line, whole logical line) of a requirements file: a line ending
    in a backslash continues on the next one (pip-compile puts --hash options there)."""
    lines = line_spans(source)
    i = 0
    while i < len(lines):
        offset, first = lines[i]
        whole = first
        while whole.rstrip().endswith(b"\\") and i + 1 < len(lines):
            i += 1
            whole = whole.rstrip()[:-1] + b" " + lines[i][1]
        yield offset, first, whole
        i += 1


def requirements(source: bytes) -> list[Dependency]:
    found = Found()
    for offset, first, whole in _logical_lines(source):
        if first.lstrip().startswith((b"#", b"-")):  # comments and options (-r, -e, --index-url ...)
            continue
        match = _PIN.match(first)
        if match is None or b"*" in match.group("version"):
            continue
        start, end = offset + match.start("version"), offset + match.end("version")
        hashed = b"--hash" in whole  # a bump would need new hashes: pip-compile --generate-hashes writes them
        found.add(Dependency(PYPI, match.group("name").decode(), match.group("version").decode(), (start, end),
                             None if hashed else (start, end)))
    return found.items


def _toml(source: bytes) -> dict[str, Any]:
    try:
        return tomllib.loads(source.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, RecursionError) as exc:
        raise Unreadable(f"not valid TOML ({first_line(exc)})") from exc


def _string_literals(source: bytes, value: str, used: set[int]) -> Iterator[int]:
    """Offsets of the contents of TOML string literals equal to ``value``, not yet used."""
    for quote in (b'"', b"'"):
        needle = quote + value.encode() + quote
        position = source.find(needle)
        while position != -1:
            if position + 1 not in used:
                yield position + 1
            position = source.find(needle, position + 1)


def _pep508(source: bytes, text: str, used: set[int], found: Found) -> None:
    from packaging.requirements import InvalidRequirement, Requirement

    try:
        requirement = Requirement(text)
    except InvalidRequirement:
        return
    specs = list(requirement.specifier)
    if requirement.url or len(specs) != 1 or specs[0].operator not in ("==", "===") or "*" in specs[0].version:
        return
    for start in _string_literals(source, text, used):
        match = re.search(r"(?:===|==)\s*(" + re.escape(specs[0].version) + r")", text)
        if match is None:
            return
        used.add(start)
        begin = start + len(text[: match.start(1)].encode())
        span = (begin, begin + len(match.group(1).encode()))
        found.add(Dependency(PYPI, requirement.name, specs[0].version, span, span))
        return


def _poetry_version(value: Any) -> str | None:
    if isinstance(value, dict):
        value = value.get("version")
    if not isinstance(value, str):
        return None
    pin = _TOML_PIN.match(value)
    if pin:
        return pin.group(1)
    return value.strip() if _BARE_VERSION.match(value) and "*" not in value else None


def _poetry(source: bytes, name: str, value: Any, used: set[int], found: Found) -> None:
    version = _poetry_version(value)
    if version is None or name.lower() == "python":
        return
    key = re.compile(rb"(?m)^[ \t]*[\"']?" + re.escape(name.encode()) + rb"[\"']?[ \t]*=")
    for match in key.finditer(source):
        line_end = source.find(b"\n", match.end())
        line_end = len(source) if line_end == -1 else line_end
        literal = re.compile(rb"[\"'](?:===|==)?\s*(" + re.escape(version.encode()) + rb")\s*[\"']")
        hit = literal.search(source, match.end(), line_end)
        if hit is not None and hit.start(1) not in used:
            used.add(hit.start(1))
            found.add(Dependency(PYPI, name, version, (hit.start(1), hit.end(1)), (hit.start(1), hit.end(1))))
            return


def _table(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _array(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def pyproject(source: bytes) -> list[Dependency]:
    """[project] dependencies and optional-dependencies, [dependency-groups] (PEP 735) and
    Poetry's dependency tables (main, dev, groups)."""
    data = _table(_toml(source))
    found, used = Found(), set[int]()
    project = _table(data.get("project"))
    strings = _array(project.get("dependencies"))
    for extra in _table(project.get("optional-dependencies")).values():
        strings += _array(extra)
    for group in _table(data.get("dependency-groups")).values():
        strings += _array(group)
    for text in strings:
        if isinstance(text, str):
            _pep508(source, text, used, found)
    poetry = _table(_table(data.get("tool")).get("poetry"))
    tables = [_table(poetry.get("dependencies")), _table(poetry.get("dev-dependencies"))]
    tables += [_table(_table(g).get("dependencies")) for g in _table(poetry.get("group")).values()]
    for table in tables:
        for name, value in table.items():
            _poetry(source, str(name), value, used, found)
    return found.items


_PACKAGE = re.compile(rb"(?m)^\[\[package\]\][ \t]*\r?$")
_VERSION_KEY = re.compile(rb"(?m)^version[ \t]*=[ \t]*[\"']([^\"'\n]*)[\"']")
_LOCAL = {"editable", "virtual", "directory", "path", "file", "git", "url"}


def _toml_lock(source: bytes) -> list[Dependency]:
    """poetry.lock and uv.lock: one ``[[package]]`` table per installed package, whose ``name``
    and ``version`` keys come first, before its sub-tables."""
    data = _toml(source)
    packages = data.get("package") or []
    headers = [m.end() for m in _PACKAGE.finditer(source)] + [len(source)]
    found = Found()
    for index, package in enumerate(packages if isinstance(packages, list) else []):
        if not isinstance(package, dict) or not isinstance(package.get("version"), str):
            continue
        source_info = package.get("source")
        kind = source_info.get("type") if isinstance(source_info, dict) else None
        if isinstance(source_info, dict) and (set(source_info) & _LOCAL or kind in _LOCAL):
            continue
        if index + 1 >= len(headers):
            break
        block = _VERSION_KEY.search(source, headers[index], headers[index + 1])
        if block is None or block.group(1).decode() != package["version"]:
            continue
        span = (block.start(1), block.end(1))
        found.add(Dependency(PYPI, str(package.get("name", "")), package["version"], span))
    return found.items


def poetry_lock(source: bytes) -> list[Dependency]:
    return _toml_lock(source)


def uv_lock(source: bytes) -> list[Dependency]:
    return _toml_lock(source)


def pipfile_lock(source: bytes) -> list[Dependency]:
    data = load_json(source)
    found, cursor = Found(), 0
    for section in ("default", "develop"):
        entries = data.get(section) if isinstance(data, dict) else None
        for name, entry in (entries or {}).items() if isinstance(entries, dict) else ():
            pin = _TOML_PIN.match(entry.get("version", "")) if isinstance(entry, dict) else None
            if pin is None:
                continue
            span = json_field_after_key(source, name, "version", entry["version"], cursor)
            if span is not None:
                cursor = span[1]
                start = span[0] + entry["version"].index(pin.group(1))
                found.add(Dependency(PYPI, name, pin.group(1), (start, start + len(pin.group(1)))))
    return found.items
