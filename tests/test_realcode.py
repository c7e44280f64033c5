"""Real code for the model (issue 20): the corpus's units and split, vulnerable variants of real
functions labelled by the analyzers, held-out samples, and the real-code evaluation with the
shipped slot. Offline: the corpus here is a folder laid out as `coderev model corpus` leaves it."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

from coderev.analyzers.analysis import Analyzer
from coderev.analyzers.document import Document
from coderev.analyzers.languages import get_language
from coderev.engine.model.slot import ModelSlot
from coderev.engine.training.evaluate import evaluate, real_gate_report
from coderev.engine.training.mutate import inject, labelled, mutations
from coderev.engine.training.realcode import PINNED, Package, RealUnit, fetch, split_of, units_of
from coderev.engine.training.realdata import draw, samples

FACTORY = '''import yaml


def create_app(config):
    app = Flask(__name__)

    @app.route("/settings", methods=["POST"])
    def settings():
        """Store the uploaded settings."""
        data = yaml.safe_load(request.data)
        store.save(data)
        return "ok"

    return app
'''

SERVER = '''app.get("/items", (req, res) => {
  const items = store.list(req.query.page);
  res.json(items);
});
const blob = "''' + "x" * 500 + '''";
'''

GO = '''package web

func Status(w http.ResponseWriter, r *http.Request) {
\tname := r.URL.Query().Get("name")
\tfmt.Fprintln(w, len(name))
}
'''


def _tree(root: Path) -> Path:
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "app.py").write_text(FACTORY, encoding="utf-8")
    (root / "pkg" / "server.js").write_text(SERVER, encoding="utf-8")
    (root / "pkg" / "status.go").write_text(GO, encoding="utf-8")
    return root


def test_units_are_what_the_editor_sends_and_generated_code_is_left_out(tmp_path: Path) -> None:
    units = list(units_of("pypi:demo", _tree(tmp_path)))
    firsts = [(u.path, u.text.splitlines()[0]) for u in units]
    assert firsts == [
        ("pkg/app.py", "def create_app(config):"),
        ("pkg/app.py", "def settings():"),  # nested in the factory: a unit of its own, dedented
        ("pkg/server.js", '(req, res) => {'),
        ("pkg/status.go", "func Status(w http.ResponseWriter, r *http.Request) {"),
    ]
    nested = units[1]
    assert nested.start_row == 7 and nested.text.startswith("def settings():\n    \"\"\"")
    assert Document(nested.text, get_language("python")).tree.root_node.has_error is False


def test_each_ecosystem_holds_out_whole_packages() -> None:
    for ecosystem in {p.ecosystem for p in PINNED}:
        splits = {split_of(p) for p in PINNED if p.ecosystem == ecosystem}
        assert splits == {"train", "test"}, ecosystem
    assert split_of(PINNED[0]) == split_of(PINNED[0], tuple(reversed(PINNED)))  # order does not matter


def test_fetch_keeps_what_it_has_and_records_what_it_cannot_get(tmp_path: Path) -> None:
    kept = Package("pypi", "demo", "1.0", "MIT")
    have = tmp_path / "pypi" / "demo-1.0"
    _tree(have / "src")
    (have / ".sha256").write_text("ab" * 32, encoding="utf-8")
    record = fetch(tmp_path, (kept, Package("cran", "x", "1", "GPL")))
    assert record[0]["sha256"] == "ab" * 32 and "error" not in record[0]
    assert "unknown ecosystem" in record[1]["error"]
    assert json.loads((tmp_path / "corpus.json").read_text(encoding="utf-8")) == record


def test_a_mutated_real_function_is_labelled_by_the_analyzers() -> None:
    unit = RealUnit("pypi:demo", "app.py", "python", 0, FACTORY)
    [(safe, variant)] = list(mutations(unit))
    assert safe == "yaml.safe_load(" and "yaml.load(request.data)" in variant
    found = labelled(unit, variant, f"mutation:{safe}", Analyzer())
    assert found is not None and {f.category for f in found.new} == {"insecure-deserialization"}
    assert labelled(unit, unit.text, "none", Analyzer()) is None  # nothing new: no variant


def test_injection_uses_the_functions_own_names_and_keeps_it_parsing() -> None:
    for language, text in (("python", FACTORY.split("\n\n\n", 1)[1]), ("go", GO.split("\n\n", 1)[1])):
        unit = RealUnit("demo", "f", language, 0, text)
        module_kinds = {"python": "weak-hash", "go": "tls-skip-verify"}
        variant = inject(unit, module_kinds[language], random.Random(3), "test")
        assert variant is not None and variant != text
        assert Document(variant, get_language(language)).tree.root_node.has_error is False
        found = labelled(unit, variant, "injection", Analyzer())
        assert found is not None and found.new, variant


def test_real_code_samples_and_their_evaluation_by_origin(tmp_path: Path) -> None:
    demo = Package("pypi", "demo", "1.0", "MIT")
    other = Package("pypi", "other", "1.0", "MIT")
    held_out = demo if split_of(demo, (demo, other)) == "test" else other
    _tree(tmp_path / "pypi" / f"{held_out.name}-1.0" / "src")
    units = draw(tmp_path, "test", 10, seed=7, packages=(demo, other))
    assert {u.package for u in units} == {held_out.key}
    made = list(samples(units, "test", seed=7))
    reviews = [s for s in made if s.task == "review"]
    assert len(reviews) == len(units) and {s.kind for s in reviews} <= {"review:injected", "review:mutated",
                                                                        "review:as written"}
    metrics = evaluate(ModelSlot(), made)
    assert sum(c["n"] for c in metrics["review_by_origin"].values()) == len(reviews)
    assert [gate for gate, _, _ in real_gate_report(metrics)] == [
        "real code: REVIEW precision >= 0.8", "real code: REVIEW recall >= 0.5", "real code: FIX verified >= 80%"]


def test_eval_without_a_corpus_says_how_to_get_one(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "coderev.server.cli", "model", "eval", "--real-code", str(tmp_path)],
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 2
    assert "DAT002" in done.stderr and f"coderev model corpus --cache {tmp_path}" in done.stderr
