"""The programs of the fix-correctness suite: their header format (see harness.py) and runs."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

PROGRAMS = Path(__file__).resolve().parent
MODULES = frozenset({"__init__.py", "harness.py", "programs.py", "report.py", "runner.py"})  # the suite itself
SUFFIXES = {".py": "python", ".js": "javascript", ".java": "java"}
FAMILIES = ("sql", "command", "hash", "key-size", "property")
EXPECTATIONS = ("fixed", "unfixed", "any", "clean")
TIMEOUT_S = 10.0
# What this suite cannot run here, for the summary.
NOT_COVERED = (
    "xxe with lxml (resolve_entities): lxml is not installed; the stdlib SAX shape is covered",
    "cookies through Flask/werkzeug: not installed; a minimal set_cookie on http.cookies stands in",
    "psycopg2 / pymysql / MySQLdb drivers (%s placeholders): not installed and no server; sqlite3 only",
    "Go: no Go toolchain on this machine",
    "javascript innerHTML -> textContent: needs a DOM, node has none",
)

_HEADER = re.compile(r"^\s*(?:#|//)\s*fixcheck:\s*([a-z-]+)\s*=\s*(.*?)\s*$", re.M)
_CONDITION = re.compile(r"^(?:(stdout|stderr)\s+)?(contains|lacks|regex)\s+(\".*\")$")


class HeaderError(ValueError):
    pass


@dataclass(frozen=True)
class Run:
    """One execution of a program. ``code`` is None when it timed out."""

    code: int | None
    stdout: str
    stderr: str

    def describe(self) -> str:
        status = "timed out" if self.code is None else f"exit {self.code}"
        lines = [line.strip() for line in self.stderr.strip().splitlines() if line.strip()]
        errors = [line for line in lines if re.match(r"^[\w.]*(Error|Exception)\b", line)]
        shown = errors[-1:] if errors and self.code != 0 else lines[-2:]
        return f"{status}, stdout {self.stdout!r}" + (f", stderr: {' | '.join(shown)}" if shown else "")


@dataclass(frozen=True)
class Condition:
    kind: str  # same | contains | lacks | regex
    value: str = ""
    stream: str = "stdout"

    @classmethod
    def parse(cls, text: str) -> Condition:
        if text == "same":
            return cls("same")
        match = _CONDITION.match(text)
        if match is None:
            raise HeaderError(f"not a condition: {text!r}")
        value = json.loads(match.group(3))
        if not isinstance(value, str):
            raise HeaderError(f"a condition's value is a JSON string: {text!r}")
        if match.group(2) == "regex":
            re.compile(value)
        return cls(match.group(2), value, match.group(1) or "stdout")

    def holds(self, run: Run, reference: Run | None = None) -> bool:
        """Whether ``run`` satisfies the condition; ``same`` compares with ``reference``."""
        output = run.stderr if self.stream == "stderr" else run.stdout
        if self.kind == "same":
            if reference is None:
                raise ValueError("'same' needs a reference run")
            return output == (reference.stderr if self.stream == "stderr" else reference.stdout)
        if self.kind == "contains":
            return self.value in output
        if self.kind == "lacks":
            return self.value not in output
        return re.search(self.value, output, re.M) is not None

    def __str__(self) -> str:
        if self.kind == "same":
            return "the same output as the original"
        stream = "" if self.stream == "stdout" else f"{self.stream} "
        return f"{stream}{self.kind} {json.dumps(self.value)}"


@dataclass(frozen=True)
class Program:
    path: Path
    language: str
    family: str
    rule: str | None
    benign: tuple[str, ...]
    attack: tuple[str, ...]
    attack_worked_if: Condition
    fixed_benign: Condition
    expect: str

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def source(self) -> str:
        return self.path.read_text(encoding="utf-8")


def _argv(key: str, text: str) -> tuple[str, ...]:
    value = json.loads(text)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise HeaderError(f"{key} is a JSON list of strings: {text!r}")
    return tuple(value)


def parse_program(path: Path) -> Program:
    """A program and its header (:class:`HeaderError` when the header is wrong)."""
    fields: dict[str, str] = {}
    for key, value in _HEADER.findall(path.read_text(encoding="utf-8")):
        if key in fields:
            raise HeaderError(f"{path.name}: {key} given twice")
        fields[key] = value
    known = {"family", "rule", "benign", "attack", "attack-worked-if", "fixed-benign", "expect"}
    if unknown := set(fields) - known:
        raise HeaderError(f"{path.name}: unknown header key(s) {sorted(unknown)}")
    family, expect = fields.get("family", ""), fields.get("expect", "any")
    if family not in FAMILIES:
        raise HeaderError(f"{path.name}: family must be one of {FAMILIES}, not {family!r}")
    if expect not in EXPECTATIONS:
        raise HeaderError(f"{path.name}: expect must be one of {EXPECTATIONS}, not {expect!r}")
    rule = fields.get("rule")
    if rule is None and expect != "clean":
        raise HeaderError(f"{path.name}: rule= is required (unless expect=clean)")
    if "attack-worked-if" not in fields:
        raise HeaderError(f"{path.name}: attack-worked-if= is required")
    benign = _argv("benign", fields.get("benign", "[]"))
    return Program(
        path=path,
        language=SUFFIXES[path.suffix],
        family=family,
        rule=rule,
        benign=benign,
        attack=_argv("attack", fields["attack"]) if "attack" in fields else benign,
        attack_worked_if=Condition.parse(fields["attack-worked-if"]),
        fixed_benign=Condition.parse(fields.get("fixed-benign", "same")),
        expect=expect,
    )


def load_programs(directory: Path = PROGRAMS) -> list[Program]:
    paths = sorted(p for p in directory.iterdir()
                   if p.suffix in SUFFIXES and p.name not in MODULES)
    return [parse_program(p) for p in paths]


