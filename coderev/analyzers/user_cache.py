"""The user's coderev directories: the cache (``$CODEREV_CACHE_DIR``, else the platform's cache
folder) and the data directory (``$CODEREV_DATA_DIR``, else the platform's user data folder).

The cache holds what can be rebuilt: the feedback stores (:mod:`coderev.engine.feedback`) and the
parsed built-in rules (:mod:`coderev.analyzers.rule_cache`). The data directory holds what cannot:
the model slot store (:mod:`coderev.engine.slots`) and imported advisories
(:mod:`coderev.analyzers.deps.database`).
"""

from __future__ import annotations

import os
from pathlib import Path

CACHE_DIR_ENV = "CODEREV_CACHE_DIR"
DATA_DIR_ENV = "CODEREV_DATA_DIR"


def cache_root(override: str | Path | None = None) -> Path:
    """The base cache directory: ``override``, else ``$CODEREV_CACHE_DIR``, else the user's."""
    if override:
        return Path(override)
    env = os.environ.get(CACHE_DIR_ENV)
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_cache_dir("coderev"))


def data_root() -> Path:
    """The base data directory: ``$CODEREV_DATA_DIR``, else the user's data folder for coderev."""
    env = os.environ.get(DATA_DIR_ENV)
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_data_dir("coderev"))
