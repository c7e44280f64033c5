"""Taint specifications: the per-language data the taint engine runs on.

One YAML file per language family under ``coderev/analyzers/taint/`` (``python.yaml``,
``javascript.yaml`` for JavaScript, TypeScript and TSX, ``go.yaml``, ``java.yaml``), validated by
``taint.schema.json`` (the test suite validates the built-in files). A file is loaded once per
process and compiled into a :class:`TaintSpec`. See ``docs/adr/0006-taint-specs.md``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from coderev.analyzers.errors import CoderevError

SPEC_DIR = Path(str(resources.files("coderev.analyzers") / "taint"))
SCHEMA_PATH = SPEC_DIR / "taint.schema.json"
_NEVER = re.compile(r"(?!)")
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the C loader when PyYAML has it


@dataclass(frozen=True, slots=True)
class Pattern:
    """A source pattern: ``path`` after an optional ``{Type}`` receiver; ``call``: only calls."""

    type: str | None  # the declared type standing for the first segment, if any
    path: str  # the dotted rest ('getParameter'), or the whole dotted name when type is None
    call: bool


@dataclass(frozen=True, slots=True)
class ParameterRule:
    source_class: str
    annotations: frozenset[str]
    decorators: re.Pattern[str] | None
    functions: frozenset[str]
    skip_types: re.Pattern[str] | None
    skip_defaults: frozenset[str]
    skip_names: frozenset[str]
    typed_segments: re.Pattern[str] | None


@dataclass(frozen=True, slots=True)
class TaintSpec:
    languages: tuple[str, ...]
    sources: dict[str, tuple[Pattern, ...]]
    parameters: tuple[ParameterRule, ...]
    sanitizers: frozenset[str]  # last-segment names
    dotted_sanitizers: tuple[str, ...]  # callee suffixes
    sanitizer_pattern: re.Pattern[str]
    sanitizer_call: re.Pattern[str]  # searched in a call's whole text: filepath.Clean("/"+p)
    propagate_all: bool
    propagators: frozenset[str]
    mutators: frozenset[str]
    detached_members: frozenset[str]  # a write into `resp.headers[k]` taints `resp.headers`, not `resp`
    receiver_only: frozenset[str]  # the result holds the receiver's data only (slice, get, charAt)
    numeric_members: frozenset[str]  # `items.length`: a number, whatever items holds
    out_arguments: frozenset[str]
    validators: re.Pattern[str]
    guards: re.Pattern[str]
    negation: re.Pattern[str]
    exits: re.Pattern[str]
    trusting_members: frozenset[str]  # `if (e.origin !== TRUSTED) return` trusts what `e` holds

    def patterns(self, classes: frozenset[str]) -> tuple[Pattern, ...]:
        return tuple(p for c in sorted(classes) for p in self.sources.get(c, ()))

    def is_sanitizer(self, name: str, callee: str) -> bool:
        if name in self.sanitizers or self.sanitizer_pattern.search(callee):
            return True
        return any(callee == d or callee.endswith("." + d) for d in self.dotted_sanitizers)


def parse_pattern(text: str) -> Pattern:
    call = text.endswith("()")
    body = text[:-2] if call else text
    if body.startswith("{"):
        type_name, _, rest = body[1:].partition("}")
        return Pattern(type_name, rest.lstrip("."), call)
    return Pattern(None, body, call)


def _expand(entries: list[Any]) -> list[str]:
    out: list[str] = []
    for entry in entries:
        if isinstance(entry, str):
            out.append(entry)
        else:
            out.extend(f"{r}.{m}" for r in entry["receivers"] for m in entry["members"])
    return out


def _regex(value: str | None) -> re.Pattern[str] | None:
    return re.compile(value) if value else None


def _alternatives(values: list[str]) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{v})" for v in values)) if values else _NEVER


def _merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """``base`` with ``extra`` laid over it: lists are concatenated, tables merged key by key
    (with an explicit stack, as every walk in the analyzers), anything else replaced."""
    merged = dict(base)
    stack = [(merged, extra)]
    while stack:
        target, overlay = stack.pop()
        for key, value in overlay.items():
            if isinstance(value, list) and isinstance(target.get(key), list):
                target[key] = target[key] + value
            elif isinstance(value, dict) and isinstance(target.get(key), dict):
                target[key] = dict(target[key])
                stack.append((target[key], value))
            else:
                target[key] = value
    return merged


def _load(path: Path) -> dict[str, Any]:
    try:
        data: dict[str, Any] = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)  # noqa: S506 - safe
    except (OSError, yaml.YAMLError) as exc:
        raise CoderevError("ANA001", f"{path}: cannot load taint spec ({exc})") from exc
    return data


def _raw(name: str) -> dict[str, Any]:
    """A spec file's data, after the files it ``extends`` (their entries first, then its own;
    the languages are always the file's own). A cycle of ``extends`` is an ANA001 error."""
    chain = [_load(SPEC_DIR / f"{name}.yaml")]
    seen = [name]
    while "extends" in chain[-1]:
        parent = str(chain[-1]["extends"])
        if parent in seen:
            cycle = " -> ".join([*seen, parent])
            raise CoderevError("ANA001", f"{SPEC_DIR / (name + '.yaml')}: field 'extends': a cycle ({cycle})")
        seen.append(parent)
        chain.append(_load(SPEC_DIR / f"{parent}.yaml"))
    data = chain.pop()
    while chain:
        own = chain.pop()
        data = _merge(data, {k: v for k, v in own.items() if k != "extends"})
        data["languages"] = own["languages"]
    return data


