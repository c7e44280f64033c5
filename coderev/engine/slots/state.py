"""The slot store's state (which installed slot holds which role) and its history.

``state.json`` is the truth: ``{"V1": id|null, "V2": id|null, "V3": [ids], "good": [ids]}``.
``history.jsonl`` records every transition as ``{time, action, slot_id, from, to, reason}``.
Because each record names the role a slot moved *to*, replaying the history in order rebuilds
the roles, which is how a damaged ``state.json`` is recovered (see ``replay``).

``good`` lists the slots that served as V2 and left that role only by being superseded (a
promotion or an install over them), never by ``demote`` or ``quarantine``, newest last: they are
the candidates to fall back on when the current V2 is demoted.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROLES = ("V1", "V2", "V3")
# Actions that take a slot out of V2 because it is bad: it stops being a fallback candidate.
DISQUALIFYING = frozenset({"demote", "quarantine"})
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
    """The roles. Mutated only inside the store's lock, then written whole."""

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


def read_history(path: Path) -> list[Transition]:
    """Every well-formed record of ``history.jsonl``; a torn or foreign line is skipped."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return []
    transitions: list[Transition] = []
    for line in text.splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        transition = Transition.from_json(record)
        if transition is not None:
            transitions.append(transition)
    return transitions


def replay(transitions: list[Transition]) -> State:
    """The state the history leads to."""
    state = State()
    for transition in transitions:
        state.apply(transition)
    return state
