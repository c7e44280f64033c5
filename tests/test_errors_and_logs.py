"""The error catalogue is complete and documented; logs are structured JSON."""

from __future__ import annotations

import io
import json
import logging
import re
from pathlib import Path

import pytest

from coderev.analyzers.errors import CATALOGUE, CoderevError, catalogue_markdown
from coderev.engine import logs

ROOT = Path(__file__).resolve().parent.parent


def test_every_code_used_in_the_code_is_catalogued() -> None:
    used = set()
    for path in ROOT.glob("coderev/**/*.py"):
        used |= set(re.findall(r'CoderevError\(\s*"([A-Z]+\d{3})"', path.read_text()))
    assert used, "no catalogued errors found in the code"
    assert used <= set(CATALOGUE), used - set(CATALOGUE)
    assert all(re.fullmatch(r"(AUTH|ANA|PRV|DAT|DEP|SYS)\d{3}", code) for code in CATALOGUE)


def test_errors_render_code_detail_and_remedy() -> None:
    error = CoderevError("ANA004", "x.py: invalid UTF-8 at byte 3")
    assert str(error).startswith("ANA004 File skipped: not valid text in its encoding: x.py")
    assert error.spec.remedy in str(error)
    with pytest.raises(ValueError):
        CoderevError("NOPE001", "x")


def test_docs_errors_md_is_generated_from_the_catalogue() -> None:
    assert (ROOT / "docs" / "errors.md").read_text() == catalogue_markdown()


def test_json_log_lines_carry_code_and_extras(tmp_path: Path) -> None:
    stream = io.StringIO()
    log_file = tmp_path / "logs" / "coderev.jsonl"
    logger = logs.configure("info", "json", stream=stream, file=log_file)
    logging.getLogger("coderev.test").warning("skipped %s", "a.py", extra={"code": "ANA003", "size": 3})
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        logging.getLogger("coderev.test").exception("failed")
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert lines[0]["message"] == "skipped a.py" and lines[0]["code"] == "ANA003" and lines[0]["size"] == 3
    assert lines[0]["level"] == "warning" and lines[0]["logger"] == "coderev.test"
    assert "RuntimeError: boom" in lines[1]["exception"]
    for handler in logger.handlers:
        handler.flush()
    assert json.loads(log_file.read_text().splitlines()[0])["code"] == "ANA003"
    logs.configure()  # back to plain text on stderr


def test_text_log_format() -> None:
    stream = io.StringIO()
    logs.configure("warning", "text", stream=stream)
    logging.getLogger("coderev.x").error("bad thing")
    assert stream.getvalue() == "coderev: ERROR: bad thing\n"
    logs.configure()
