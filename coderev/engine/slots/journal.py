"""The slot store's two records of the roles, and the order in which they are written.

``history.jsonl`` is the source of truth: an append-only log, fsynced, in which one operation's
records go in one write (:mod:`coderev.engine.slots.state`). ``state.json`` is a cache of its
replay. A commit therefore runs, each step durable before the next:

1. the new ``state.json`` is written to a temporary and fsynced (``state-temp``);
2. the operation's records are appended to the history and fsynced: **the commit point**
   (``history-appended``);
3. the temporary is renamed over ``state.json`` and the directory fsynced (``state-replaced``).

A kill before 2 leaves the old history and the old cache (the temporary is removed on the next
open); a kill after 2 leaves the new history and, at worst, a cache one operation behind, which
the next reader sees differ from the replay and rewrites. ``state.json`` is never ahead of the
history, so a damaged or missing one is rebuilt to the true roles by replaying it.

Earlier versions of coderev wrote ``state.json`` first and the history after it, so a store they
left can hold one transition in ``state.json`` that its history lacks. The file ``format`` marks a
store written in this order; an unmarked store's ``state.json`` is taken over once
(:meth:`Ledger.needs_adoption`) and the difference recorded, then the store is marked.
"""

from __future__ import annotations

import json
from pathlib import Path

from coderev.analyzers.errors import CoderevError
from coderev.engine.slots.atomic import (
    append_lines,
    crash_point,
    json_bytes,
    prepare_atomic,
    publish_atomic,
    write_atomic,
)
from coderev.engine.slots.state import State, Transition, encode, parse_history, replay

FORMAT = "history-first 1\n"


class Ledger:
    """``state.json``, ``history.jsonl`` and ``format`` under ``root``. Not thread-safe: every
    call is made under the store's lock."""

    def __init__(self, root: Path) -> None:
        self.state_path = root / "state.json"
        self.history_path = root / "history.jsonl"
        self.format_path = root / "format"
        self._key: tuple[int, int, int] | None = None
        self._history: list[Transition] = []

    # -- reading -----------------------------------------------------------------------------------
    def history(self) -> list[Transition]:
        """The complete operations of the history, parsed again only when the file changed."""
        try:
            info = self.history_path.stat()
        except FileNotFoundError:
            self._key, self._history = None, []
            return []
        key = (info.st_ino, info.st_size, info.st_mtime_ns)
        if key != self._key:
            self._history = parse_history(self.history_path.read_text(encoding="utf-8", errors="replace"))
            self._key = key
        return list(self._history)

    def truth(self) -> State:
        """The roles the history leads to."""
        return replay(self.history())

    def cached(self) -> tuple[State | None, str | None]:
        """``state.json``'s roles, or None and what is wrong with it (None when it does not exist)."""
        try:
            raw = self.state_path.read_bytes()
        except FileNotFoundError:
            return None, None
        except OSError as exc:
            raise CoderevError("DAT004", f"cannot read {self.state_path}: {exc}") from exc
        try:
            return State.from_json(json.loads(raw)), None
        except ValueError as exc:
            return None, f"state.json is malformed ({exc})"

    def marked(self) -> bool:
        return self.format_path.is_file()

    def needs_adoption(self, cached: State | None, truth: State) -> bool:
        """Whether ``state.json`` holds roles to take over rather than to rebuild: when there is no
        history to rebuild it from, or when an earlier coderev wrote it (unmarked store) and it
        disagrees with the history in roles."""
        if cached is None or cached.empty():
            return False
        if not self.history():
            return True
        return not self.marked() and cached.roles() != truth.roles()

    # -- writing -----------------------------------------------------------------------------------
    def commit(self, state: State, transitions: list[Transition]) -> None:
        """Record ``transitions`` and cache ``state`` in the crash-safe order (module docstring).

        ``state`` must be exactly what the transitions make of the current history; anything else
        is a bug that would make the cache disagree with the log, so nothing is written then."""
        expected = self.truth()
        for transition in transitions:
            expected.apply(transition)
        if expected != state:
            raise CoderevError("SYS003", f"slot store: the transitions {[t.to_json() for t in transitions]} "
                                         f"lead to {expected.to_json()}, not to {state.to_json()}")
        tmp = prepare_atomic(self.state_path, json_bytes(state.to_json()))
        crash_point("state-temp")
        if transitions:
            append_lines(self.history_path, encode(transitions))
        crash_point("history-appended")
        publish_atomic(tmp, self.state_path)
        crash_point("state-replaced")

    def rewrite_cache(self, state: State) -> None:
        """Replace ``state.json`` by ``state`` (a replay of the history)."""
        write_atomic(self.state_path, json_bytes(state.to_json()))

    def mark(self) -> None:
        if not self.marked():
            write_atomic(self.format_path, FORMAT.encode("ascii"))
