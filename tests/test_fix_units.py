"""The unit the editor sends for an AI fix: the top-level unit holding the finding, the finding
found again in it alone, and the file's SQL placeholder style."""

from __future__ import annotations

from coderev.analyzers import Analyzer, Document, get_language
from coderev.analyzers.finding import Finding
from coderev.analyzers.fix_units import fix_unit
from coderev.analyzers.paramstyle import ParamStyle

ANALYZER = Analyzer()
SOURCE = '''import sqlite3
import hashlib


def helper():
    return 1


class Store:
    def name_of(self, cur, uid):
        cur.execute("SELECT name FROM users WHERE id = '%s'" % uid)

    def digest(self, data):
        return hashlib.md5(data).hexdigest()
'''


def _finding(document: Document, rule: str) -> Finding:
    return next(f for f in ANALYZER.analyze(document) if f.rule_id.endswith(rule))


def test_the_unit_is_the_top_level_class_with_the_finding_relative_to_it() -> None:
    document = Document(SOURCE, get_language("python"))
    finding = _finding(document, "weak-hash")
    unit = fix_unit(document.snapshot(), finding, ANALYZER)
    assert unit is not None
    assert unit.text.startswith("class Store:") and unit.text.rstrip().endswith("hexdigest()")
    assert SOURCE.encode()[unit.start:unit.end].decode() == unit.text
    local = unit.finding
    assert local.rule_id == finding.rule_id
    assert unit.text.encode()[local.span.start_byte:local.span.end_byte] == \
        SOURCE.encode()[finding.span.start_byte:finding.span.end_byte]
    assert local.span.start_row == finding.span.start_row - SOURCE[:unit.start].count("\n")


def test_the_style_is_the_whole_files_driver_even_where_the_unit_lacks_the_import() -> None:
    document = Document(SOURCE, get_language("python"))
    unit = fix_unit(document.snapshot(), _finding(document, "percent-formatted-query"), ANALYZER)
    assert unit is not None and "import sqlite3" not in unit.text
    assert unit.style is ParamStyle.QMARK


def test_a_finding_the_unit_alone_does_not_show_gets_no_unit() -> None:
    document = Document(SOURCE, get_language("python"))
    finding = _finding(document, "weak-hash")
    elsewhere = Document(SOURCE.replace("hashlib.md5(data)", "hashlib.sha256(data)"), get_language("python"))
    assert fix_unit(elsewhere.snapshot(), finding, ANALYZER) is None
