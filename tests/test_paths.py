"""Test code and documentation by path: test code is at most warnings unless
``test-code-errors = true``; documentation is scanned only by provider-format secret rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from coderev.analyzers import Analyzer, Document, get_language
from coderev.analyzers.config import AnalysisOptions
from coderev.analyzers.finding import Severity
from coderev.analyzers.languages import language_for_path
from coderev.analyzers.paths import is_documentation, is_test_code

VIEW = "from flask import request\n\n@app.route('/x')\ndef view():\n    return '<b>' + request.args['n'] + '</b>'\n"


@pytest.mark.parametrize(("path", "test"), [
    ("tests/views.py", True), ("app/test/client.py", True), ("test_views.py", True), ("views_test.go", True),
    ("src/app.spec.ts", True), ("web/app.test.js", True), ("src/FooTest.java", True), ("src/FooTests.java", True),
    ("testcode/BenchmarkTest00001.java", False), ("app/views.py", False), ("contest/app.py", False),
    ("src/Testimony.java", False), ("latest.py", False),
])
def test_test_code_by_path(path: str, test: bool) -> None:
    assert is_test_code(path) is test


def test_documentation_by_path() -> None:
    assert is_documentation("docs/ref/settings.txt") and is_documentation("doc/howto.md")
    assert not is_documentation("docs/conf.py") and not is_documentation("config/app.txt")


def _run(path: str, text: str, options: AnalysisOptions | None = None) -> list[Severity]:
    language = language_for_path(path)
    document = Document(text, language if language is not None else get_language("text"))
    return [f.severity for f in Analyzer(options=options).run(document, path=Path(path)).findings]


def test_a_flow_in_test_code_is_a_warning_unless_asked() -> None:
    assert Severity.ERROR in _run("app/views.py", VIEW)
    assert Severity.ERROR not in _run("tests/views.py", VIEW) and Severity.WARNING in _run("tests/views.py", VIEW)
    assert Severity.ERROR in _run("tests/views.py", VIEW, AnalysisOptions(test_code_errors=True))


def test_documentation_is_not_scanned_by_the_generic_credential_rule() -> None:
    text = "Set it in your settings::\n\n    PASSWORD = 'Tr0ub4dor-3x7q-zz'\n    AKIA = 'AKIAIOSFODNN7EXAMPLF'\n"
    assert _run("config/settings.txt", text)  # a configuration file: the generic rule applies
    doc = _run("docs/settings.txt", text)
    assert len(doc) < len(_run("config/settings.txt", text))
