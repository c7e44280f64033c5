"""What a file's path says about it: test code, documentation.

Test code is reported at most at warning severity unless ``test-code-errors = true`` (a flow into
a test view is real, but it does not ship); documentation is scanned for secrets only by the
rules that recognize a provider's key format, not by the generic ``password = ...`` rule, whose
matches in prose are examples.
"""

from __future__ import annotations

import re
from pathlib import PurePath

_TEST_DIRS = frozenset({"test", "tests", "testing", "__tests__", "spec", "specs", "testdata", "fixtures"})
_TEST_FILES = re.compile(
    r"^(test_.*\.py|.*_test\.py|conftest\.py|.*_test\.go|.*\.(test|spec)\.[cm]?[jt]sx?|.*Tests?\.java|.*IT\.java)$"
)
_DOC_DIRS = frozenset({"doc", "docs", "documentation"})
_DOC_SUFFIXES = frozenset({".txt", ".md", ".rst", ".xml", ".html", ".htm", ".adoc"})


def is_test_code(path: str | PurePath | None) -> bool:
    """Whether ``path`` is test code: in a test folder, or named as test runners name tests."""
    if path is None:
        return False
    pure = PurePath(path)
    return bool(_TEST_DIRS.intersection(pure.parts[:-1])) or bool(_TEST_FILES.match(pure.name))


def is_documentation(path: str | PurePath | None) -> bool:
    """Whether ``path`` is a documentation page (prose under a doc folder)."""
    if path is None:
        return False
    pure = PurePath(path)
    return pure.suffix.lower() in _DOC_SUFFIXES and bool(_DOC_DIRS.intersection(pure.parts[:-1]))
