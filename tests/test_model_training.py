"""The CI-sized end-to-end run of the training pipeline: data -> tokenizer -> train -> convert ->
load -> generate. A miniature model for a few steps keeps the pipeline honest; its quality is
not measured here (the committed default slot's is, in test_model_slot.py)."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

from coderev.analyzers import Analyzer
from coderev.engine.model.manifest import verify_slot
from coderev.engine.model.slot import ModelSlot

# Only the pipeline run trains (torch, transformers); the data, decoy and contrast generators the
# other tests check need neither, so they run wherever the analyzers do.
NEEDS_TRAIN_EXTRA = pytest.mark.skipif(
    importlib.util.find_spec("torch") is None or importlib.util.find_spec("transformers") is None,
    reason="training needs the train extra: pip install -e '.[train]' (torch==2.13.0, transformers)",
)


@pytest.mark.slow
@NEEDS_TRAIN_EXTRA
def test_miniature_pipeline_end_to_end(tmp_path: Path) -> None:
    from coderev.engine.training.data import read_jsonl
    from coderev.engine.training.pipeline import quick_config, run

    config = quick_config()
    slot_dir = tmp_path / "slot"
    manifest = run(config, slot_dir, tmp_path / "work", evaluate_float32=True)

    verify_slot(slot_dir)
    assert {"model.bin", "tokenizer.model", "config.json", "vocabulary.json"} <= set(manifest["files"])
    assert manifest["training"]["stats"]["steps"] == config.train.max_steps
    assert manifest["metrics"]["int8"]["fix_n"] > 0
    assert "int8_minus_float32_points" in manifest["metrics"]
    held_out = read_jsonl(tmp_path / "work" / "data" / "test.jsonl")
    train = read_jsonl(tmp_path / "work" / "data" / "train.jsonl")
    assert {s.source for s in held_out}.isdisjoint(s.source for s in train)

    slot = ModelSlot(slot_dir)
    answers = slot.generate([held_out[0].prompt], max_new_tokens=8)
    assert len(answers) == 1 and isinstance(answers[0], str)
    request = next(s for s in held_out if s.task == "fix" and s.language == "python" and not s.kind.startswith("neg"))
    finding = next(f for f in Analyzer().analyze(_doc(request.source)) if f.rule_id == request.rule_id)
    result = slot.fix(request.source, finding, Analyzer())
    assert result.raw is not None  # a few steps of training: the answer may fail verification


@pytest.mark.slow
def test_data_is_deterministic_and_held_out_shapes_are_disjoint() -> None:
    from coderev.engine.training import shapes
    from coderev.engine.training.data import generate

    first = [s.prompt + s.answer for s in generate("train", 60, 7)]
    second = [s.prompt + s.answer for s in generate("train", 60, 7)]
    assert first == second
    assert not set(shapes.TRAIN_WORDS) & set(shapes.HELD_OUT_WORDS)
    test = list(generate("test", 300, 7))
    kinds = {s.rule_id for s in test if s.task == "fix"}
    assert {k.split(".")[0] for k in kinds} == {"python", "javascript", "go", "java"}
    assert len(kinds) >= 20, kinds
    assert any(s.task == "review" and s.items for s in test)
    assert any(s.task == "review" and not s.items for s in test)
    assert any(s.kind.startswith("negative:") for s in test)


@pytest.mark.slow
def test_every_fixable_rule_has_training_pairs() -> None:
    """Every rule with a template fix, in every language, gets FIX pairs from the generators."""
    from coderev.analyzers.ruleset import default_rules
    from coderev.engine.training.data import generate

    fixable = {r.id for r in default_rules() if r.fix is not None} - NOT_TRAINED
    made = {s.rule_id for s in generate("train", 900, 3) if s.task == "fix"}
    assert fixable == made, fixable ^ made


# Rules whose template fix came after the shipped slot's data: their AI fixes are asked and checked
# like any other (an unverified answer is dropped), but the generators make no pairs for them yet.
NOT_TRAINED = frozenset({"python.sql-injection.concatenated-query"})


@pytest.mark.parametrize("family", ["go", "java", "javascript", "python"])
def test_held_out_argument_forms_never_occur_in_training_arguments(family: str) -> None:
    import random

    from coderev.engine.training.langs.common import expression, has_held_out_mark

    rng = random.Random(5)
    for _ in range(400):
        trained = expression(rng, family, "train")
        assert not has_held_out_mark(trained, family), trained
        held_out = expression(rng, family, "test")
        assert has_held_out_mark(held_out, family), held_out


@pytest.mark.parametrize("language", ["go", "java", "javascript", "python"])
def test_review_decoys_parse_and_avoid_held_out_forms_and_shapes(language: str) -> None:
    """Decoys are valid code, never write a held-out argument form, and a decoy window with a
    held-out statement shape never becomes a training sample."""
    import random

    from coderev.analyzers import Document, get_language
    from coderev.engine.training import data
    from coderev.engine.training.decoys import decoys, held_out_shapes, window_shapes
    from coderev.engine.training.langs import go, java, javascript, python
    from coderev.engine.training.langs.common import has_held_out_mark

    module = {"go": go, "java": java, "javascript": javascript, "python": python}[language]
    rng = random.Random(11)
    made = decoys(rng, language, 60)
    assert len(made) >= 50 and len(set(made)) >= 45
    assert not [d for d in made if has_held_out_mark(d, language)]
    banned = held_out_shapes(module)
    assert banned, "held-out units have statement shapes"
    source, unit_language = module.render(rng, "train", [], 3, made[:5])
    assert all(d.split("\n")[0].strip() in source for d in made[:5])
    analyzer = data.Analyzer()
    findings = analyzer.analyze(Document(source, get_language(unit_language)))
    samples = data.review_window_samples(source, findings, "train", unit_language, rng=rng, negatives=0,
                                         decoys=made[:5], banned=banned)
    assert samples, "decoy windows become samples"
    shapes = window_shapes(source, unit_language)
    for sample in samples:
        first = int(sample.prompt.split("\n")[1].split("|")[0])
        window = next(w for w in shapes if w[0] == first)
        assert shapes[window] not in banned


def test_wrapped_cores_keep_their_finding_in_any_statement_form() -> None:
    """A vulnerable core inside a decoy statement still parses and is still a finding, in forms
    that are not the held-out wrappers."""
    import random

    from coderev.analyzers import Analyzer, Document, get_language
    from coderev.engine.training import statements
    from coderev.engine.training.decoys import wrapped
    from coderev.engine.training.langs import python

    rng = random.Random(4)
    analyzer = Analyzer()
    found = parsed = 0
    for _ in range(60):
        core, is_statement = statements.core(rng.choice(statements.KINDS), rng, "train")
        if is_statement:
            continue
        template = wrapped(rng, "python", core)
        assert not template.lstrip().startswith("yield ") and " else None" not in template
        source, language = python.render(rng, "train", [], 1, (), templates=[template])
        document = Document(source, get_language(language))
        if document.tree is None or document.tree.root_node.has_error:
            continue
        parsed += 1
        found += bool(analyzer.analyze(document))
    assert parsed >= 45 and found >= 0.9 * parsed, (parsed, found)


def test_lookalike_samples_show_the_fixed_statement_as_safe() -> None:
    from coderev.analyzers import Analyzer, Document, get_language
    from coderev.engine.training.contrast import fixed_variants, variant_samples

    source = "def digest(data):\n    value = hashlib.md5(data.encode()).hexdigest()\n    return value\n"
    analyzer = Analyzer()
    findings = analyzer.analyze(Document(source, get_language("python")))
    samples = variant_samples(source, fixed_variants(source, findings), analyzer, "train", "python")
    assert [s.answer.split("\n")[1] for s in samples] == ["NONE"]
    assert "2| ID1 = hashlib.sha256(data.encode()).hexdigest()" in samples[0].prompt


def test_held_out_call_layout_stays_out_of_training() -> None:
    import random

    from coderev.engine.training import statements

    rng = random.Random(9)
    seen = {"train": 0, "test": 0}
    for _ in range(600):
        for split in seen:
            text = statements.statement(rng.choice(statements.KINDS), rng, split)
            opens_inline = re.search(r"\((?!\n)[^()\n]*,\n    ", text) is not None  # first argument on the opening line
            seen[split] += opens_inline
    assert seen["train"] == 0 and seen["test"] > 0, seen


def _doc(source: str):  # type: ignore[no-untyped-def]
    from coderev.analyzers import Document, get_language

    return Document(source, get_language("python"))


def test_pruned_variants_teach_which_keyword_makes_the_finding() -> None:
    """Deleting ``shell=True`` from a command-injection statement gives a safe neighbour; deleting
    ``Value:`` from an insecure Go cookie keeps the finding: the analyzers label each variant."""
    import random

    from coderev.analyzers import Analyzer, Document, get_language
    from coderev.engine.training.contrast import pruned_variants, variant_samples

    analyzer = Analyzer()
    source = 'def run(cmd):\n    out = subprocess.run("ls -l", shell=True, capture_output=True)\n    return out\n'
    findings = analyzer.analyze(Document(source, get_language("python")))
    variants = list(pruned_variants(source, findings, "python", random.Random(1)))
    assert sorted(v.split("\n")[1].strip() for v in variants) == [
        'out = subprocess.run("ls -l", capture_output=True)', 'out = subprocess.run("ls -l", shell=True)']
    answers = {s.prompt.split("\n")[1]: s.answer.split("\n")[1]
               for s in variant_samples(source, variants, analyzer, "train", "python")}
    assert answers == {'2| ID2 = subprocess.run("STR1 STR2", capture_output=True)': "NONE",
                       '2| ID2 = subprocess.run("STR1 STR2", shell=True)': "L2 CWE-78 command-injection"}
    # a variant whose statement shape is held out is never a training sample
    banned = frozenset({'ID = subprocess.run("STR STR", capture_output=True)'})
    assert len(variant_samples(source, variants, analyzer, "train", "python", banned=banned)) == 1

    go = ('package p\n\nfunc f(w http.ResponseWriter) {\n'
          '\thttp.SetCookie(w, &http.Cookie{Name: "sid", Value: v, HttpOnly: false})\n}\n')
    findings = analyzer.analyze(Document(go, get_language("go")))
    assert {f.cwe[0] for f in findings} == {614, 1004}
    pruned = list(pruned_variants(go, findings, "go", random.Random(2), per_finding=3))
    assert len(pruned) == 3  # three keyed elements, each pruned once although two findings share them
    assert all(not Document(v, get_language("go")).tree.root_node.has_error for v in pruned)
    labels = {s.prompt.split("\n")[1]: s.answer.split("\n")[1:-2]
              for s in variant_samples(go, pruned, analyzer, "train", "go")}
    without_httponly = '4| http.SetCookie(w, &http.Cookie{Name: "STR1", Value: ID3})'
    # a cookie without HttpOnly is as insecure as one with HttpOnly: false, and the label says so
    assert labels[without_httponly] == ["L4 CWE-614 insecure-cookie", "L4 CWE-1004 insecure-cookie"]
