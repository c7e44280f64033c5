"""Source files in other encodings: Python's BOM and PEP 263 declarations are honoured as the
interpreter honours them, findings sit at the right place, and ``--fix`` writes the file back in
its own encoding."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from coderev.analyzers.workspace import Encoding, Skip, decode_with_encoding

CODEREV = str(Path(sys.executable).with_name("coderev"))
BODY = 'import yaml\n\ndef load(data):\n    name = "café €"; return yaml.load(data)\n'


def scan(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([CODEREV, "scan", "--no-progress", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=120, check=False)


@pytest.mark.parametrize(
    ("name", "data", "expected"),
    [
        ("a.py", ("# -*- coding: latin-1 -*-\n" + BODY.replace(" €", "")).encode("latin-1"), Encoding("iso8859-1")),
        ("b.py", ("#!/usr/bin/env python\n# vim: set fileencoding=cp1252 :\n" + BODY).encode("cp1252"),
         Encoding("cp1252")),
        ("c.py", b"\xef\xbb\xbf" + BODY.encode(), Encoding("utf-8", bom=True)),
        ("d.js", b"\xef\xbb\xbfconst a = 1;\n", Encoding("utf-8", bom=True)),
        ("e.py", BODY.encode(), Encoding("utf-8")),
        # a declaration on line 3 does not count (PEP 263), so this is UTF-8 and é is valid there
        ("f.py", ("\n\n# coding: latin-1\n" + BODY).encode(), Encoding("utf-8")),
    ],
)
def test_files_decode_as_their_reader_decodes_them(name: str, data: bytes, expected: Encoding) -> None:
    decoded = decode_with_encoding(Path(name), data)
    assert not isinstance(decoded, Skip), decoded
    text, encoding = decoded
    assert encoding == expected
    assert encoding.encode(text) == data  # round trip, byte for byte


def test_bad_declarations_and_bytes_are_skips_with_the_reason() -> None:
    unknown = decode_with_encoding(Path("a.py"), b"# coding: klingon\nx = 1\n")
    assert isinstance(unknown, Skip) and unknown.code == "ANA004" and "klingon" in unknown.detail
    invalid = decode_with_encoding(Path("b.js"), b"x = '\xe9'\n")
    assert isinstance(invalid, Skip) and invalid.code == "ANA004" and "byte 5" in invalid.detail
    # a UTF-8 BOM next to a declaration of another encoding is an error for Python too
    both = decode_with_encoding(Path("c.py"), b"\xef\xbb\xbf# coding: latin-1\nx = 1\n")
    assert isinstance(both, Skip) and both.code == "ANA004"


def test_scan_finds_reports_and_fixes_in_the_files_own_encoding(tmp_path: Path) -> None:
    latin = tmp_path / "latin.py"
    latin.write_bytes(("# -*- coding: latin-1 -*-\n" + BODY.replace(" €", "")).encode("latin-1"))
    bom = tmp_path / "bom.py"
    bom.write_bytes(b"\xef\xbb\xbf" + BODY.encode())
    result = scan("--format", "json", ".", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    assert report["skipped"] == []
    found = {(f["path"], f["start"]["line"], f["start"]["column"]) for f in report["findings"]}
    # columns count characters: "é" (two bytes in UTF-8, one in latin-1) and "€" (three) are one column
    assert found == {("latin.py", 5, 27), ("bom.py", 4, 29)}
    text = scan(".", cwd=tmp_path).stdout
    assert '+     name = "café"; return yaml.safe_load(data)' in text
    fixed = scan("--fix", ".", cwd=tmp_path)
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert latin.read_bytes() == ("# -*- coding: latin-1 -*-\n" + BODY.replace(" €", "")).replace(
        "yaml.load", "yaml.safe_load").encode("latin-1")
    assert bom.read_bytes() == b"\xef\xbb\xbf" + BODY.replace("yaml.load", "yaml.safe_load").encode()
