"""The acceptance model, its features and the policy, on real findings from the real analyzers."""

from __future__ import annotations

import json
import math

import pytest

from coderev.analyzers import Analyzer, Document, get_language
from coderev.analyzers.finding import Finding
from coderev.engine.feedback import EventKind, FeedbackEvent
from coderev.engine.learning.acceptance import AcceptanceModel, Evidence, sigmoid
from coderev.engine.learning.features import (
    MAX_TOKENS,
    FeatureContext,
    context_tokens,
    family_of,
    features,
    finding_context,
    path_features,
)
from coderev.engine.learning.policy import Action, Thresholds, decide, rerank

SOURCE = """import hashlib
import yaml

def digest(data):
    return hashlib.md5(data).hexdigest()

def load(s):
    return yaml.load(s)
"""


@pytest.fixture(scope="module")
def findings() -> dict[str, Finding]:
    found = Analyzer().analyze(Document(SOURCE, get_language("python")))
    return {f.category: f for f in found}


def test_sigmoid_is_safe_and_monotonic() -> None:
    values = [sigmoid(z) for z in (-math.inf, -1e9, -40.0, -1.0, 0.0, 1.0, 40.0, 1e9, math.inf)]
    assert values == sorted(values)
    assert values[4] == 0.5 and 0.0 < values[0] < 1e-12 and 1.0 - 1e-12 < values[-1] <= 1.0


def test_event_and_live_finding_get_the_same_features(findings: dict[str, Finding]) -> None:
    weak = findings["weak-crypto"]
    context = finding_context(SOURCE.encode(), weak.span.start_row)
    assert "hashlib.md5" in context
    live = FeatureContext.from_finding(weak, path="/ws/app/crypto.py", context=context)
    event = FeedbackEvent(
        kind=EventKind.DISMISS, rule_id=weak.rule_id, fingerprint=weak.fingerprint, language=weak.language,
        context=context, fix={"description": "d", "safe": True, "edits": []}, path="/ws/app/crypto.py",
        severity=str(weak.severity), category=weak.category,
    )
    assert features(FeatureContext.from_event(event)) == features(live)
    names = features(live)
    assert "family=weak-crypto" in names and "fix=template" in names and "ext=.py" in names
    # An event stored before severity/category existed still lands in the same family.
    old = FeedbackEvent.from_dict({k: v for k, v in event.to_dict().items() if k not in {"severity", "category"}})
    assert FeatureContext.from_event(old).family == "weak-crypto"


def test_token_bag_is_bounded_and_ignores_keywords() -> None:
    text = " ".join(f"ident_{i}" for i in range(200)) + " return self function"
    tokens = context_tokens(text)
    assert len(tokens) == MAX_TOKENS and tokens[0] == "ident_0"
    assert not {"return", "self", "function"} & set(context_tokens("return self function value"))
    ctx = FeatureContext("r.f.n", "f", "python", "warning", "none", "", text)
    assert sum(n.startswith("tok=") for n in features(ctx)) <= MAX_TOKENS


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("tests/test_app.py", (".py", "tests", True)),
        ("pkg/server_test.go", (".go", "pkg", True)),
        ("web/src/api.spec.ts", (".ts", "web", True)),
        ("src/main/java/AccountTest.java", (".java", "src", True)),
        ("app/views.py", (".py", "app", False)),
        ("/home/u/proj/app/views.py", (".py", "app", False)),
        ("Makefile", ("-", "-", False)),
    ],
)
def test_path_features(path: str, expected: tuple[str, str, bool]) -> None:
    assert path_features(path) == expected


def test_family_of() -> None:
    assert family_of("python.weak-crypto.weak-hash") == "weak-crypto"
    assert family_of("x.y.z", "given") == "given"
    assert family_of("odd") == "odd"


def test_learns_which_findings_get_accepted(findings: dict[str, Finding]) -> None:
    model = AcceptanceModel()
    accepted = features(FeatureContext.from_finding(findings["insecure-deserialization"], path="app/load.py"))
    dismissed = features(FeatureContext.from_finding(findings["weak-crypto"], path="app/crypto.py"))
    assert model.predict(accepted) == model.predict(dismissed) == 0.5
    for _ in range(10):
        model.update(accepted, True)
        model.update(dismissed, False)
    assert model.predict(accepted) > 0.8 > 0.2 > model.predict(dismissed)
    assert model.evidence("weak-crypto") == Evidence(accepts=0, dismissals=10)
    assert model.evidence("insecure-deserialization") == Evidence(accepts=10, dismissals=0)
    assert model.families().keys() == {"weak-crypto", "insecure-deserialization"}


def test_state_round_trips_through_json(findings: dict[str, Finding]) -> None:
    model = AcceptanceModel()
    names = features(FeatureContext.from_finding(findings["weak-crypto"], context="hashlib.md5(data)"))
    for i in range(7):
        model.update(names, i % 3 == 0)
    text = json.dumps(model.to_dict(), allow_nan=False)
    again = AcceptanceModel.from_dict(json.loads(text))
    assert again.predict(names) == pytest.approx(model.predict(names), abs=1e-8)
    assert again.evidence("weak-crypto") == model.evidence("weak-crypto") == Evidence(3, 4)
    assert again.updates == 7


@pytest.mark.parametrize(
    "damage",
    [
        lambda d: d.update(version=99),
        lambda d: d.update(format="pickle"),
        lambda d: d.pop("weights"),
        lambda d: d.update(bias=["x", 1.0]),
        lambda d: d.update(weights={"12": [float("nan"), 1.0]}),
        lambda d: d.update(evidence={"f": "not a pair"}),
    ],
)
def test_malformed_state_is_rejected(damage: object) -> None:
    model = AcceptanceModel()
    model.update(("family=f", "rule=a.f.b"), False)
    data = model.to_dict()
    damage(data)  # type: ignore[operator]
    with pytest.raises(ValueError, match="state"):
        AcceptanceModel.from_dict(data)


def test_policy_needs_evidence_before_demoting() -> None:
    assert decide(0.01, Evidence(0, 2), "f").action is Action.KEEP  # two dismissals are not enough
    assert decide(0.30, Evidence(0, 3), "f").action is Action.HINT
    assert decide(0.30, Evidence(0, 9), "f").action is Action.HINT  # not improbable enough to hide
    assert decide(0.10, Evidence(0, 7), "f").action is Action.HINT  # not enough dismissals to hide
    assert decide(0.10, Evidence(0, 8), "f").action is Action.HIDE
    assert decide(0.10, Evidence(3, 9), "f").action is Action.HINT  # accepts: share below 80%
    assert decide(0.10, Evidence(6, 6), "f").action is Action.KEEP  # share below 60%
    assert decide(0.50, Evidence(0, 20), "f").action is Action.KEEP
    assert "8 dismissed" in decide(0.1, Evidence(0, 8), "weak-crypto").reason
    with pytest.raises(ValueError, match="hide_below"):
        Thresholds(hint_below=0.1, hide_below=0.3)


def test_rerank_orders_by_probability_and_keeps_ties_stable() -> None:
    assert rerank(["template", "ai"], [0.4, 0.7]) == [("ai", 0.7), ("template", 0.4)]
    assert rerank(["template", "ai"], [0.5, 0.5]) == [("template", 0.5), ("ai", 0.5)]
    with pytest.raises(ValueError, match="candidates"):
        rerank(["a"], [0.1, 0.2])
