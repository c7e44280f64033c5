"""The learning measurement of issue 7: a simulated user who always dismisses one rule family.

    python bench/learning_sim.py [--root DIR] [--family NAME] [--dismissals N] [--seed N]

Prints, per family, how many findings are visible before any feedback and after the dismissals
(for the dismissed family: held-out findings the user never dismissed; for the others: findings
kept at full severity), then the reduction and the other families' recall. Exits 1 if the
targets are missed (>= 80% fewer of the dismissed family, other families unchanged). The
simulation itself is ``coderev/engine/learning/simulate.py``, shared with ``tests/engine/test_learning_sim.py``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from coderev.engine.learning.simulate import DEFAULT_DISMISSALS, run_simulation

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--root", type=Path, default=FIXTURES, help="workspace to scan (default: tests/fixtures)")
    parser.add_argument("--family", help="the family the user dismisses (default: the most frequent)")
    parser.add_argument("--dismissals", type=int, default=DEFAULT_DISMISSALS)
    parser.add_argument("--seed", type=int, default=7, help="seed of the review order and the held-out split")
    args = parser.parse_args(argv)
    result = run_simulation(args.root, target=args.family, dismissals=args.dismissals, seed=args.seed)
    print(result.table())
    print("PASS" if result.passed else "FAIL")
    return 0 if result.passed else 1


if __name__ == "__main__":
    sys.exit(main())