def build_spec(data: dict[str, Any]) -> TaintSpec:
    sources = {
        cls: tuple(parse_pattern(p) for p in _expand(entries)) for cls, entries in data["sources"].items()
    }
    parameters = tuple(
        ParameterRule(
            p["class"],
            frozenset(p.get("annotations", ())),
            _regex(p.get("decorators")),
            frozenset(p.get("functions", ())),
            _regex(p.get("skip_types")),
            frozenset(p.get("skip_defaults", ())),
            frozenset(p.get("skip_names", ())),
            _regex(p.get("typed_segments")),
        )
        for p in data.get("parameters", ())
    )
    sanitizers = list(data.get("sanitizers", ()))
    propagation = data.get("propagation", {})
    checks = data.get("checks", {})
    return TaintSpec(
        languages=tuple(data["languages"]),
        sources=sources,
        parameters=parameters,
        sanitizers=frozenset(s for s in sanitizers if "." not in s),
        dotted_sanitizers=tuple(s for s in sanitizers if "." in s),
        sanitizer_pattern=_alternatives(list(data.get("sanitizer_patterns", ()))),
        sanitizer_call=_alternatives(list(data.get("sanitizer_calls", ()))),
        propagate_all=propagation.get("calls", "all") == "all",
        propagators=frozenset(propagation.get("propagators", ())),
        mutators=frozenset(propagation.get("mutators", ())),
        detached_members=frozenset(propagation.get("detached_members", ())),
        receiver_only=frozenset(propagation.get("receiver_only", ())),
        numeric_members=frozenset(propagation.get("numeric_members", ())),
        out_arguments=frozenset(propagation.get("out_arguments", ())),
        validators=_regex(checks.get("validators")) or _NEVER,
        guards=_regex(checks.get("guards")) or _NEVER,
        negation=_regex(checks.get("negation")) or _NEVER,
        exits=_regex(checks.get("exits")) or _NEVER,
        trusting_members=frozenset(checks.get("trusting_members", ())),
    )


def spec_files() -> list[Path]:
    return sorted(SPEC_DIR.glob("*.yaml"))


@cache
def _by_language() -> dict[str, str]:
    """Language id -> spec file stem, from each file's ``languages`` list."""
    mapping: dict[str, str] = {}
    for path in spec_files():
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader) or {}  # noqa: S506 - safe loader
        for language in data.get("languages", ()):
            mapping.setdefault(language, path.stem)
    return mapping


@cache
def spec_for(language: str) -> TaintSpec | None:
    """The compiled spec for a language id, or None when no file covers it (loaded once)."""
    stem = _by_language().get(language)
    return build_spec(_raw(stem)) if stem is not None else None


def validate(path: Path) -> list[str]:
    """Schema errors of one spec file, as 'field: message' lines (empty when it is valid)."""
    import jsonschema

    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    out = [f"{'.'.join(str(p) for p in e.absolute_path) or '(top level)'}: {e.message}" for e in errors]
    checks = data.get("checks") or {}
    regexes = [(f"checks.{key}", checks.get(key) or "") for key in ("guards", "negation", "exits", "validators")]
    for key in ("sanitizer_patterns", "sanitizer_calls"):
        regexes.append((key, "|".join(f"(?:{p})" for p in data.get(key) or [])))
    for param in data.get("parameters") or []:
        keys = ("decorators", "skip_types", "typed_segments")
        regexes += [(f"parameters.{key}", param.get(key) or "") for key in keys]
    for name, pattern in regexes:
        try:
            re.compile(pattern)
        except re.error as exc:
            out.append(f"{name}: {exc}")
    return out
