"""Hypothesis profiles for every property test in tests/.

- ``ci`` (loaded by default, and so by ``make test``): derandomized, with no example database,
  so every run on every machine tries exactly the same examples (each test's explicit
  ``@example`` cases first); a failure prints its reproduction blob.
- ``fuzz``: fresh random examples, 50 times as many, for long runs:
  ``HYPOTHESIS_PROFILE=fuzz .venv/bin/pytest tests/test_incremental.py`` (or
  ``--hypothesis-profile=fuzz``). A case it finds becomes an explicit ``@example``.

A property test asks for its example count through :func:`budget`, so that it keeps its own
count under ``ci`` and grows with the profile.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

CI_EXAMPLES = 100

settings.register_profile(
    "ci",
    derandomize=True,
    database=None,
    print_blob=True,
    deadline=None,
    max_examples=CI_EXAMPLES,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "fuzz",
    derandomize=False,
    print_blob=True,
    deadline=None,
    max_examples=50 * CI_EXAMPLES,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def budget(ci_examples: int) -> int:
    """A test's example count: ``ci_examples`` under ``ci``, scaled with the loaded profile."""
    return max(1, ci_examples * settings().max_examples // CI_EXAMPLES)
