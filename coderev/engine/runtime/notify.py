"""Who hears about the engine's status: listeners told of each change worth showing.

Split from :mod:`coderev.engine.runtime.engine` so the engine keeps to its threads and slots. A
change is worth telling when :meth:`EngineStatus.identity` differs from the last one told (mode,
slot, device, breaker, error); consecutive ``loading`` steps are told once.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from coderev.engine.runtime.api import EngineStatus

log = logging.getLogger("coderev.runtime")
Listener = Callable[[EngineStatus], None]


class StatusNotifier:
    """Calls each listener with the engine's status when something they show changed."""

    def __init__(self, status: Callable[[], EngineStatus], lock: threading.RLock) -> None:
        self._status = status
        self._lock = lock  # the engine's state lock, which also guards the listener list
        self._notify_lock = threading.RLock()  # a listener may cause another change
        self._listeners: list[Listener] = []
        self._last_identity: tuple[object, ...] | None = None

    def add(self, callback: Listener) -> None:
        with self._lock:
            self._listeners.append(callback)

    def changed(self) -> None:
        """Tell the listeners when something they show changed (serialized, outside the state lock)."""
        with self._notify_lock:
            status = self._status()
            previous = self._last_identity
            if status.identity() == previous or (status.mode == "loading" and previous and previous[0] == "loading"):
                return  # nothing new, or loading steps nobody needs to see one by one
            self._last_identity = status.identity()
            with self._lock:
                listeners = list(self._listeners)
            for listener in listeners:
                try:
                    listener(status)
                except Exception:
                    log.exception("a model status listener failed")
