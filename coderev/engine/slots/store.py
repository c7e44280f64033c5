"""The on-disk model slot store: which installed model is experimental (V1), in production (V2)
or quarantined (V3), and how slots move between those roles.

Layout under the root (``$CODEREV_DATA_DIR/slots`` or the platform's user data directory)::

    .lock            fcntl.flock'ed around every operation (two editor windows, two CLIs)
    history.jsonl    every transition, append-only: the source of truth
    state.json       {"V1": id|null, "V2": id|null, "V3": [ids], "good": [ids]}, a cache of its replay
    format           marks a store written history-first (:mod:`coderev.engine.slots.journal`)
    versions/<id>/   immutable verified slot copies (V3 ones read-only)

Every operation reads the roles under the lock (the replay of the history), computes the new
ones, and commits them (:class:`coderev.engine.slots.journal.Ledger`): the history append is the
commit point, ``state.json`` follows it. A crash before the append leaves the old roles (plus
leftovers that the next open removes), a crash after it the new ones. A damaged ``state.json`` is
rebuilt from the history; without any usable history, from ``versions/`` (``_recover``). The
design is recorded in docs/adr/0008-slot-store.md.
"""

from __future__ import annotations

import contextlib
import logging
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import coderev.engine.slots.versions as vs
from coderev.analyzers.errors import CoderevError
from coderev.analyzers.user_cache import data_root
from coderev.engine.model.manifest import verify_slot
from coderev.engine.slots.atomic import is_read_only, remove_tree, set_read_only
from coderev.engine.slots.defaults import outdated_default
from coderev.engine.slots.journal import Ledger
from coderev.engine.slots.lock import StoreLock, clean_scratch, scratch_dir
from coderev.engine.slots.state import State, Transition, adopt, valid_id

log = logging.getLogger("coderev.slots")


def default_store_root() -> Path:
    """``$CODEREV_DATA_DIR/slots`` when set, else ``<user data dir>/coderev/slots``."""
    return data_root() / "slots"


@dataclass(frozen=True)
class InstalledSlot:
    """One installed slot as the store sees it; ``role`` is "V1", "V2", "V3" or "" (none)."""

    id: str
    path: Path
    manifest: dict[str, Any]
    role: str


