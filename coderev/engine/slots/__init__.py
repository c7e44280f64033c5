"""Installed model slots and their roles: V1 experimental, V2 production, V3 quarantine.

See :mod:`coderev.engine.slots.store` and docs/adr/0008-slot-store.md.
"""

from coderev.engine.slots.state import Transition
from coderev.engine.slots.store import InstalledSlot, SlotStore, default_store_root

__all__ = ["InstalledSlot", "SlotStore", "Transition", "default_store_root"]
