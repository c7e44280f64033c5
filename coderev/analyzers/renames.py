"""Renamed settings: an old name keeps working for one version, with a warning naming the new one.

:data:`RENAMES` is the one table, in the editor's spelling (``engine.healthIntervalS``); the
project files (``.coderev.toml``, ``[tool.coderev]``) spell analysis settings in kebab-case, and
:func:`resolve` accepts either. From the version in ``renamed_in`` on, the old name is read as the
new one and reported as ``SYS012`` (a warning: the value is used); from ``removed_in`` on it is an
unknown setting (``SYS001``) whose message still names the new one. A test fails once the
package's version reaches an entry's ``removed_in``, so the table is pruned as releases go.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from typing import Final

from coderev.analyzers.errors import CoderevError


@dataclass(frozen=True, slots=True)
class Rename:
    old: str  # editor spelling: camelCase, dotted groups
    new: str
    renamed_in: str  # the coderev version that introduced ``new``
    removed_in: str  # the first version in which ``old`` no longer works


RENAMES: Final[tuple[Rename, ...]] = (
    # With `engine.url` the interval is how often the language server checks its engine, a local
    # worker or a shared one: it belongs to the engine group, not to the model's.
    Rename("model.healthIntervalS", "engine.healthIntervalS", "0.1.0", "0.2.0"),
)


def current_version() -> str:
    try:
        return version("coderev-lsp")
    except PackageNotFoundError:  # a source tree that was never installed
        return "0.0.0"


def version_key(text: str) -> tuple[int, ...]:
    """``"0.10.2"`` -> ``(0, 10, 2)`` (a pre-release suffix is ignored: ``1.0.0rc1`` is 1.0.0)."""
    return tuple(int(m) for m in re.findall(r"\d+", text.split("+", maxsplit=1)[0])[:3])


def _kebab(name: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"-\1", name).replace("_", "-").lower()


def resolve(key: str, *, now: str | None = None) -> tuple[str, CoderevError | None]:
    """The current name of ``key`` and what to tell the user about it.

    ``key`` in editor or kebab spelling; a name that was never renamed comes back unchanged with
    no error. A renamed one comes back as its new name (same spelling style) with a ``SYS012``
    warning, or, once its grace version is over, unchanged with a ``SYS001`` error."""
    kebab_key = _kebab(key)
    for rename in RENAMES:
        if key == rename.old or kebab_key == _kebab(rename.old):
            new = rename.new if key == rename.old else _kebab(rename.new)
            if version_key(now or current_version()) >= version_key(rename.removed_in):
                return key, CoderevError("SYS001", f"unknown setting '{key}': it was renamed to '{new}' in "
                                                   f"{rename.renamed_in} and stopped working in {rename.removed_in}")
            return new, CoderevError("SYS012", f"setting '{key}' is now '{new}' (renamed in {rename.renamed_in}); "
                                               f"the old name works until {rename.removed_in}")
    return key, None
