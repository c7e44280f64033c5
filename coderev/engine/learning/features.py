"""What the acceptance model sees of a finding: the same features for a stored event and a live one.

Training reads :class:`~coderev.engine.feedback.FeedbackEvent` records; prediction reads live
:class:`~coderev.analyzers.finding.Finding` objects. Both are first reduced to a :class:`FeatureContext`
of plain strings and then to one tuple of feature names by :func:`features`, so the two paths
cannot drift apart: whatever the server stored about a finding when the user dismissed it is
exactly what the model is asked about the next time that kind of finding shows up.

Features are binary and named (``family=weak-crypto``); the model hashes the names. The code
around the finding contributes a small, bounded bag of hashed identifier tokens so that a user
who dismisses ``md5`` in fixtures but accepts it in production code can be told apart, without
the feature count growing with the size of the file.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath

from coderev.analyzers.finding import Finding, Span
from coderev.analyzers.patterns import redact
from coderev.engine.feedback import FeedbackEvent

FIX_NONE, FIX_TEMPLATE, FIX_AI = "none", "template", "ai"
FIX_KINDS = (FIX_NONE, FIX_TEMPLATE, FIX_AI)
TOKEN_BUCKETS = 512  # hashed token slots: a small bag, shared by all languages
MAX_TOKENS = 16  # distinct tokens taken from one context, nearest the start first
CONTEXT_RADIUS = 3  # lines either side, as the server stores with each event

_TOKEN = re.compile(r"[A-Za-z_][A-Za-z0-9_]{2,39}")
# Words every language repeats: they would only add noise to every bag.
_COMMON = frozenset({
    "the", "and", "for", "def", "return", "import", "from", "class", "self", "this", "new", "var",
    "let", "const", "func", "function", "public", "private", "static", "void", "int", "string",
    "str", "none", "null", "true", "false", "if", "else", "elif", "while", "try", "catch", "except",
    "finally", "with", "package", "main", "err", "nil",
})
_TEST_PARTS = frozenset({"test", "tests", "testing", "spec", "specs", "__tests__", "fixtures", "testdata"})
_TEST_NAME = re.compile(r"(^test_.*|.*_test\.\w+$|.*\.(spec|test)\.\w+$|.*Tests?\.java$|^conftest\.py$)")


def family_of(rule_id: str, category: str = "") -> str:
    """The rule family: the finding's category, else the middle part of ``language.family.name``."""
    if category:
        return category
    parts = rule_id.split(".")
    return parts[1] if len(parts) >= 3 else rule_id


def fix_kind(has_fix: bool, origin: str) -> str:
    """``ai`` for a model-written fix, ``template`` for a rule's own fix, else ``none``."""
    if origin == FIX_AI:
        return FIX_AI
    return FIX_TEMPLATE if has_fix else FIX_NONE


@dataclass(frozen=True, slots=True)
class FeatureContext:
    """Everything the features are computed from, as plain values."""

    rule_id: str
    family: str
    language: str
    severity: str
    fix_kind: str
    path: str
    context: str

    @classmethod
    def from_event(cls, event: FeedbackEvent) -> FeatureContext:
        return cls(
            rule_id=event.rule_id,
            family=family_of(event.rule_id, event.category),
            language=event.language,
            severity=event.severity or "unknown",
            fix_kind=fix_kind(event.fix is not None, event.origin),
            path=event.path,
            context=event.context,
        )

    @classmethod
    def from_finding(
        cls, finding: Finding, *, path: str = "", context: str = "", origin: str | None = None
    ) -> FeatureContext:
        """A live finding; ``origin`` overrides the fix kind (``ai`` for a model-written candidate,
        ``template`` for the rule's fix, ``none``), by default the finding's own fix."""
        kind = fix_kind(finding.fix is not None, "") if origin is None else origin
        return cls(
            rule_id=finding.rule_id,
            family=family_of(finding.rule_id, finding.category),
            language=finding.language,
            severity=str(finding.severity),
            fix_kind=kind if kind in FIX_KINDS else FIX_NONE,
            path=path,
            context=context,
        )

    def with_fix_kind(self, kind: str) -> FeatureContext:
        return FeatureContext(self.rule_id, self.family, self.language, self.severity, kind, self.path, self.context)


def path_features(path: str) -> tuple[str, str, bool]:
    """(extension, first directory, is a test file) of a path, absolute or relative."""
    pure = PurePosixPath(path.replace("\\", "/"))
    parts = [p for p in pure.parts if p not in {"/", ""}]
    directories = parts[:-1]
    ext = pure.suffix.lower() or "-"
    first = directories[0].lower() if directories else "-"
    # An absolute path's first directory says nothing about the project; use the nearest instead.
    if pure.is_absolute() and directories:
        first = directories[-1].lower()
    is_test = any(d.lower() in _TEST_PARTS for d in directories) or bool(_TEST_NAME.match(pure.name))
    return ext, first, is_test


def context_tokens(context: str, limit: int = MAX_TOKENS) -> list[str]:
    """Distinct identifier-like tokens of ``context`` in order of appearance, at most ``limit``."""
    seen: dict[str, None] = {}
    for match in _TOKEN.finditer(context):
        token = match.group().lower()
        if token in _COMMON or token in seen:
            continue
        seen[token] = None
        if len(seen) >= limit:
            break
    return list(seen)


def _bucket(token: str) -> int:
    return zlib.crc32(token.encode("utf-8", "surrogatepass")) % TOKEN_BUCKETS


def features(ctx: FeatureContext) -> tuple[str, ...]:
    """The binary features of one finding or event. Conjunctions with the family let the model
    learn per-family preferences (this family's AI fixes, this family in test files) while the
    plain features share what is common across families."""
    ext, first_dir, is_test = path_features(ctx.path) if ctx.path else ("-", "-", False)
    family = ctx.family
    out = [
        f"rule={ctx.rule_id}",
        f"family={family}",
        f"lang={ctx.language}",
        f"sev={ctx.severity}",
        f"fix={ctx.fix_kind}",
        f"ext={ext}",
        f"dir={first_dir}",
        f"test={int(is_test)}",
        f"family*fix={family}|{ctx.fix_kind}",
        f"family*test={family}|{int(is_test)}",
        f"family*lang={family}|{ctx.language}",
    ]
    buckets = sorted({_bucket(t) for t in context_tokens(ctx.context)})
    out.extend(f"tok={b}" for b in buckets)
    return tuple(out)


def finding_context(source: bytes, row: int, secrets: Sequence[Span] = (), radius: int = CONTEXT_RADIUS) -> str:
    """The code around ``row`` with every secret masked, the way the server stores it with an
    event (``coderev/server/lsp/documents.py`` ``OpenDocument.context``), so a live finding's tokens come
    from the same window as the stored event's."""
    lines = source.split(b"\n")
    lo, hi = max(0, row - radius), min(len(lines), row + radius + 1)
    if lo >= hi:
        return ""
    masked = redact(source, list(secrets)).split(b"\n")
    return b"\n".join(masked[lo:hi]).decode("utf-8", "replace")
