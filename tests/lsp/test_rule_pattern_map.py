"""CompiledRules maps each pattern of the combined query to its rule (by start byte) exactly as
compiling every rule on its own would (the server relies on this one-compile start-up)."""

from __future__ import annotations

from pathlib import Path

import tree_sitter

from coderev.analyzers import Rule, default_rules
from coderev.analyzers.languages import LANGUAGES, get_language
from coderev.analyzers.ruleset import CompiledRules


def _per_rule(language_id: str, rules: list[Rule]) -> list[str]:
    spec = get_language(language_id)
    assert spec is not None
    out: list[str] = []
    for rule in rules:
        out += [rule.id] * tree_sitter.Query(spec.grammar, rule.query).pattern_count
    return out


def test_pattern_to_rule_map_matches_per_rule_compilation() -> None:
    for spec in LANGUAGES:
        rules = [r for r in default_rules() if spec.id in r.languages]
        compiled = CompiledRules(spec.id, rules)
        expected = _per_rule(spec.id, rules)
        assert [compiled.rule_at(i).id for i in range(len(expected))] == expected
        if compiled.query is not None:
            assert compiled.query.pattern_count == len(expected)


def test_unchecked_loading_keeps_every_rule_and_drops_a_broken_query_at_compile(tmp_path: Path) -> None:
    from coderev.analyzers.ruleset import builtin_rules_for_startup, load_rules

    assert [r.id for r in builtin_rules_for_startup()] == [r.id for r in default_rules()]
    good = (Path(__file__).parent / "rules" / "python" / "lsptest-yaml-load.yaml").read_text()
    broken = good.replace("python.lsptest.yaml-load", "python.lsptest.broken").replace(
        "(call", "(no_such_node", 1
    )
    (tmp_path / "good.yaml").write_text(good)
    (tmp_path / "broken.yaml").write_text(broken)
    checked = load_rules([tmp_path], builtin=False)
    assert [e.code for e in checked.errors] == ["ANA002"] and len(checked) == 1
    unchecked = load_rules([tmp_path], builtin=False, check_queries=False)
    assert not unchecked.errors and len(unchecked) == 2
    compiled = CompiledRules("python", unchecked)
    assert [r.id for r in compiled.rules] == ["python.lsptest.yaml-load"]
    assert [e.code for e in compiled.errors] == ["ANA002"]