class SlotStore:
    """The slot store over ``root``. Safe to share between threads and between processes."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = Path(root) if root else default_store_root()
        self.versions = self.root / "versions"
        self._ledger = Ledger(self.root)
        self._lock = StoreLock(self.root / ".lock")
        try:
            self.versions.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise CoderevError("DAT004", f"cannot create the slot store {self.root}: {exc}") from exc
        with self._lock:
            self._open()

    # ----------------------------------------------------------------------------- reading
    def production(self) -> InstalledSlot | None:
        """The V2 slot (not verified here: ``load_production`` is what a server should call)."""
        with self._lock:
            state = self._state()
            return None if state.v2 is None else self._slot(state.v2, state)

    def experimental(self) -> InstalledSlot | None:
        with self._lock:
            state = self._state()
            return None if state.v1 is None else self._slot(state.v1, state)

    def quarantined(self) -> list[InstalledSlot]:
        with self._lock:
            state = self._state()
            return [self._slot(i, state) for i in state.v3]

    def all(self) -> list[InstalledSlot]:
        """V2, V1, then V3 oldest first, then any directory without a role (left by a process
        that crashed after copying and before committing; the next open removes it)."""
        with self._lock:
            state = self._state()
            held = state.ids()
            loose = [i for i in vs.installed_dirs(self.versions) if i not in held]
            return [self._slot(i, state) for i in held + loose]

    def history(self) -> list[Transition]:
        with self._lock:
            return self._ledger.history()

    # ----------------------------------------------------------------------------- changing
    def ensure_default(self) -> None:
        """On an empty store, install the packaged default slot as V2 (reason "bootstrap").

        A store emptied of a production slot by ``demote`` is not empty (its slots are in V3),
        so a deliberate rules-only state is kept. A production slot that is an earlier packaged
        default (left by a previous coderev, see ``_outdated_default``) is replaced by this one's
        (reason "upgrade"; the old one goes to V3 and stays a fallback when it still loads).
        """
        with self._lock:
            state = self._state()
            if state.empty():
                self._bootstrap(state)
            elif state.v2 is not None and outdated_default(self.versions / state.v2, self._ledger.history()):
                self._bootstrap(state, reason="upgrade")

    def install(self, source: Path, role: str = "V1", reason: str = "installed by user") -> InstalledSlot:
        """Copy the slot directory ``source`` into the store as ``role`` (V1 or V2).

        Its hashes are verified before anything changes (PRV002 / DAT003). The previous occupant
        of the role moves to V3. Installing a quarantined slot again repairs its copy.
        """
        if role not in ("V1", "V2"):
            raise CoderevError("SYS002", f"a slot is installed as V1 or V2, not {role!r}")
        source = Path(source)
        manifest = vs.check_source(source)
        new_id = vs.slot_id(manifest)
        with self._lock:
            state = self._state()
            current = state.role_of(new_id)
            if current == "V2" and role == "V1":
                raise CoderevError("SYS002", f"{new_id} is the production slot (V2); demote it before "
                                             "installing it as V1")
            self._guard(lambda: vs.materialize(self.versions, source, manifest))
            now = time.time()
            transitions = []
            occupant = state.v1 if role == "V1" else state.v2
            if occupant is not None and occupant != new_id:
                state.place(occupant, "V3", "supersede")
                transitions.append(Transition(now, "supersede", occupant, role, "V3", f"replaced by {new_id}"))
            state.place(new_id, role, "install")
            transitions.append(Transition(now, "install", new_id, current, role, reason))
            self._commit(state, transitions)
            return self._slot(new_id, state)

    def promote(self, reason: str) -> Transition:
        """V1 becomes V2; the old V2 goes to V3 but stays a fallback candidate ("good").

        A V1 that fails its hash check is quarantined instead (PRV002)."""
        with self._lock:
            state = self._state()
            if state.v1 is None:
                raise CoderevError("SYS002", "no experimental slot to promote (install one with "
                                             "`coderev model install DIR` or `coderev model import HF_DIR`)")
            new_id, old_id = state.v1, state.v2
            problem = vs.intact(self.versions / new_id)
            if problem is not None:
                self.quarantine(new_id, f"PRV004: failed its hash check before promotion: {problem}")
                raise CoderevError("PRV002", f"experimental slot {new_id} is corrupt and was quarantined: {problem}")
            now = time.time()
            transitions = []
            if old_id is not None:
                state.place(old_id, "V3", "supersede")
                transitions.append(Transition(now, "supersede", old_id, "V2", "V3", f"superseded by {new_id}"))
            state.place(new_id, "V2", "promote")
            promoted = Transition(now, "promote", new_id, "V1", "V2", reason)
            self._commit(state, [*transitions, promoted])
            return promoted

    def demote(self, reason: str) -> Transition:
        """V2 goes to V3 for good; the newest good slot that still verifies returns to V2, or
        there is no production slot (rules-only)."""
        with self._lock:
            state = self._state()
            if state.v2 is None:
                raise CoderevError("SYS002", "no production slot to demote (`coderev model list` shows the roles)")
            old_id = state.v2
            state.place(old_id, "V3", "demote")
            demoted = Transition(time.time(), "demote", old_id, "V2", "V3", reason)
            self._commit(state, [demoted, *self._fall_back(state, old_id)])
            return demoted

    def quarantine(self, slot_id: str, reason: str) -> Transition:
        """Any role -> V3 for a slot that is corrupt or does not load; a quarantined V2 is
        replaced as in ``demote``."""
        with self._lock:
            state = self._state()
            role = state.role_of(slot_id)
            if not role:
                raise CoderevError("SYS002", f"no installed slot {slot_id!r} (`coderev model list` shows them)")
            state.place(slot_id, "V3", "quarantine")
            moved = Transition(time.time(), "quarantine", slot_id, role, "V3", reason)
            log.warning("model slot %s quarantined: %s", slot_id, reason, extra={"code": "PRV004"})
            fallback = self._fall_back(state, slot_id) if role == "V2" else []
            self._commit(state, [moved, *fallback])
            return moved

    def verify(self, slot_id: str | None = None) -> dict[str, str]:
        """Check the hashes of one slot or of all; returns id -> "ok" or the problem.

        A corrupt V1 or V2 is quarantined (and a V2 replaced as in ``demote``)."""
        with self._lock:
            state = self._state()
            if slot_id is not None and not state.role_of(slot_id):
                raise CoderevError("SYS002", f"no installed slot {slot_id!r} (`coderev model list` shows them)")
            results: dict[str, str] = {}
            for checked in [slot_id] if slot_id is not None else state.ids():
                problem = vs.intact(self.versions / checked)
                results[checked] = "ok" if problem is None else problem
                if problem is not None and self._state().role_of(checked) in ("V1", "V2"):
                    self.quarantine(checked, f"PRV004: failed verification: {problem}")
            return results

    def load_production(self) -> InstalledSlot | None:
        """The production slot after a full hash check, or None for rules-only.

        A V2 that fails the check is quarantined and the fallback of ``demote`` is tried, until a
        slot verifies or none is left. The check runs under the lock so that a slot being
        repaired by another process is never mistaken for a corrupt one."""
        with self._lock:
            while True:
                state = self._state()
                if state.v2 is None:
                    return None
                slot = self._slot(state.v2, state)
                try:
                    return replace(slot, manifest=verify_slot(slot.path))
                except CoderevError as exc:
                    if exc.code not in ("PRV002", "DAT003"):
                        raise
                    self.quarantine(slot.id, f"PRV004: {exc.code} when loading: {exc.detail}")

    def scratch(self) -> contextlib.AbstractContextManager[Path]:
        """A work directory on the store's file system (``coderev model import`` converts into
        it); removed on exit, and by the next open if its process was killed."""
        return scratch_dir(self.root)

    # ----------------------------------------------------------------------------- internals
    def _guard(self, action: Any) -> Any:
        """Run a file-system step, turning OSError into DAT004."""
        try:
            return action()
        except OSError as exc:
            raise CoderevError("DAT004", f"slot store {self.root}: {exc}") from exc

    def _open(self) -> None:
        """Undo what a crashed process left: temporaries, uncommitted copies, permissions."""
        removed = self._guard(lambda: vs.clean_temporaries(self.versions) + clean_scratch(self.root))
        for leftover in [*self.root.glob(".state.json.tmp-*"), *self.root.glob(".format.tmp-*")]:
            self._guard(leftover.unlink)
        state = self._state()
        for orphan in [i for i in vs.installed_dirs(self.versions) if not state.role_of(i)]:
            log.info("removing %s: copied by an install that did not commit", orphan)
            self._guard(lambda o=orphan: remove_tree(self.versions / o))
        if removed:
            log.info("removed %d interrupted install(s) from %s", len(removed), self.versions)
        self._guard(lambda: self._apply_permissions(state))

    def _state(self) -> State:
        """The roles: the replay of the history, after repairing whatever a crash or damage left
        (a stale or malformed ``state.json``, an earlier coderev's store, vanished directories)."""
        ledger = self._ledger
        truth = ledger.truth()
        cached, problem = ledger.cached()
        if ledger.needs_adoption(cached, truth):
            assert cached is not None
            state = self._adopt(cached, truth)
        elif ledger.history():
            state = truth
            if cached != truth:
                why = problem or ("state.json is missing" if cached is None else "")
                if why:
                    log.warning("slot store %s: %s; rebuilt from history.jsonl", self.root, why,
                                extra={"code": "DAT004"})
                else:
                    log.info("slot store %s: state.json was behind history.jsonl (an interrupted commit); "
                             "rebuilt from history.jsonl", self.root)
                self._guard(lambda: ledger.rewrite_cache(truth))
        elif problem is not None and vs.installed_dirs(self.versions):
            state = self._recover(problem)
        else:
            state = State()
        if not ledger.marked():
            self._guard(ledger.mark)
        lost = [i for i in state.ids() if not (self.versions / i).is_dir()]
        if lost:
            now = time.time()
            transitions = [Transition(now, "lost", slot_id, state.place(slot_id, "", "lost"), "",
                                      "its directory under versions/ is gone") for slot_id in lost]
            log.warning("slot store %s: %s vanished from versions/", self.root, ", ".join(lost),
                        extra={"code": "DAT004"})
            self._commit(state, transitions)
        return state

    def _adopt(self, cached: State, truth: State) -> State:
        """Take over the roles of a ``state.json`` its history lacks, recording the difference."""
        reason = ("state.json held roles that history.jsonl lacks (a store left by an earlier coderev, "
                  "or a lost history); taken over")
        log.warning("slot store %s: %s", self.root, reason, extra={"code": "DAT004"})
        state = truth.copy()
        self._commit(state, adopt(state, cached, time.time(), reason))
        return state

    def _recover(self, problem: str) -> State:
        """Without a usable history: every copy in versions/ goes to V3 and the default is
        installed again as V2."""
        log.warning("slot store %s: %s; rebuilt from versions/ (no usable history)", self.root, problem,
                    extra={"code": "DAT004"})
        state, now = State(), time.time()
        transitions = []
        for slot_id in vs.installed_dirs(self.versions):
            state.place(slot_id, "V3", "recover")
            transitions.append(Transition(now, "recover", slot_id, "", "V3", f"{problem}; found in versions/"))
        self._commit(state, transitions)
        try:
            self._bootstrap(state)
        except CoderevError as exc:
            log.warning("cannot re-install the default slot: %s", exc, extra={"code": exc.code})
        return state

    def _bootstrap(self, state: State, reason: str = "bootstrap") -> None:
        from coderev.engine.model.slot import default_slot_path

        source = default_slot_path()
        manifest = vs.check_source(source)
        default_id = vs.slot_id(manifest)
        self._guard(lambda: vs.materialize(self.versions, source, manifest))
        transitions = []
        occupant = state.v2
        if occupant is not None and occupant != default_id:
            state.place(occupant, "V3", "supersede")
            transitions.append(Transition(time.time(), "supersede", occupant, "V2", "V3", f"replaced by {default_id}"))
        previous = state.place(default_id, "V2", "install")
        transitions.append(Transition(time.time(), "install", default_id, previous, "V2", reason))
        self._commit(state, transitions)

    def _fall_back(self, state: State, leaving: str) -> list[Transition]:
        """Put the newest good slot that verifies into the empty V2; candidates that fail their
        check are quarantined on the way. Returns the transitions (none: rules-only)."""
        transitions = []
        for candidate in reversed(list(state.good)):
            role = state.role_of(candidate)
            if candidate == leaving or role not in ("V3", ""):
                continue
            if not role:  # pragma: no cover - a slot leaves "good" when it loses its role
                continue
            problem = vs.intact(self.versions / candidate)
            now = time.time()
            if problem is None:
                state.place(candidate, "V2", "restore")
                transitions.append(Transition(now, "restore", candidate, role, "V2",
                                              f"newest good slot, replacing {leaving}"))
                return transitions
            state.place(candidate, "V3", "quarantine")
            transitions.append(Transition(now, "quarantine", candidate, role, "V3",
                                          f"PRV004: failed verification as a fallback: {problem}"))
        log.warning("no good slot to fall back on after %s: rules-only until a slot is installed", leaving)
        return transitions

    def _commit(self, state: State, transitions: list[Transition]) -> None:
        """Append the transitions to the history (the commit point), cache the state, then set
        the V3 permissions (``Ledger.commit``)."""
        def write() -> None:
            self._ledger.commit(state, transitions)
            self._apply_permissions(state)

        self._guard(write)

    def _apply_permissions(self, state: State) -> None:
        for slot_id in state.ids():
            path = self.versions / slot_id
            read_only = state.role_of(slot_id) == "V3"
            if path.is_dir() and is_read_only(path) != read_only:
                set_read_only(path, read_only)

    def _slot(self, slot_id: str, state: State) -> InstalledSlot:
        if not valid_id(slot_id):  # pragma: no cover - State.from_json rejects such ids
            raise CoderevError("DAT004", f"invalid slot id {slot_id!r}")
        path = self.versions / slot_id
        return InstalledSlot(slot_id, path, vs.read_manifest_quietly(path), state.role_of(slot_id))
