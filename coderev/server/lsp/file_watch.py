"""The server's own watch on configuration and rule files, for clients that cannot register file
watchers (no ``workspace.didChangeWatchedFiles.dynamicRegistration``: Neovim 0.7 to 0.9, many
small clients). Without it, an edit of ``.coderev.toml`` or of a rule file made outside the editor
(``git checkout``, another editor) would apply only after a restart.

Each workspace folder is watched for its own files only (``.coderev.toml`` and ``pyproject.toml``
are read from the folder itself, never from below it), and each rule directory recursively. A
change goes through the same path as a ``workspace/didChangeWatchedFiles`` notification
(:func:`coderev.server.lsp.configuration.files_changed`). The watches follow the folders and
settings: :meth:`ConfigWatch.update` after each reload restarts them when their paths changed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from coderev.server.lsp.log import ClientLog

POLL_MS = 1000  # how often a watch wakes without changes (its first wake-up says it is ready)


class ConfigWatch:
    def __init__(self, log: ClientLog, on_change: Callable[[list[Path]], None]) -> None:
        self._log = log
        self._on_change = on_change
        self._targets: tuple[tuple[Path, ...], tuple[Path, ...]] = ((), ())
        self._tasks: list[asyncio.Task[None]] = []
        self._stop: asyncio.Event | None = None

    def update(self, roots: list[Path], rule_dirs: list[Path]) -> None:
        """Watch these folders (their own files) and rule directories (recursively), from the
        event loop; nothing happens when they are the ones already watched."""
        folders = tuple(sorted({r for r in roots if r.is_dir()}))
        rules = tuple(sorted({d.resolve() for d in rule_dirs if d.is_dir()}))
        if (folders, rules) == self._targets:
            return
        self.stop()
        self._targets = (folders, rules)
        self._stop = asyncio.Event()
        for paths, recursive in ((folders, False), (rules, True)):
            if paths:
                self._tasks.append(asyncio.ensure_future(self._watch(paths, recursive, self._stop)))

    def stop(self) -> None:
        if self._stop is not None:
            self._stop.set()  # the watch thread sees it within one step; then its task ends
        self._tasks = []
        self._targets = ((), ())

    async def _watch(self, paths: tuple[Path, ...], recursive: bool, stop: asyncio.Event) -> None:
        import watchfiles

        what = "rule directories" if recursive else "workspace folders"
        ready = False
        try:
            async for changes in watchfiles.awatch(
                *paths, recursive=recursive, stop_event=stop, rust_timeout=POLL_MS, yield_on_timeout=True,
                watch_filter=None,
            ):
                if not changes:
                    if not ready:
                        ready = True
                        names = ", ".join(str(p) for p in paths)
                        self._log.info(f"watching the configuration files of the {what} {names} "
                                       "(the client does not register file watchers)")
                    continue
                self._on_change(sorted({Path(p) for _, p in changes}))
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a folder removed, the inotify limit: edits then apply after a restart
            self._log.warning(f"stopped watching the {what} {', '.join(map(str, paths))}: {exc}; configuration "
                              "changes made outside the editor apply after the server restarts")
