"""The slot store's history (which installed slot moved to which role, and why) and the state it
leads to.

``history.jsonl`` is the truth: an append-only log of transitions ``{time, action, slot_id, from,
to, reason}``. Each record names the role a slot moved *to*, so replaying the log in order gives
the roles (``replay``); ``state.json`` (``{"V1": id|null, "V2": id|null, "V3": [ids], "good":
[ids]}``) is only a cache of that replay, for readers and for speed.

One operation may move several slots (a promotion supersedes the old V2 and promotes V1). Its
records are appended in one write; when there are several, each also carries ``txn`` (an id shared
by the operation's records) and ``of`` (how many there are), so a reader can tell a complete
operation from one cut short by a crash, and drops the latter whole (``read_history``). A single
record needs no such marks: a torn line is not valid JSON.

``good`` lists the slots that served as V2 and left that role only by being superseded (a
promotion or an install over them), never by ``demote``, ``quarantine`` or ``lost``, newest last:
they are the candidates to fall back on when the current V2 is demoted.
"""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

ROLES = ("V1", "V2", "V3")
# Actions that take a slot out of V2 because it is bad: it stops being a fallback candidate.
DISQUALIFYING = frozenset({"demote", "quarantine", "lost"})
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]*")


def valid_id(value: object) -> bool:
    """A slot id is a single safe path component (it names a directory under ``versions/``)."""
    return isinstance(value, str) and _ID.fullmatch(value) is not None and len(value) <= 200


@dataclass(frozen=True)
class Transition:
    """One recorded move of a slot between roles ("" is "not installed")."""

    time: float
    action: str
    slot_id: str
    from_role: str
    to_role: str
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {"time": self.time, "action": self.action, "slot_id": self.slot_id,
                "from": self.from_role, "to": self.to_role, "reason": self.reason}

    @classmethod
    def from_json(cls, data: object) -> Transition | None:
        """The transition in one history record, or None when the record is not one."""
        if not isinstance(data, dict):
            return None
        fields = (data.get("action"), data.get("slot_id"), data.get("from"), data.get("to"), data.get("reason"))
        stamp = data.get("time")
        if not all(isinstance(v, str) for v in fields) or not isinstance(stamp, int | float):
            return None
        action, slot_id, from_role, to_role, reason = (str(v) for v in fields)
        if not valid_id(slot_id) or to_role not in ("", *ROLES) or from_role not in ("", *ROLES):
            return None
        return cls(float(stamp), action, slot_id, from_role, to_role, reason)


@dataclass
class State:
    """The roles. Mutated only inside the store's lock, by ``place`` calls that the transitions it
    commits replay exactly (the store checks that before it writes anything)."""

    v1: str | None = None
    v2: str | None = None
    v3: list[str] = field(default_factory=list)
    good: list[str] = field(default_factory=list)

    def role_of(self, slot_id: str) -> str:
        if self.v1 == slot_id:
            return "V1"
        if self.v2 == slot_id:
            return "V2"
        return "V3" if slot_id in self.v3 else ""

    def ids(self) -> list[str]:
        """Every slot that holds a role: V2, V1, then V3 oldest first."""
        return [i for i in (self.v2, self.v1) if i is not None] + list(self.v3)

    def empty(self) -> bool:
        return not self.ids()

    def place(self, slot_id: str, role: str, action: str) -> str:
        """Move ``slot_id`` to ``role`` ("" removes it); returns the role it left.

        Whoever occupied V1 or V2 before is *not* moved here: the caller records that move as its
        own transition first.
        """
        previous = self.role_of(slot_id)
        if previous == "V1":
            self.v1 = None
        elif previous == "V2":
            self.v2 = None
        elif previous == "V3":
            self.v3.remove(slot_id)
        if role == "V1":
            self.v1 = slot_id
        elif role == "V2":
            self.v2 = slot_id
            if slot_id in self.good:
                self.good.remove(slot_id)
            self.good.append(slot_id)
        elif role == "V3":
            self.v3.append(slot_id)
        if action in DISQUALIFYING and slot_id in self.good:
            self.good.remove(slot_id)
        return previous

    def apply(self, transition: Transition) -> None:
        self.place(transition.slot_id, transition.to_role, transition.action)

    def copy(self) -> State:
        return replace(self, v3=list(self.v3), good=list(self.good))

    def roles(self) -> dict[str, str]:
        """slot id -> role, for every slot that holds one."""
        return {slot_id: self.role_of(slot_id) for slot_id in self.ids()}

    def to_json(self) -> dict[str, Any]:
        return {"V1": self.v1, "V2": self.v2, "V3": list(self.v3), "good": list(self.good)}

    @classmethod
    def from_json(cls, data: object) -> State:
        """Parse ``state.json``'s content; ValueError says what is malformed."""
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        if set(data) != {"V1", "V2", "V3", "good"}:
            raise ValueError(f"keys are {sorted(data)}, expected V1, V2, V3 and good")
        v1, v2, v3, good = data["V1"], data["V2"], data["V3"], data["good"]
        for name, value in (("V1", v1), ("V2", v2)):
            if value is not None and not valid_id(value):
                raise ValueError(f"{name} is not a slot id or null")
        for name, values in (("V3", v3), ("good", good)):
            if not isinstance(values, list) or not all(valid_id(v) for v in values):
                raise ValueError(f"{name} is not a list of slot ids")
            if len(set(values)) != len(values):
                raise ValueError(f"{name} lists a slot twice")
        held = [i for i in (v1, v2) if i is not None] + list(v3)
        if len(set(held)) != len(held):
            raise ValueError("a slot holds two roles")
        return cls(v1, v2, list(v3), list(good))


