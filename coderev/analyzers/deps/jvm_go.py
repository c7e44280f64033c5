"""Go and Maven dependency files: go.mod, go.sum, pom.xml, gradle.lockfile.

- go.mod: ``require`` lines and blocks, with ``replace`` applied (a module replaced by a local
  folder is the project's own code; one replaced by another module version is that version).
- go.sum: the highest version of each module whose code is hashed (``/go.mod``-only lines are
  modules the build graph reads the requirements of, not code it compiles).
- pom.xml: ``dependencies`` and ``dependencyManagement`` entries with a version, written out or
  through ``${property}`` (resolved from ``properties``, ``project.version``,
  ``project.parent.version``); a bump edits the property where the version comes from one.
  Entries without a version get it from a parent or BOM that is not in this file and are not read;
  version ranges (``[1.0,2.0)``) name no single version.
- gradle.lockfile: ``group:artifact:version=configurations`` lines.

pom.xml is read with expat (positions are byte offsets); a document type declaring entities is
refused rather than expanded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from xml.parsers import expat

from coderev.analyzers.deps.model import Dependency, Found, Unreadable, line_spans
from coderev.analyzers.deps.versions import Ecosystem, parse

GO, MAVEN = Ecosystem.GO, Ecosystem.MAVEN
_COMMENT = re.compile(rb"//.*$")
_TOKEN = re.compile(rb'"[^"]*"|\S+')


def _tokens(line: bytes, offset: int) -> list[tuple[str, int, int]]:
    body = _COMMENT.sub(b"", line)
    return [(m.group(0).decode().strip('"'), offset + m.start(), offset + m.end()) for m in _TOKEN.finditer(body)]


def go_mod(source: bytes) -> list[Dependency]:
    requires: list[Dependency] = []
    replaced: dict[str, Dependency | None] = {}  # module -> its replacement (None: a local folder)
    block = ""
    for offset, line in line_spans(source):
        tokens = _tokens(line, offset)
        if not tokens:
            continue
        words = [t[0] for t in tokens]
        if words[0] == ")":
            block = ""
            continue
        if words[0] in ("require", "replace", "exclude", "retract") and words[1:2] == ["("]:
            block = words[0]
            continue
        verb = block
        if words[0] in ("require", "replace", "exclude", "retract", "module", "go", "toolchain"):
            verb, tokens = words[0], tokens[1:]
        if verb == "require" and len(tokens) >= 2:
            name, (version, start, end) = tokens[0][0], tokens[1]
            requires.append(Dependency(GO, name, version, (start, end), (start, end)))
        elif verb == "replace" and "=>" in [t[0] for t in tokens]:
            arrow = [t[0] for t in tokens].index("=>")
            old, new = tokens[:arrow], tokens[arrow + 1 :]
            if not old or not new:
                continue
            target = None
            if len(new) >= 2 and not new[0][0].startswith((".", "/")):
                version, start, end = new[1]
                target = Dependency(GO, new[0][0], version, (start, end), (start, end))
            replaced[old[0][0]] = target
    found = Found()
    for dependency in requires:
        if dependency.name not in replaced:
            found.add(dependency)
    for target in replaced.values():
        if target is not None:
            found.add(target)
    return found.items


def go_sum(source: bytes) -> list[Dependency]:
    best: dict[str, Dependency] = {}
    for offset, line in line_spans(source):
        tokens = _tokens(line, offset)
        if len(tokens) < 3 or tokens[1][0].endswith("/go.mod"):
            continue
        name, (version, start, end) = tokens[0][0], tokens[1]
        parsed, known = parse(GO, version), best.get(name)
        if parsed is None:
            continue
        old = parse(GO, known.version) if known is not None else None
        if known is None or (old is not None and old < parsed):
            best[name] = Dependency(GO, name, version, (start, end))
    return list(best.values())


def gradle_lock(source: bytes) -> list[Dependency]:
    found = Found()
    for offset, line in line_spans(source):
        text = line.split(b"=", 1)[0].strip()
        if not text or text.startswith(b"#") or text == b"empty":
            continue
        parts = text.split(b":")
        if len(parts) != 3:
            continue
        start = offset + line.index(text) + len(parts[0]) + len(parts[1]) + 2
        found.add(Dependency(MAVEN, f"{parts[0].decode()}:{parts[1].decode()}", parts[2].decode(),
                             (start, start + len(parts[2]))))
    return found.items


@dataclass(slots=True)
class _Text:
    value: str
    span: tuple[int, int]


@dataclass(slots=True)
class _Pom:
    source: bytes
    stack: list[str] = field(default_factory=list)
    opened: list[int] = field(default_factory=list)  # where each open element's content starts
    properties: dict[str, _Text] = field(default_factory=dict)
    entries: list[dict[str, _Text]] = field(default_factory=list)
    current: dict[str, _Text] | None = None

    def start(self, parser: expat.XMLParserType, name: str) -> None:
        self.stack.append(name)
        self.opened.append(self.source.index(b">", parser.CurrentByteIndex) + 1)
        if name == "dependency" and self.stack[-2:-1] == ["dependencies"]:
            self.current = {}

    def end(self, parser: expat.XMLParserType, name: str) -> None:
        begin, finish = self.opened.pop(), parser.CurrentByteIndex
        raw = self.source[begin:finish] if finish >= begin else b""
        stripped = raw.strip()
        start = begin + (raw.find(stripped) if stripped else 0)
        text = _Text(stripped.decode("utf-8", "replace"), (start, start + len(stripped)))
        path = self.stack
        if len(path) == 3 and path[1] == "properties":
            self.properties[name] = text
        elif path in (["project", "version"], ["project", "groupId"]):
            self.properties[f"project.{name}"] = text
        elif path in (["project", "parent", "version"], ["project", "parent", "groupId"]):
            self.properties[f"project.parent.{name}"] = text
            self.properties.setdefault(f"project.{name}", text)
        elif self.current is not None and path[-2:-1] == ["dependency"] and not stripped.startswith(b"<"):
            self.current[name] = text
        elif name == "dependency" and self.current is not None:
            self.entries.append(self.current)
            self.current = None
        self.stack.pop()

    def resolve(self, text: _Text) -> tuple[_Text, str]:
        """A value with its ``${property}`` references resolved (a few levels deep), and the
        property it finally came from ("" when it was written out)."""
        via = ""
        for _ in range(5):
            match = re.fullmatch(r"\$\{([^}]+)\}", text.value)
            if match is None or match.group(1) not in self.properties:
                break
            via, text = match.group(1), self.properties[match.group(1)]
        return text, via


def _refuse(*_: object) -> None:
    raise Unreadable("the document type declares entities; coderev does not expand them")


def pom(source: bytes) -> list[Dependency]:
    state = _Pom(source)
    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.EntityDeclHandler = _refuse
    parser.StartElementHandler = lambda name, _attrs: state.start(parser, name)
    parser.EndElementHandler = lambda name: state.end(parser, name)
    try:
        parser.Parse(source, True)
    except expat.ExpatError as exc:
        raise Unreadable(f"not valid XML ({expat.ErrorString(exc.code)} at line {exc.lineno})") from exc
    found = Found()
    for entry in state.entries:
        if not {"groupId", "artifactId", "version"} <= entry.keys():
            continue
        group, _ = state.resolve(entry["groupId"])
        artifact, _ = state.resolve(entry["artifactId"])
        version, via = state.resolve(entry["version"])
        if "${" in group.value + artifact.value + version.value or version.value[:1] in "[(":
            continue
        # ${project.version} is the project's own (or its parent's) version: not a dependency's to bump
        literal = None if via.startswith("project.") else version.span
        found.add(Dependency(MAVEN, f"{group.value}:{artifact.value}", version.value, entry["version"].span,
                             literal, via))
    return found.items
