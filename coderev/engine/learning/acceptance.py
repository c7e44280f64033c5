"""The acceptance model: an online logistic regression that predicts P(the user accepts this).

Each accept or dismiss is one AdaGrad step on a sparse, hashed weight vector, so learning is
instant (the next diagnostics already reflect it), costs microseconds, and needs no batch pass
over the history. Weights live in a plain ``dict`` keyed by feature hash; only features the user
has actually met take memory. The state round-trips through JSON (:meth:`to_dict`), never pickle:
a cache file must not be able to run code when loaded (see ``docs/adr/0009-acceptance-model.md``
for why this is not scikit-learn).

Feature values: each structured feature (rule, family, language, ...) counts 1, while the bag of
context tokens shares a total weight of 1 (each token ``1/sqrt(n)``), so a long context cannot
outvote what kind of finding it is. L2 shrinkage is applied to the weights a step touches (the
usual lazy form for sparse online learning), which keeps rarely seen weights from growing
without bound while leaving untouched ones alone.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

FORMAT = "coderev.acceptance"
VERSION = 1
HASH_BITS = 20
_Z_LIMIT = 35.0  # |z| beyond this changes nothing in float64 and risks overflow in exp


def sigmoid(z: float) -> float:
    """The logistic function, without overflow for any finite or infinite ``z``."""
    z = max(-_Z_LIMIT, min(_Z_LIMIT, z))
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def _hash(name: str) -> int:
    return zlib.crc32(name.encode("utf-8", "surrogatepass")) & ((1 << HASH_BITS) - 1)


def _family(features: Iterable[str]) -> str:
    for name in features:
        if name.startswith("family="):
            return name[len("family=") :]
    return ""


@dataclass(frozen=True, slots=True)
class Evidence:
    """How often the user acted on one rule family."""

    accepts: int = 0
    dismissals: int = 0

    @property
    def total(self) -> int:
        return self.accepts + self.dismissals


class AcceptanceModel:
    """Online logistic regression over hashed binary features. Not thread-safe: the learner
    serializes access."""

    def __init__(self, *, learning_rate: float = 0.3, l2: float = 1e-3) -> None:
        if learning_rate <= 0 or l2 < 0:
            raise ValueError(f"learning_rate must be > 0 and l2 >= 0, got {learning_rate}, {l2}")
        self.learning_rate = learning_rate
        self.l2 = l2
        self.bias = 0.0
        self._bias_g2 = 0.0
        self._w: dict[int, float] = {}
        self._g2: dict[int, float] = {}  # AdaGrad: sum of squared gradients per weight
        self._evidence: dict[str, Evidence] = {}
        self.updates = 0

    # -- the model -------------------------------------------------------------------------
    @staticmethod
    def _values(features: Iterable[str]) -> dict[int, float]:
        names = list(dict.fromkeys(features))
        tokens = [n for n in names if n.startswith("tok=")]
        token_value = 1.0 / math.sqrt(len(tokens)) if tokens else 0.0
        values: dict[int, float] = {}
        for name in names:
            key = _hash(name)
            values[key] = values.get(key, 0.0) + (token_value if name.startswith("tok=") else 1.0)
        return values

    def _margin(self, values: Mapping[int, float]) -> float:
        return self.bias + sum(self._w.get(k, 0.0) * x for k, x in values.items())

    def predict(self, features: Iterable[str]) -> float:
        """P(accept) for a finding with these features; 0.5 before any evidence."""
        return sigmoid(self._margin(self._values(features)))

    def update(self, features: Iterable[str], accepted: bool, *, family: str | None = None) -> float:
        """One learning step; returns the prediction made before it. ``family`` (by default the
        ``family=`` feature) is credited with the event in the evidence counts."""
        names = tuple(features)
        values = self._values(names)
        p = sigmoid(self._margin(values))
        error = p - (1.0 if accepted else 0.0)  # d(log loss)/dz
        rate = self.learning_rate
        self._bias_g2 += error * error
        self.bias -= rate * error / math.sqrt(self._bias_g2 + 1e-12)
        for key, x in values.items():
            w = self._w.get(key, 0.0)
            grad = error * x + self.l2 * w
            g2 = self._g2.get(key, 0.0) + grad * grad
            self._g2[key] = g2
            w -= rate * grad / math.sqrt(g2 + 1e-12)
            self._w[key] = w
        name = _family(names) if family is None else family
        if name:
            old = self._evidence.get(name, Evidence())
            self._evidence[name] = Evidence(old.accepts + int(accepted), old.dismissals + int(not accepted))
        self.updates += 1
        return p

    # -- evidence --------------------------------------------------------------------------
    def evidence(self, family: str) -> Evidence:
        return self._evidence.get(family, Evidence())

    def families(self) -> dict[str, Evidence]:
        """Events seen per family."""
        return dict(self._evidence)

    # -- persistence -----------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe snapshot. Floats are kept exact (JSON round-trips Python floats), so a
        restarted server predicts exactly what it predicted before."""
        return {
            "format": FORMAT,
            "version": VERSION,
            "learning_rate": self.learning_rate,
            "l2": self.l2,
            "hash_bits": HASH_BITS,
            "updates": self.updates,
            "bias": [self.bias, self._bias_g2],
            "weights": {str(k): [w, self._g2[k]] for k, w in self._w.items()},
            "evidence": {f: [e.accepts, e.dismissals] for f, e in sorted(self._evidence.items())},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AcceptanceModel:
        """Rebuild from :meth:`to_dict`; raises ``ValueError`` for anything else (another format
        or version, missing or mistyped fields, non-finite numbers)."""
        if data.get("format") != FORMAT or data.get("version") != VERSION or data.get("hash_bits") != HASH_BITS:
            raise ValueError(f"not a {FORMAT} v{VERSION} state: {str(dict(data))[:80]}")
        try:
            model = cls(learning_rate=float(data["learning_rate"]), l2=float(data["l2"]))
            model.updates = int(data["updates"])
            model.bias, model._bias_g2 = (float(v) for v in data["bias"])
            for key, (w, g2) in dict(data["weights"]).items():
                model._w[int(key)], model._g2[int(key)] = float(w), float(g2)
            for family, (accepts, dismissals) in dict(data["evidence"]).items():
                model._evidence[str(family)] = Evidence(int(accepts), int(dismissals))
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"malformed {FORMAT} state: {exc}") from exc
        numbers = [model.bias, model._bias_g2, *model._w.values(), *model._g2.values()]
        if not all(math.isfinite(v) for v in numbers) or any(v < 0 for v in (model._bias_g2, *model._g2.values())):
            raise ValueError(f"malformed {FORMAT} state: non-finite or negative numbers")
        return model
