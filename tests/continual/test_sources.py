"""The new data of ``coderev model learn``: accepted-fix pairs become FIX samples only when the
analyzers verify the accepted code as the fix; a team's rules give samples with renamed identifiers."""

from __future__ import annotations

import json
from pathlib import Path

from coderev.engine.training.continual.sources import analyzer_for, from_pairs, from_rules

ROOT = Path(__file__).resolve().parents[2]
BEFORE = 'def sign(path):\n    token = hashlib.md5(path.encode()).hexdigest()\n    return token\n'


def _pair(after: str, rule_id: str = "python.weak-crypto.weak-hash") -> str:
    return json.dumps({"format": 1, "before": BEFORE, "after": after, "rule_id": rule_id, "language": "python",
                       "origin": "template", "slot": "", "fingerprint": "f", "timestamp": 1.0})


def test_a_pair_is_analysed_in_its_unit_when_the_fixed_lines_alone_show_no_finding(tmp_path: Path) -> None:
    """The editor records the fixed lines and their top-level unit: a call's arguments alone are
    not a call, so the shell-literal finding shows only in the unit the lines came from."""
    unit = ("def restart():\n    subprocess.check_call(\n        'systemctl restart nginx',\n        shell=True,\n"
            "    )\n")
    before = "        'systemctl restart nginx',\n        shell=True,\n"
    after = "        ['systemctl', 'restart', 'nginx'],\n        shell=False,\n"
    pair = {"format": 1, "before": before, "after": after, "rule_id": "python.command-injection.shell-literal",
            "language": "python", "origin": "template", "slot": "", "fingerprint": "f", "timestamp": 1.0}
    pairs = tmp_path / "pairs.jsonl"
    pairs.write_text(json.dumps(pair) + "\n" + json.dumps({**pair, "unit": unit}) + "\n")
    [sample] = from_pairs(pairs, analyzer_for(None))  # the lines alone give nothing; in the unit, a sample
    assert "<<< True\n>>> False" in sample.answer and "['STR1', 'STR2', 'STR3']" in sample.answer


def test_pairs_keep_only_fixes_the_analyzers_verify(tmp_path: Path) -> None:
    good = BEFORE.replace("md5", "sha256")
    pairs = tmp_path / "pairs.jsonl"
    pairs.write_text("\n".join([
        _pair(good),
        _pair(BEFORE.replace("md5", "sha1")),  # still a weak hash: the finding is not gone
        _pair(BEFORE.replace("md5", "sha256").replace("return token", "return path")),  # changes more
        _pair(good, rule_id="python.sql-injection.string-built-query"),  # no such finding here
    ]) + "\n")
    samples = from_pairs(pairs, analyzer_for(None))
    assert len(samples) == 1
    sample = samples[0]
    assert sample.expected == good and sample.rule_id == "python.weak-crypto.weak-hash"
    assert sample.prompt.startswith("FIX python.weak-crypto.weak-hash") and "sha256" in sample.answer


def test_rules_give_samples_of_each_rule_with_held_out_names() -> None:
    rules = ROOT / "bench" / "continual_rules"
    train = list(from_rules(rules, "train", 2, 7))
    test = list(from_rules(rules, "test", 2, 7))
    expected = {"python.internal.db-raw-query", "python.internal.legacy-hash", "python.internal.api-post-verify"}
    assert {s.rule_id for s in train} == {s.rule_id for s in test} == expected
    assert not {s.source for s in train} & {s.source for s in test}
    assert all("load_user" not in s.source for s in train + test)  # the example's own names are replaced
    assert train == list(from_rules(rules, "train", 2, 7))
    post = next(s for s in test if s.rule_id == "python.internal.api-post-verify")
    assert ", verify=True" in post.expected
