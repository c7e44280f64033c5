"""Versions and names per ecosystem, from the libraries each ecosystem's rules are written in.

- PyPI: PEP 440 (``packaging``), names normalized as PEP 503 says;
- npm: Semantic Versioning 2.0 (``semver``), as npm orders versions;
- Go: Semantic Versioning with a ``v`` prefix (``semver``): pseudo-versions
  (``v0.0.0-20210101000000-abcdef123456``) are pre-releases and order by their timestamp, and
  ``+incompatible`` is build metadata, which precedence ignores;
- Maven: Maven's ``ComparableVersion`` order (``univers``' port): qualifiers alpha < beta <
  milestone < rc = cr < snapshot < "" = ga = final < sp, unknown qualifiers after those.

Parsing is cached: a lock file names the same versions over and over, and so do advisories.
"""

from __future__ import annotations

import re
from enum import StrEnum
from functools import lru_cache
from typing import Any, Protocol


class Ecosystem(StrEnum):
    """OSV's ecosystem names for the ecosystems coderev reads."""

    PYPI = "PyPI"
    NPM = "npm"
    GO = "Go"
    MAVEN = "Maven"


class Comparable(Protocol):
    def __lt__(self, other: Any, /) -> bool: ...
    def __le__(self, other: Any, /) -> bool: ...


class _Minimum:
    """OSV's ``introduced: "0"``: below every version of every ecosystem."""

    def __lt__(self, other: object) -> bool:
        return not isinstance(other, _Minimum)

    def __le__(self, other: object) -> bool:
        return True

    def __gt__(self, other: object) -> bool:
        return False

    def __ge__(self, other: object) -> bool:
        return isinstance(other, _Minimum)

    def __repr__(self) -> str:
        return "0"


MINIMUM = _Minimum()
_PEP503 = re.compile(r"[-_.]+")
# Maven's pre-release qualifiers, also the short forms before a number (1.0-a1, 2.0.M3, 3.0RC1)
_MAVEN_PRE = re.compile(r"(?i)(?:^|[.\-]|(?<=\d))(?:alpha|beta|milestone|rc|cr|snapshot|[abm](?=\d))")


def ecosystem_of(name: str) -> Ecosystem | None:
    """Our ecosystem for an OSV ``ecosystem`` value (``Maven``, ``PyPI``, ...); None for others
    (crates.io, Debian:12, ...). A ``:suffix`` (a registry or a release) is ignored."""
    try:
        return Ecosystem(name.split(":", 1)[0])
    except ValueError:
        return None


def normalize_name(ecosystem: Ecosystem, name: str) -> str:
    """The name a package is looked up by: PEP 503 for PyPI (``Django_Rest.framework`` is
    ``django-rest-framework``); Maven ``group:artifact``, npm and Go module paths are exact."""
    name = name.strip()
    if ecosystem is Ecosystem.PYPI:
        return _PEP503.sub("-", name).lower()
    return name


@lru_cache(maxsize=1 << 16)
def parse(ecosystem: Ecosystem, text: str, *, event: bool = True) -> Comparable | None:
    """``text`` as an orderable version of ``ecosystem``, or None when it is not a version there
    (a git URL, a range, a typo). In an OSV event (``event``), ``"0"`` means "since the first
    version"; as a package's version it is the release "0" (PyPI has a few)."""
    text = text.strip()
    if text == "0" and event:
        return MINIMUM
    if not text:
        return None
    try:
        if ecosystem is Ecosystem.PYPI:
            from packaging.version import InvalidVersion, Version

            try:
                return Version(text)
            except InvalidVersion:
                return None
        if ecosystem in (Ecosystem.NPM, Ecosystem.GO):
            import semver

            value = text[1:] if text[:1] in "vV" else text  # npm accepts v1.2.3 too
            return semver.Version.parse(value)
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._+\-]*", text):  # Maven: no ranges or properties
            return None
        from univers.versions import MavenVersion

        maven: Comparable = MavenVersion(text)
        return maven
    except (ValueError, TypeError):
        return None


def is_prerelease(ecosystem: Ecosystem, text: str) -> bool:
    """Whether ``text`` is a pre-release (1.0rc1, 1.0.0-beta.2, 2.0-SNAPSHOT, a Go pseudo-version)."""
    version = parse(ecosystem, text)
    if version is None or version is MINIMUM:
        return False
    if ecosystem is Ecosystem.PYPI:
        return bool(getattr(version, "is_prerelease", False))
    if ecosystem in (Ecosystem.NPM, Ecosystem.GO):
        return getattr(version, "prerelease", None) is not None
    return _MAVEN_PRE.search(text) is not None


def same_version(ecosystem: Ecosystem, a: str, b: str) -> bool:
    """Whether two spellings name one version (``1.0`` and ``1.0.0`` in PEP 440, ``v1.2.3`` and
    ``1.2.3`` in Go); unparsable versions are compared as text."""
    if a == b:
        return True
    left, right = parse(ecosystem, a), parse(ecosystem, b)
    return left is not None and right is not None and not left < right and not right < left
