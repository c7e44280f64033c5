"""The user's coderev cache directory: ``$CODEREV_CACHE_DIR``, else the platform's cache folder.

Everything coderev keeps between runs lives under it: the feedback stores
(:mod:`coderev.engine.feedback`) and the parsed built-in rules (:mod:`coderev.analyzers.rule_cache`).
"""

from __future__ import annotations

import os
from pathlib import Path

CACHE_DIR_ENV = "CODEREV_CACHE_DIR"


def cache_root(override: str | Path | None = None) -> Path:
    """The base cache directory: ``override``, else ``$CODEREV_CACHE_DIR``, else the user's."""
    if override:
        return Path(override)
    env = os.environ.get(CACHE_DIR_ENV)
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_cache_dir("coderev"))
