"""Real code for training and evaluation (issue 20): functions people wrote, from package registries.

A pinned list of packages (name, version, license) is downloaded when a corpus is built, never
committed: Python wheels from the package index (their sources; unpacking a wheel runs nothing),
JavaScript tarballs from the npm registry (``npm pack``) and Go sources from Debian's
``golang-*-dev`` packages (``apt-get download``). Each file is cut into the units the editor sends
(:mod:`coderev.analyzers.review_units`). The split is by *package*: the held-out functions come from
packages training never saw.

The code is only read and parsed, never imported or run.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import subprocess
import sys
import tarfile
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from coderev.analyzers.document import Document
from coderev.analyzers.languages import language_for_path
from coderev.analyzers.review_units import review_units
from coderev.analyzers.workspace import iter_source_files, read_source
from coderev.engine.model.region import dedent

log = logging.getLogger("coderev.training")


@dataclass(frozen=True, slots=True)
class Package:
    ecosystem: str  # "pypi", "npm" or "debian"
    name: str
    version: str
    license: str

    @property
    def key(self) -> str:
        return f"{self.ecosystem}:{self.name}"


# What a corpus is built from. The held-out split is chosen by package (see ``split_of``).
PINNED: tuple[Package, ...] = (
    Package("pypi", "flask", "3.1.0", "BSD-3-Clause"),
    Package("pypi", "django", "5.1.4", "BSD-3-Clause"),
    Package("pypi", "requests", "2.32.3", "Apache-2.0"),
    Package("pypi", "werkzeug", "3.1.3", "BSD-3-Clause"),
    Package("pypi", "jinja2", "3.1.4", "BSD-3-Clause"),
    Package("pypi", "bottle", "0.13.2", "MIT"),
    Package("pypi", "httpx", "0.28.1", "BSD-3-Clause"),
    Package("pypi", "starlette", "0.41.3", "BSD-3-Clause"),
    Package("pypi", "fastapi", "0.115.6", "MIT"),
    Package("pypi", "sqlalchemy", "2.0.36", "MIT"),
    Package("pypi", "tornado", "6.4.2", "Apache-2.0"),
    Package("pypi", "scrapy", "2.12.0", "BSD-3-Clause"),
    Package("pypi", "celery", "5.4.0", "BSD-3-Clause"),
    Package("pypi", "sanic", "24.6.0", "MIT"),
    Package("pypi", "aiohttp", "3.11.10", "Apache-2.0"),
    Package("pypi", "paramiko", "3.5.0", "LGPL-2.1"),
    Package("pypi", "pyramid", "2.0.2", "BSD-derived (Repoze)"),
    Package("pypi", "falcon", "4.0.2", "Apache-2.0"),
    Package("npm", "express", "4.21.2", "MIT"),
    Package("npm", "koa", "2.15.3", "MIT"),
    Package("npm", "fastify", "5.2.0", "MIT"),
    Package("npm", "axios", "1.7.9", "MIT"),
    Package("npm", "socket.io", "4.8.1", "MIT"),
    Package("npm", "passport", "0.7.0", "MIT"),
    Package("npm", "mongoose", "8.9.0", "MIT"),
    Package("npm", "sequelize", "6.37.5", "MIT"),
    Package("npm", "ejs", "3.1.10", "Apache-2.0"),
    Package("npm", "multer", "1.4.5-lts.1", "MIT"),
    Package("npm", "body-parser", "1.20.3", "MIT"),
    Package("npm", "jsonwebtoken", "9.0.2", "MIT"),
    Package("debian", "golang-github-gin-gonic-gin-dev", "1.8.1-1", "MIT"),
    Package("debian", "golang-github-labstack-echo-dev", "4.2.1-3", "MIT"),
    Package("debian", "golang-github-gorilla-mux-dev", "1.8.0-1", "BSD-3-Clause"),
    Package("debian", "golang-github-go-chi-chi-dev", "5.0.7-1", "MIT"),
    Package("debian", "golang-github-jmoiron-sqlx-dev", "1.3.5-1", "MIT"),
    Package("debian", "golang-github-spf13-cobra-dev", "1.6.1-1", "Apache-2.0"),
)

HELD_OUT_SHARE = 0.3
MAX_LINE_LENGTH = 400  # a unit with a longer line is generated or minified code, not written by people


def _rank(package: Package) -> bytes:
    return hashlib.sha256(package.key.encode("utf-8")).digest()


def split_of(package: Package, packages: Iterable[Package] = PINNED) -> str:
    """``"test"`` for the ``HELD_OUT_SHARE`` of each ecosystem's packages (at least one) that come
    first by a hash of their name (stable across versions and machines), else ``"train"``."""
    same = sorted((p for p in {*packages, package} if p.ecosystem == package.ecosystem), key=_rank)
    held_out = max(1, round(HELD_OUT_SHARE * len(same)))
    return "test" if package in same[:held_out] else "train"


def _unpack(archive: Path, into: Path) -> None:
    if archive.suffix == ".deb":
        subprocess.run(["dpkg-deb", "-x", str(archive), str(into)], check=True, capture_output=True)
        return
    if archive.suffix == ".whl":
        with zipfile.ZipFile(archive) as wheel:
            wheel.extractall(into)  # noqa: S202 - zipfile drops absolute paths and ".." parts itself
        return
    with tarfile.open(archive) as tar:
        tar.extractall(into, filter="data")  # no links outside, no devices, no absolute paths


def _download(package: Package, into: Path) -> Path:
    into = into.resolve()  # the command runs in it
    into.mkdir(parents=True, exist_ok=True)
    if package.ecosystem == "pypi":
        # a wheel, not a source distribution: unpacking a wheel runs nothing (an sdist's build
        # backend would run to read its metadata)
        command = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary", ":all:",
                   "-d", str(into), f"{package.name}=={package.version}"]
    elif package.ecosystem == "npm":
        command = ["npm", "pack", "--silent", f"{package.name}@{package.version}"]
    elif package.ecosystem == "debian":
        command = ["apt-get", "download", "-q", f"{package.name}={package.version}"]
    else:
        raise ValueError(f"unknown ecosystem {package.ecosystem!r}")
    subprocess.run(command, cwd=into, check=True, capture_output=True, timeout=600)
    archives = sorted(p for p in into.iterdir() if p.is_file())
    if len(archives) != 1:
        raise RuntimeError(f"{package.key}: expected one archive, found {[p.name for p in archives]}")
    return archives[0]


_FETCH_ERRORS = (OSError, ValueError, subprocess.SubprocessError, RuntimeError, tarfile.TarError, zipfile.BadZipFile)


def fetch(cache: Path, packages: tuple[Package, ...] = PINNED) -> list[dict[str, str]]:
    """Download and unpack ``packages`` under ``cache`` (kept between runs); returns the corpus
    record (package, version, license, archive sha256, or the error that left it out), also
    written to ``cache/corpus.json``."""
    record: list[dict[str, str]] = []
    for package in packages:
        root = cache / package.ecosystem / f"{package.name}-{package.version}"
        entry = {**asdict(package), "split": split_of(package, packages)}
        done = root / ".sha256"
        try:
            if not done.is_file():
                shutil.rmtree(root, ignore_errors=True)
                archive = _download(package, root / "archive")
                _unpack(archive, root / "src")
                done.write_text(hashlib.sha256(archive.read_bytes()).hexdigest(), encoding="utf-8")
            entry["sha256"] = done.read_text(encoding="utf-8")
        except _FETCH_ERRORS as exc:
            log.warning("corpus: %s left out: %s", package.key, exc)
            entry["error"] = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        record.append(entry)
    cache.mkdir(parents=True, exist_ok=True)
    (cache / "corpus.json").write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    return record


@dataclass(frozen=True, slots=True)
class RealUnit:
    package: str  # Package.key
    path: str  # relative to the package's unpacked sources
    language: str
    start_row: int
    text: str


def units_of(package: str, root: Path, *, max_lines: int = 60) -> Iterator[RealUnit]:
    """The review units of the source files under ``root`` that look written by people (no line
    over ``MAX_LINE_LENGTH``), at most ``max_lines`` lines long."""
    for path in iter_source_files([root]):
        spec = language_for_path(path)
        if spec is None:
            continue
        text = read_source(path)
        if not isinstance(text, str):
            continue
        document = Document(text, spec)
        tree = document.tree
        if tree is None:
            continue
        source = document.source
        for node in review_units([tree.root_node], spec, max_lines):
            body = source[node.start_byte : node.end_byte].decode("utf-8", "replace")
            if node.has_error or max(map(len, body.splitlines()), default=0) > MAX_LINE_LENGTH:
                continue
            # continuation lines lose the indentation of the unit's first line (a callback starts
            # mid-line: the indentation of the line it starts on)
            line = source[source.rfind(b"\n", 0, node.start_byte) + 1 : node.start_byte]
            indent = line[: len(line) - len(line.lstrip())].decode("utf-8", "replace")
            yield RealUnit(package, path.relative_to(root).as_posix(), spec.id, node.start_point.row,
                           dedent(body, indent))


def corpus_units(cache: Path, packages: tuple[Package, ...] = PINNED) -> Iterator[tuple[str, RealUnit]]:
    """(split, unit) of every fetched package in ``cache``."""
    for package in packages:
        root = cache / package.ecosystem / f"{package.name}-{package.version}" / "src"
        if root.is_dir():
            split = split_of(package, packages)
            for unit in units_of(package.key, root):
                yield split, unit
