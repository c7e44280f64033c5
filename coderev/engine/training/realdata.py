"""Training and held-out samples from real functions (issue 20).

Units of the fetched corpus (:mod:`coderev.engine.training.realcode`) are drawn per language from
one split; each becomes a labelled vulnerable variant (:mod:`coderev.engine.training.mutate`) or
stays as it is, a real negative (whatever the analyzers find in it is its label). Held-out samples
are whole functions for REVIEW, the way the editor sends them, and one FIX request per new finding
whose rule fix verifies; training samples are REVIEW statement windows and FIX pairs.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

from coderev.analyzers.analysis import Analyzer
from coderev.analyzers.document import Document
from coderev.analyzers.languages import get_language
from coderev.engine.model.vocabulary import family as family_of
from coderev.engine.training.data import fix_sample, review_sample, review_window_samples
from coderev.engine.training.mutate import variants
from coderev.engine.training.realcode import PINNED, Package, RealUnit, corpus_units
from coderev.engine.training.sample import Sample

# Share of the drawn units per language family.
SHARES = {"python": 0.5, "javascript": 0.3, "go": 0.2}
VULNERABLE_SHARE = 0.6  # of the drawn units, made vulnerable; the others stay real negatives


def draw(cache: Path, split: str, n_units: int, seed: int,
         packages: tuple[Package, ...] = PINNED) -> list[RealUnit]:
    """``n_units`` units of ``split``, by ``SHARES`` of family, deterministic for ``seed``."""
    pools: dict[str, list[RealUnit]] = defaultdict(list)
    for unit_split, unit in corpus_units(cache, packages):
        if unit_split == split:
            pools[family_of(unit.language)].append(unit)
    rng = random.Random(f"{seed}:draw:{split}")  # noqa: S311 - reproducible sampling
    out: list[RealUnit] = []
    for family, share in SHARES.items():
        pool = pools.get(family, [])
        out += rng.sample(pool, min(len(pool), round(share * n_units)))
    return out


def samples(units: list[RealUnit], split: str, seed: int, analyzer: Analyzer | None = None) -> Iterator[Sample]:
    """The samples of ``units`` (see the module docstring)."""
    analyzer = analyzer or Analyzer()
    rng = random.Random(f"{seed}:real:{split}")  # noqa: S311 - reproducible sampling
    for unit in units:
        spec = get_language(unit.language)
        if spec is None:
            continue
        found = variants(unit, rng, split, analyzer) if rng.random() < VULNERABLE_SHARE else []
        if found:
            variant = rng.choice(found)
            source, findings, new = variant.source, variant.findings, variant.new
            origin = "injected" if variant.how.startswith("injection") else "mutated"
        else:
            source, findings, new = unit.text, analyzer.analyze(Document(unit.text, spec)), []
            origin = "as written"
        if split == "test":
            sample = review_sample(source, findings, split, unit.language)
            sample.kind = f"review:{origin}"  # the evaluation reports each origin apart
            yield sample
        else:
            yield from review_window_samples(source, findings, split, unit.language, rng=rng, negatives=1)
        for finding in new:
            fix = fix_sample(source, finding, analyzer, split, findings)
            if fix is not None:
                yield fix


def real_test_samples(cache: Path, n_units: int = 600, seed: int = 1234) -> list[Sample]:
    """The held-out real-code samples ``coderev model eval --real-code`` measures."""
    return list(samples(draw(cache, "test", n_units, seed), "test", seed))
