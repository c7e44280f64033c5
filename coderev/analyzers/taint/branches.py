"""Which branches of an ``if``, ``match`` or ``switch`` run when its condition or subject folds to
a constant (:mod:`constants`): the taint engine walks only those."""

from __future__ import annotations

from coderev.analyzers.taint.constants import UNKNOWN, Value, truth, value_of
from coderev.analyzers.taint.syntax import Node, text

_BREAKS = frozenset({"break_statement", "return_statement", "throw_statement", "continue_statement"})


def live_branches(node: Node, env: dict[str, Value]) -> list[Node] | None:
    """For an ``if``, ``switch`` or ``match`` whose condition or subject is a constant: the child
    nodes that run (in source order; empty when none does). None when it is not known."""
    kind = node.type
    if kind == "if_statement":
        return _if(node, env)
    if kind == "match_statement":
        return _match(node, env)
    if kind in ("switch_expression", "switch_statement"):
        return _switch(node, env)
    if kind == "expression_switch_statement":
        return _go_switch(node, env)
    return None


def _if(node: Node, env: dict[str, Value]) -> list[Node] | None:
    chosen = truth(node.child_by_field_name("condition"), env)
    if chosen is None:
        return None
    if chosen:
        consequence = node.child_by_field_name("consequence")
        return [consequence] if consequence is not None else []
    alternatives = node.children_by_field_name("alternative")
    for index, alternative in enumerate(alternatives):
        if alternative.type == "elif_clause":  # Python: the first elif whose test holds
            test = truth(alternative.child_by_field_name("condition"), env)
            if test is None:
                return alternatives[index:]  # not known from here on: every remaining clause may run
            if test:
                body = alternative.child_by_field_name("consequence")
                return [body] if body is not None else []
            continue
        return [alternative]
    return []


def _case_values(labels: list[Node], env: dict[str, Value]) -> list[Value] | None:
    """The constant values a case compares with ([] for the default case); None when not known."""
    values: list[Value] = []
    for label in labels:
        value = value_of(label, env)
        if value is UNKNOWN:
            return None
        values.append(value)
    return values


def _match(node: Node, env: dict[str, Value]) -> list[Node] | None:
    subject = value_of(node.child_by_field_name("subject"), env)
    body = node.child_by_field_name("body")
    if subject is UNKNOWN or body is None:
        return None
    for clause in body.named_children:
        if clause.type != "case_clause":
            continue
        patterns = [p for p in clause.named_children if p.type == "case_pattern"]
        if clause.child_by_field_name("guard") is not None:
            return None
        if len(patterns) == 1 and not patterns[0].named_children and text(patterns[0]).strip() == "_":
            return [clause]  # the wildcard
        alternatives = [a for p in patterns for a in _alternatives(p)]
        values = _case_values(alternatives, env)
        if values is None or not alternatives:
            return None  # a capture, class or sequence pattern: not folded
        if subject in values:
            return [clause]
    return []


def _alternatives(pattern: Node) -> list[Node]:
    """The literal alternatives of a case pattern: ``'B'`` or ``'B' | 'C'``."""
    if not pattern.named_children:
        return []
    inner = pattern.named_children[0]
    if inner.type == "union_pattern":
        return [a.named_children[0] if a.type == "case_pattern" and a.named_children else a
                for a in inner.named_children]
    return [inner] if len(pattern.named_children) == 1 else []


def _switch(node: Node, env: dict[str, Value]) -> list[Node] | None:
    """Java and JavaScript: the matching case (or default) and the ones it falls through to."""
    subject = value_of(node.child_by_field_name("condition") or node.child_by_field_name("value"), env)
    body = node.child_by_field_name("body")
    if subject is UNKNOWN or body is None:
        return None
    groups = [g for g in body.named_children if g.type in ("switch_block_statement_group", "switch_rule",
                                                           "switch_case", "switch_default")]
    start: int | None = None
    default: int | None = None
    for index, group in enumerate(groups):
        labels = _switch_labels(group)
        if labels is None:
            return None
        if not labels:
            default = index if default is None else default
            continue
        if subject in labels:
            start = index
            break
    if start is None:
        start = default
    if start is None:
        return []
    if groups[start].type == "switch_rule":
        return [groups[start]]
    live: list[Node] = []
    for group in groups[start:]:
        live.append(group)
        if any(s.type in _BREAKS for s in group.named_children):
            break
    return live


def _switch_labels(group: Node) -> list[Value] | None:
    """A case group's constant labels ([] for default); None when one is not a known constant."""
    if group.type == "switch_default":
        return []
    if group.type == "switch_case":
        value = value_of(group.child_by_field_name("value"), {})
        return None if value is UNKNOWN else [value]
    labels = [c for c in group.named_children if c.type == "switch_label"]
    values: list[Value] = []
    for label in labels:
        if not label.named_children:  # default:
            return [] if len(labels) == 1 else None
        found = _case_values(list(label.named_children), {})
        if found is None:
            return None
        values.extend(found)
    return values


def _go_switch(node: Node, env: dict[str, Value]) -> list[Node] | None:
    if node.child_by_field_name("initializer") is not None:
        return None
    subject = value_of(node.child_by_field_name("value"), env)
    if subject is UNKNOWN:
        return None
    default: Node | None = None
    for case in node.named_children:
        if case.type == "default_case":
            default = case
        elif case.type == "expression_case":
            values = case.child_by_field_name("value")
            found = _case_values(list(values.named_children) if values is not None else [], env)
            if found is None:
                return None
            if subject in found:
                return [case]
    return [default] if default is not None else []
