"""Key-sensitive containers for the taint engine.

A local bound to a new, empty or literal map or list (``{}``, ``dict()``, ``[]``, ``new
HashMap<>()``, ``new ArrayList<>()``, ``make(map[string]string)``, ``new Map()``, a
``ConfigParser()``) is tracked element by element: ``m["safe"] = "x"; m["user"] = param;
m["safe"]`` reads the clean value, ``lst.append("a"); lst.append(param); lst.pop(0); lst[0]``
reads ``param``. Keys and indices are folded constants (:mod:`constants`); a write under a key
that is not known taints every read of the container (``unknown``), and a read under an unknown
key reads everything. An operation the model does not know on a tracked container gives up on
its elements (every later read is tainted when any element ever was): conservative, never
optimistic.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from coderev.analyzers.finding import TraceStep
from coderev.analyzers.taint.constants import UNKNOWN, Value, value_of
from coderev.analyzers.taint.syntax import Node, callee, text

# One step of a flow: a label and where it happens (a node of the tree being analyzed, or a
# TraceStep already placed in another file, from a function summary).
Step = tuple[str, "Node | TraceStep"]
Steps = tuple[Step, ...]
ReadFn = Callable[[Node], "Steps | None"]

_MAP_TYPES = re.compile(r"^(?:[\w.]+\.)?(?:\w*Map|Hashtable|Properties|Dictionary|Map)\b")
_LIST_TYPES = re.compile(r"^(?:[\w.]+\.)?(?:ArrayList|LinkedList|Vector|ArrayDeque|CopyOnWriteArrayList|Array)\b")
_MAP_CALLS = frozenset({"dict", "ConfigParser", "RawConfigParser", "SafeConfigParser", "OrderedDict",
                        "defaultdict", "Map", "Object"})
_LIST_CALLS = frozenset({"list", "Array"})
_PUT = frozenset({"put", "set", "setProperty", "putIfAbsent", "setdefault"})
_GET = frozenset({"get", "getOrDefault", "getProperty", "getint", "getboolean", "getfloat"})
_APPEND = frozenset({"append", "add", "push", "addLast", "offer", "offerLast"})
_PREPEND = frozenset({"unshift", "addFirst", "offerFirst"})
_REMOVE_FIRST = frozenset({"shift", "removeFirst", "poll", "pollFirst"})
_REMOVE_LAST = frozenset({"removeLast", "pollLast"})
_INSERT = frozenset({"insert"})
_CLEAR = frozenset({"clear"})
_READS = frozenset({"keys", "values", "items", "entrySet", "keySet", "sections", "size", "length",
                    "isEmpty", "has", "containsKey", "contains", "includes", "indexOf", "copy"})


@dataclass(slots=True)
class Container:
    kind: str  # "map" or "list"
    keys: dict[object, Steps | None] = field(default_factory=dict)
    items: list[Steps | None] = field(default_factory=list)
    unknown: Steps | None = None  # taint stored where no key or index is known
    sectioned: bool = False  # a ConfigParser: options are read as get(section, option)

    def any(self) -> Steps | None:
        if self.unknown:
            return self.unknown
        for value in (*self.keys.values(), *self.items):
            if value:
                return value
        return None

    def get(self, key: Value) -> Steps | None:
        if key is UNKNOWN or (self.kind == "list" and not isinstance(key, int)):
            return self.any()
        if self.kind == "map":
            return self.keys.get(key) or self.unknown
        assert isinstance(key, int)
        if -len(self.items) <= key < len(self.items):
            return self.items[key] or self.unknown
        return self.unknown

    def put(self, key: Value, value: Steps | None, conditional: bool) -> None:
        if key is UNKNOWN or (self.kind == "list" and not isinstance(key, int)):
            if value:
                self.unknown = self.unknown or value
            return
        if self.kind == "map":
            if value or not conditional:
                self.keys[key] = value if not conditional or value else self.keys.get(key)
            return
        assert isinstance(key, int)
        if -len(self.items) <= key < len(self.items):
            if value or not conditional:
                self.items[key] = value
        elif value:
            self.unknown = self.unknown or value

    def give_up(self) -> None:
        """An operation with effects the model does not know: every later read sees all taint."""
        self.unknown = self.any()


def new_container(value: Node, reads: ReadFn, env: dict[str, Value]) -> Container | None:
    """A container for a binding's value when it creates one (a literal, a constructor)."""
    kind = value.type
    if kind in ("dictionary", "object"):
        box = Container("map")
        for pair in value.named_children:
            if pair.type != "pair":
                if pair.type not in ("comment",):
                    box.unknown = box.unknown or reads(pair)
                continue
            key_node = pair.child_by_field_name("key")
            item = pair.child_by_field_name("value")
            key: Value = UNKNOWN
            if key_node is not None:
                key = text(key_node) if key_node.type in ("property_identifier", "identifier") and kind == "object" \
                    else value_of(key_node, env)
            box.put(key, reads(item) if item is not None else None, conditional=False)
        return box
    if kind in ("list", "array"):
        box = Container("list")
        for item in value.named_children:
            if item.type in ("list_splat", "spread_element", "comment"):
                box.unknown = box.unknown or reads(item)
                continue
            box.items.append(reads(item))
        return box
    if kind == "composite_literal":
        type_node = value.child_by_field_name("type")
        if type_node is None or type_node.type != "map_type":
            return None
        box = Container("map")
        body = value.child_by_field_name("body")
        for element in body.named_children if body is not None else []:
            parts = list(element.named_children)
            if element.type == "keyed_element" and len(parts) == 2:
                key = value_of(parts[0].named_children[0] if parts[0].named_children else parts[0], env)
                box.put(key, reads(parts[1]), conditional=False)
            else:
                box.unknown = box.unknown or reads(element)
        return box
    if kind in ("call", "call_expression", "new_expression", "object_creation_expression"):
        name, _, _ = callee(value)
        arguments = value.child_by_field_name("arguments")
        has_args = arguments is not None and any(a.type != "comment" for a in arguments.named_children)
        if kind == "object_creation_expression":
            type_text = text(value.child_by_field_name("type"))
            if has_args:
                return None
            if _MAP_TYPES.match(type_text):
                return Container("map")
            if _LIST_TYPES.match(type_text):
                return Container("list")
            return None
        if name == "make" and arguments is not None and arguments.named_children and \
                arguments.named_children[0].type == "map_type":
            return Container("map")
        if has_args and name not in ("ConfigParser", "RawConfigParser", "defaultdict"):
            return None
        if name in _MAP_CALLS and (kind != "new_expression" or name in ("Map", "Object")):
            return Container("map", sectioned=name.endswith("ConfigParser"))
        if name in _LIST_CALLS:
            return Container("list")
    return None


