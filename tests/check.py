"""The one place tests touch the analysis API (rust-analyzer style): text in, findings out."""

from __future__ import annotations

import tree_sitter

from coderev.analyzers import AnalysisOptions, Analyzer, Document, Finding, get_language
from coderev.analyzers.finding import apply_edits
from coderev.analyzers.languages import TEXT_LANGUAGE_IDS

_DEFAULT: Analyzer | None = None


def analyzer(options: AnalysisOptions | None = None) -> Analyzer:
    global _DEFAULT
    if options is not None:
        return Analyzer(options=options)
    if _DEFAULT is None:
        _DEFAULT = Analyzer()
    return _DEFAULT


def findings(code: str, language: str = "python", options: AnalysisOptions | None = None) -> list[Finding]:
    spec = get_language(language)
    assert spec is not None or language in TEXT_LANGUAGE_IDS, language
    return analyzer(options).analyze(Document(code, spec))


def rule_ids(code: str, language: str = "python", options: AnalysisOptions | None = None) -> list[str]:
    return [f.rule_id for f in findings(code, language, options)]


def fixed(code: str, finding: Finding) -> str:
    assert finding.fix is not None, f"{finding.rule_id} offers no fix"
    return apply_edits(code.encode(), finding.fix.edits).decode()


def argument_of(code: str, language: str = "python", callee: str = "sink") -> tree_sitter.Node:
    """The first argument of the last call to ``callee`` in ``code``."""
    spec = get_language(language)
    assert spec is not None
    tree = tree_sitter.Parser(spec.grammar).parse(code.encode())
    found: list[tree_sitter.Node] = []

    def walk(node: tree_sitter.Node) -> None:
        if node.type in {"call", "call_expression", "method_invocation"}:
            name = node.child_by_field_name("function") or node.child_by_field_name("name")
            arguments = node.child_by_field_name("arguments")
            if name is not None and name.text == callee.encode() and arguments is not None:
                found.append(arguments.named_children[0])
        for child in node.children:
            walk(child)

    walk(tree.root_node)
    assert found, code
    return found[-1]
