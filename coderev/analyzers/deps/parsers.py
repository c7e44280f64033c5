"""One parser per kind of dependency file (see :mod:`coderev.analyzers.deps.files`)."""

from __future__ import annotations

from collections.abc import Callable

from coderev.analyzers.deps import jvm_go, npm, python
from coderev.analyzers.deps.files import Kind
from coderev.analyzers.deps.model import Dependency

PARSERS: dict[Kind, Callable[[bytes], list[Dependency]]] = {
    Kind.REQUIREMENTS: python.requirements,
    Kind.PYPROJECT: python.pyproject,
    Kind.POETRY_LOCK: python.poetry_lock,
    Kind.UV_LOCK: python.uv_lock,
    Kind.PIPFILE_LOCK: python.pipfile_lock,
    Kind.PACKAGE_LOCK: npm.package_lock,
    Kind.YARN_LOCK: npm.yarn_lock,
    Kind.PNPM_LOCK: npm.pnpm_lock,
    Kind.GO_MOD: jvm_go.go_mod,
    Kind.GO_SUM: jvm_go.go_sum,
    Kind.POM: jvm_go.pom,
    Kind.GRADLE_LOCK: jvm_go.gradle_lock,
}


def read_dependencies(kind: Kind, source: bytes) -> list[Dependency]:
    """The dependencies a file records; raises :class:`~coderev.analyzers.deps.model.Unreadable`
    when it is not valid for its kind."""
    return PARSERS[kind](source)