def encode(transitions: list[Transition]) -> list[str]:
    """The history lines of one operation's transitions (see the module docstring)."""
    if len(transitions) == 1:
        return [json.dumps(transitions[0].to_json(), sort_keys=True)]
    txn = secrets.token_hex(8)
    return [json.dumps({**t.to_json(), "txn": txn, "of": len(transitions)}, sort_keys=True) for t in transitions]


def parse_history(text: str) -> list[Transition]:
    """Every transition of every complete operation in ``text``, in order. A torn or foreign line
    is skipped; the records of an operation that did not reach the disk whole are dropped."""
    transitions: list[Transition] = []
    group: list[Transition] = []
    group_id: object = None
    group_size = 0
    for line in text.splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            group, group_id = [], None  # a torn line inside an operation leaves it incomplete
            continue
        transition = Transition.from_json(record)
        if transition is None:
            continue
        txn, size = record.get("txn"), record.get("of")
        if txn is None or not isinstance(size, int) or size < 2:
            transitions.append(transition)
            group, group_id = [], None
            continue
        if txn != group_id:
            group, group_id, group_size = [], txn, size
        group.append(transition)
        if len(group) == group_size:
            transitions += group
            group, group_id = [], None
    return transitions


def read_history(path: Path) -> list[Transition]:
    """``parse_history`` of the file at ``path`` (none when it does not exist)."""
    try:
        return parse_history(path.read_text(encoding="utf-8", errors="replace"))
    except FileNotFoundError:
        return []


def replay(transitions: list[Transition]) -> State:
    """The state the history leads to."""
    state = State()
    for transition in transitions:
        state.apply(transition)
    return state


def adopt(current: State, target: State, time: float, reason: str) -> list[Transition]:
    """"recover" transitions that move every slot from its role in ``current`` to its role in
    ``target`` (applied to ``current`` as they are made). Used when a ``state.json`` holds roles its
    history lacks (written by an earlier coderev, or the history was lost): the roles are taken
    over; ``good`` keeps what the replay gives, since only a demotion or quarantine removes a slot
    from it."""
    moves: list[Transition] = []

    def move(slot_id: str, role: str) -> None:
        previous = current.place(slot_id, role, "recover")
        moves.append(Transition(time, "recover", slot_id, previous, role, reason))

    for slot_id in current.ids():
        if not target.role_of(slot_id):
            move(slot_id, "")
    for slot_id in target.v3:
        if current.role_of(slot_id) != "V3":
            move(slot_id, "V3")
    for role, wanted in (("V2", target.v2), ("V1", target.v1)):
        if wanted is not None and current.role_of(wanted) != role:
            move(wanted, role)  # a holder it displaces is in ``target`` too, so it moves as well
    return moves
