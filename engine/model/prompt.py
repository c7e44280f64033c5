"""The one prompt and output format shared by every model slot (docs/adr/0004).

Requests::

    FIX <rule-id>            REVIEW
    <code region>            <numbered function: "<n>| <line>">
    ANSWER                   ANSWER

Answers (the model generates these, and a bigger model can be prompted to produce them)::

    FIX                      REVIEW
    <replacement region>     CWE-89 L4 sql-injection      (one line per finding)
    END                      END                          ("NONE" when there is nothing)
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass

FORMAT_NAME = "coderev-line-v1"
ANSWER = "ANSWER"
END = "END"
_REVIEW_LINE = re.compile(r"^CWE-(\d+) L(\d+) ([a-z0-9-]+)$")


@dataclass(frozen=True, slots=True)
class ReviewItem:
    cwe: int
    line: int  # 1-based, relative to the function
    message: str


def dedent_region(region: str) -> tuple[str, str]:
    """(common indentation, dedented region)."""
    lines = [line for line in region.splitlines() if line.strip()]
    indent = ""
    if lines:
        indent = min((line[: len(line) - len(line.lstrip())] for line in lines), key=len)
    return indent, textwrap.dedent(region)


def reindent(region: str, indent: str) -> str:
    return "".join(indent + line if line.strip() else line for line in region.splitlines(keepends=True))


def fix_prompt(rule_id: str, region: str) -> str:
    """``region`` is already abstracted and dedented; it ends with a newline."""
    return f"FIX {rule_id}\n{region.rstrip(chr(10))}\n{ANSWER}\n"


def fix_answer(replacement: str) -> str:
    return f"FIX\n{replacement.rstrip(chr(10))}\n{END}\n"


def number_lines(function: str) -> str:
    return "".join(f"{i}| {line}\n" for i, line in enumerate(function.splitlines(), start=1))


def review_prompt(function: str) -> str:
    """``function`` is already abstracted."""
    return f"REVIEW\n{number_lines(function)}{ANSWER}\n"


def review_answer(items: list[ReviewItem]) -> str:
    body = "\n".join(f"CWE-{i.cwe} L{i.line} {i.message}" for i in items) if items else "NONE"
    return f"REVIEW\n{body}\n{END}\n"


def parse_fix(answer: str) -> str | None:
    """The replacement region of a FIX answer, or None when it does not follow the format."""
    lines = answer.split("\n")
    if not lines or lines[0].strip() != "FIX":
        return None
    try:
        end = lines.index(END, 1)
    except ValueError:
        return None
    return "\n".join(lines[1:end]) + "\n"


def parse_review(answer: str) -> list[ReviewItem] | None:
    """The findings of a REVIEW answer, or None when it does not follow the format."""
    lines = [line.strip() for line in answer.split("\n")]
    if not lines or lines[0] != "REVIEW" or END not in lines:
        return None
    body = lines[1 : lines.index(END)]
    if body == ["NONE"]:
        return []
    items: list[ReviewItem] = []
    for line in body:
        match = _REVIEW_LINE.match(line)
        if match is None:
            return None
        items.append(ReviewItem(int(match.group(1)), int(match.group(2)), match.group(3)))
    return items
