"""coderev's analysis core: languages, documents, rules and findings. Pure and synchronous;
knows nothing of LSP or models. See ARCHITECTURE.md."""

from coderev.analyzers.analysis import Analyzer, UnitCache
from coderev.analyzers.config import AnalysisOptions
from coderev.analyzers.document import Document, Snapshot, TextChange
from coderev.analyzers.errors import CoderevError
from coderev.analyzers.finding import Confidence, Edit, Finding, Fix, Severity, Span
from coderev.analyzers.languages import LanguageSpec, get_language, language_for_path
from coderev.analyzers.ruleset import Rule, RuleSet, default_rules, load_rules
from coderev.analyzers.text import Position, PositionEncoding, TextRange

__all__ = [
    "AnalysisOptions",
    "Analyzer",
    "CoderevError",
    "Confidence",
    "Document",
    "Edit",
    "Finding",
    "Fix",
    "LanguageSpec",
    "Position",
    "PositionEncoding",
    "Rule",
    "RuleSet",
    "Severity",
    "Snapshot",
    "Span",
    "TextChange",
    "TextRange",
    "UnitCache",
    "default_rules",
    "get_language",
    "language_for_path",
    "load_rules",
]
