"""AI review on real code: the model's REVIEW findings over every function of the bundled example
app and the test fixtures, set against the rules' findings on the same functions.

    python bench/review_on_fixtures.py [--slot DIR] [--baseline DIR] [--show]

The held-out gates of ``coderev model eval`` are measured on synthetic functions; this is the
other view: hand-written code of the shapes real projects have. A model finding is "on a rule
line" when a rule reports something on the same line; the others are printed with ``--show`` for
a person to judge (some are real findings the rules report on another line, most are safe code).
``--baseline`` reviews the same functions with a second slot in the same invocation.
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from coderev.analyzers import Analyzer, Document
from coderev.analyzers.languages import language_for_path
from coderev.engine.model.slot import ModelSlot
from coderev.server.lsp import ai_review

REPO = Path(__file__).resolve().parent.parent
ROOTS = (REPO / "examples", REPO / "tests" / "fixtures")
# The fixtures mark their expected findings in comments (tests/test_fixture_apps.py); the model
# must not be handed the answers, so the markers are blanked out (same length: lines stay put).
MARKER = re.compile(r"/\*\s*expect(-not)?:.*?\*/|(//|#)\s*expect(-not)?:[^\n]*")


@dataclass
class Tally:
    functions: int = 0
    items: int = 0
    on_rule_line: int = 0
    rule_lines: int = 0
    rule_lines_found: int = 0
    elsewhere: list[str] = field(default_factory=list)


def review(slot: ModelSlot) -> Tally:
    analyzer = Analyzer()
    tally = Tally()
    languages = set(slot.manifest.get("review_languages", [])) | {"typescript"}
    for root in ROOTS:
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            language = language_for_path(path)
            if language is None or language.id not in languages:
                continue
            text = MARKER.sub(lambda m: " " * len(m.group(0)), path.read_text(encoding="utf-8"))
            document = Document(text, language)
            rule_rows = {f.span.start_row for f in analyzer.analyze(document)}
            source = document.text.encode("utf-8")
            for node in ai_review.functions(document.snapshot()):  # what the editor sends to review
                first, text = node.start_point.row, source[node.start_byte : node.end_byte].decode("utf-8")
                tally.functions += 1
                lines = text.count("\n") + 1
                expected = {row - first + 1 for row in rule_rows if first <= row < first + lines}
                items = slot.review(text, language.id) or []
                found = {i.line for i in items}
                tally.items += len(items)
                tally.rule_lines += len(expected)
                tally.rule_lines_found += len(expected & found)
                for item in items:
                    if item.line in expected:
                        tally.on_rule_line += 1
                    else:
                        line = text.split("\n")[item.line - 1].strip()
                        tally.elsewhere.append(f"{path.relative_to(REPO)}:{first + item.line} CWE-{item.cwe} "
                                               f"{item.message}: {line[:90]}")
    return tally


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--slot", type=Path, default=None, help="slot directory (default: the packaged slot)")
    parser.add_argument("--baseline", type=Path, default=None, help="a second slot to compare with")
    parser.add_argument("--show", action="store_true", help="print the findings on lines no rule flags")
    args = parser.parse_args()
    slots = [("slot", args.slot)] + ([("baseline", args.baseline)] if args.baseline else [])
    for label, path in slots:
        slot = ModelSlot(path)
        tally = review(slot)
        name = f"{slot.manifest['name']} {slot.manifest['version']}"
        share = tally.on_rule_line / tally.items if tally.items else 1.0
        print(f"{label} {name}: {tally.functions} functions, {tally.items} findings, "
              f"{tally.on_rule_line} on a line a rule flags ({100 * share:.0f}%), {len(tally.elsewhere)} elsewhere; "
              f"rule-flagged lines also found by the model: {tally.rule_lines_found} of {tally.rule_lines}")
        if args.show:
            for line in tally.elsewhere:
                print(f"    {line}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