def read_call(box: Container, call: Node, reads: ReadFn, env: dict[str, Value]) -> Steps | Literal[False] | None:
    """What a method call on a tracked container returns: its taint (None: clean), or False
    when the call is not one the model reads (the caller then treats it as any call)."""
    name = callee(call)[0]
    args = _arguments(call)
    if name in _GET and args:
        if box.sectioned:  # ConfigParser: get(section, option[, fallback=...])
            positional = [a for a in args if a.type != "keyword_argument"]
            return box.get(value_of(positional[1], env) if len(positional) > 1 else UNKNOWN)
        found = box.get(value_of(args[0], env))
        return found or (reads(args[1]) if len(args) > 1 else None)  # get(key, default)
    if name == "pop" and box.kind == "map" and args:
        return box.get(value_of(args[0], env)) or (reads(args[1]) if len(args) > 1 else None)
    if name in _READS:
        return box.any()
    return False


def _arguments(call: Node) -> list[Node]:
    arguments = call.child_by_field_name("arguments")
    if arguments is None:
        return []
    return [a for a in arguments.named_children if "comment" not in a.type]


def mutate(box: Container, call: Node, reads: ReadFn, env: dict[str, Value], conditional: bool) -> None:
    """The effect of a method call statement on a tracked container."""
    name = callee(call)[0]
    args = _arguments(call)
    if box.kind == "map":
        _mutate_map(box, (name, args), reads, env, conditional)
        return
    # a list's positions after a call that may or may not run are not known
    known = not conditional and (_mutate_list(box, name, args, reads, env) or name in _READS or name in _GET)
    if not known:
        _unknown_call(box, args, reads)


def _unknown_call(box: Container, args: list[Node], reads: ReadFn) -> None:
    taint = next((t for t in (reads(a) for a in args) if t), None)
    box.give_up()
    box.unknown = box.unknown or taint


def _mutate_map(box: Container, call: tuple[str, list[Node]], reads: ReadFn, env: dict[str, Value],
                conditional: bool) -> None:
    name, args = call
    if name in _PUT and len(args) >= 2:
        box.put(value_of(args[-2], env), reads(args[-1]), conditional)
    elif name in ("remove", "pop", "delete", "remove_option") and args and not conditional:
        key = value_of(args[-1], env)
        if key is UNKNOWN:
            box.give_up()
        else:
            box.keys.pop(key, None)
    elif name in _CLEAR and not conditional:
        box.keys.clear()
        box.unknown = None
    elif name not in _READS and name not in _GET and name not in ("add_section", "has_section", "has_option"):
        taint = next((t for t in (reads(a) for a in args) if t), None)
        if taint:
            box.unknown = box.unknown or taint


def _mutate_list(box: Container, name: str, args: list[Node], reads: ReadFn, env: dict[str, Value]) -> bool:
    """Apply a list operation the model knows; False when it does not know ``name``."""
    if name in _APPEND and len(args) == 1:
        box.items.append(reads(args[0]))
    elif (name in _APPEND or name in _INSERT) and len(args) == 2:
        index = value_of(args[0], env)
        if isinstance(index, int) and 0 <= index <= len(box.items):
            box.items.insert(index, reads(args[1]))
        else:
            _unknown_call(box, args[1:], reads)
    elif name in _PREPEND and len(args) == 1:
        box.items.insert(0, reads(args[0]))
    elif name in _REMOVE_FIRST and not args:
        if box.items:
            box.items.pop(0)
    elif (name in _REMOVE_LAST or name == "pop") and not args:
        if box.items:
            box.items.pop()
    elif name in ("pop", "remove") and len(args) == 1 and _is_index(args[0], env, name):
        index = value_of(args[0], env)
        assert isinstance(index, int)
        if -len(box.items) <= index < len(box.items):
            box.items.pop(index)
        else:
            box.give_up()
    elif name in _CLEAR:
        box.items.clear()
        box.unknown = None
    elif name == "set" and len(args) == 2:
        box.put(value_of(args[0], env), reads(args[1]), conditional=False)
    else:
        return False
    return True


def _is_index(arg: Node, env: dict[str, Value], name: str) -> bool:
    """``pop(0)`` takes an index; ``remove(0)`` does in Java (an int) but Python's
    ``list.remove(x)`` removes by value, which the model cannot place."""
    value = value_of(arg, env)
    if not isinstance(value, int) or isinstance(value, bool):
        return False
    return name == "pop" or arg.type in ("decimal_integer_literal",)
