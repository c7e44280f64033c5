"""The committed default slot: hash verification, loading with CTranslate2, real verified fixes."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from coderev.analyzers import Analyzer, Document, get_language
from coderev.analyzers.errors import CoderevError
from coderev.analyzers.fixcheck.structure import verify_source
from coderev.analyzers.paramstyle import ParamStyle
from coderev.engine.model import prompt as fmt
from coderev.engine.model.manifest import read_manifest, verify_slot, write_manifest
from coderev.engine.model.slot import (
    ModelSlot,
    default_slot_path,
    finish_fix,
    finish_review,
    prepare_fix,
    prepare_review,
)

SLOT = default_slot_path()
PY = get_language("python")

# Identifiers (ledger, parcel, voucher, beacon) are from the held-out word pool and never occur in
# training, and the statement (a query inside `with ... as`, its result returned by another line)
# is written by hand, not by the generators. Held-out shapes at scale are measured by
# `coderev model eval` (see the slot manifest's metrics).
HELD_OUT = '''class LedgerStore:
    def archive_parcel(self, parcelVoucher):
        with self.pool.cursor() as beaconCursor:
            beaconCursor.execute("DELETE FROM ledgers WHERE voucher = %s" % parcelVoucher)
            return beaconCursor.rowcount
'''


@pytest.fixture(scope="module")
def slot() -> ModelSlot:
    return ModelSlot()


def test_manifest_describes_the_slot() -> None:
    manifest = verify_slot(SLOT)
    assert manifest["quantization"] == "int8"
    assert manifest["prompt_format"] == "coderev-edit-v4"
    assert manifest["review_windows"] == "statement"
    assert {"model.bin", "tokenizer.model", "config.json"} <= set(manifest["files"])
    assert manifest["training"]["train_data_sha256"]
    assert "int8" in manifest["metrics"]
    size = sum((SLOT / name).stat().st_size for name in manifest["files"])
    assert size < 8_000_000


def test_tampered_slot_is_refused(tmp_path: Path) -> None:
    copy = tmp_path / "slot"
    shutil.copytree(SLOT, copy)
    verify_slot(copy)
    with (copy / "model.bin").open("r+b") as handle:
        handle.seek(200)
        byte = handle.read(1)
        handle.seek(200)
        handle.write(bytes([byte[0] ^ 0xFF]))
    with pytest.raises(CoderevError) as exc:
        ModelSlot(copy)
    assert exc.value.code == "PRV002"
    assert "model.bin" in str(exc.value)


def test_missing_extra_and_unreadable_files(tmp_path: Path) -> None:
    slot = tmp_path / "slot"
    slot.mkdir()
    (slot / "a.bin").write_bytes(b"abc")
    fields = {"name": "t", "version": "0", "architecture": {}, "prompt_format": "x", "quantization": "int8"}
    write_manifest(slot, fields)
    verify_slot(slot)
    (slot / "extra.txt").write_text("x")
    with pytest.raises(CoderevError, match=r"extra\.txt is not in the manifest"):
        verify_slot(slot)
    (slot / "extra.txt").unlink()
    (slot / "a.bin").unlink()
    with pytest.raises(CoderevError, match=r"a\.bin is missing"):
        verify_slot(slot)
    (slot / "manifest.json").write_text("{not json")
    with pytest.raises(CoderevError) as exc:
        read_manifest(slot)
    assert exc.value.code == "DAT003"


@pytest.mark.parametrize(("style", "placeholder"), [
    (ParamStyle.FORMAT, "%s"), (ParamStyle.QMARK, "?"), (ParamStyle.NUMERIC, "$1")])
def test_generates_a_verified_fix_for_a_held_out_example(slot: ModelSlot, style: ParamStyle, placeholder: str) -> None:
    """The file's driver decides the placeholder: the prompt says it, the check holds the model to it."""
    analyzer = Analyzer()
    findings = [f for f in analyzer.analyze(Document(HELD_OUT, PY)) if f.rule_id.endswith("percent-formatted-query")]
    assert findings, "the analyzer should flag the percent-formatted query"
    result = slot.fix(HELD_OUT, findings[0], analyzer, style)
    assert result.verification.verified, (result.verification, result.raw)
    params = "parcelVoucher" if style is ParamStyle.NUMERIC else "(parcelVoucher,)"
    assert result.fixed_source == HELD_OUT.replace('%s" % parcelVoucher)', f'{placeholder}", {params})')


def test_a_fix_in_the_wrong_placeholder_style_is_not_verified(slot: ModelSlot) -> None:
    """The issue's case: '%s' placeholders (quoted, at that) for sqlite3, which binds ?."""
    analyzer = Analyzer()
    source = 'def name_of(cur, uid):\n    cur.execute("SELECT name FROM users WHERE id = \'%s\'" % uid)\n'
    finding = next(f for f in analyzer.analyze(Document(source, PY)) if f.rule_id.endswith("percent-formatted-query"))
    request = prepare_fix(source, finding, ParamStyle.QMARK)
    quoted = finish_fix(request, "FIX\n<<<  % ID1\n>>> , (ID1,)\nEND\n", analyzer)
    assert not quoted.verification.verified and "inside quotes" in quoted.verification.problem


# Hand-written units in the other languages, with held-out words: (language, source, rule, fixed).
OTHER_LANGUAGES = [
    ("javascript", "export function mountBeacon(panel, harborEvent) {\n  panel.innerHTML = harborEvent.detail;\n}\n",
     "xss.inner-html-assignment", "innerHTML", "textContent"),
    ("go", "func dialHarbor(addr string) (*tls.Conn, error) {\n\tcfg := &tls.Config{InsecureSkipVerify: true, "
     "ServerName: addr}\n\treturn tls.Dial(\"tcp\", addr, cfg)\n}\n",
     "tls-skip-verify", "Verify: true", "Verify: false"),
    ("java", "public class VoucherDigest {\n    public byte[] seal(String voucher) throws Exception {\n        "
     "MessageDigest md = MessageDigest.getInstance(\"SHA-1\");\n"
     "        return md.digest(voucher.getBytes());\n    }\n}\n",
     "weak-crypto.weak-hash", '"SHA-1"', '"SHA-256"'),
]


@pytest.mark.parametrize(("language", "source", "rule", "old", "new"), OTHER_LANGUAGES)
def test_fixes_in_the_other_languages(slot: ModelSlot, language: str, source: str, rule: str, old: str,
                                      new: str) -> None:
    analyzer = Analyzer()
    finding = next(f for f in analyzer.analyze(Document(source, get_language(language))) if f.rule_id.endswith(rule))
    result = slot.fix(source, finding, analyzer)
    assert result.verification.verified, (result.verification, result.raw)
    assert result.fixed_source == source.replace(old, new, 1)


def test_review_lists_the_finding(slot: ModelSlot) -> None:
    items = slot.review(HELD_OUT)
    assert items is not None
    # the SQL injection on line 4 and nothing else: the `with ... cursor() as ...:` line and the
    # `return` are held-out statement shapes, which slot 1.1.0 still flagged (docs/model.md)
    assert [(i.cwe, i.line, i.message) for i in items] == [(89, 4, "sql-injection")]


def test_unverifiable_answers_are_dropped() -> None:
    analyzer = Analyzer()
    finding = next(f for f in analyzer.analyze(Document(HELD_OUT, PY)) if f.rule_id.endswith("percent-formatted-query"))
    request = prepare_fix(HELD_OUT, finding, ParamStyle.FORMAT)
    assert request.prompt == (
        'FIX python.sql-injection.percent-formatted-query params=%s\n'
        '"DELETE FROM STR1 WHERE STR2 = %s" % ID1\nANSWER\n')
    unchanged = finish_fix(request, fmt.fix_answer([]), analyzer)
    assert not unchanged.verification.verified and "changes nothing" in unchanged.verification.problem
    still = finish_fix(request, "FIX\n<<< DELETE\n>>> UPDATE\nEND\n", analyzer)
    assert not still.verification.verified and "still reported" in still.verification.problem
    broken = finish_fix(request, 'FIX\n<<< " % ID1\n>>> ", (ID1,\nEND\n', analyzer)
    assert not broken.verification.verified and "syntax" in broken.verification.problem
    good = finish_fix(request, 'FIX\n<<< " % ID1\n>>> ", (ID1,)\nEND\n', analyzer)
    assert good.verification.verified, good.verification
    assert good.fixed_source == HELD_OUT.replace('" % parcelVoucher)', '", (parcelVoucher,))')
    unknown = finish_fix(prepare_fix(HELD_OUT, finding), 'FIX\n<<< " % ID1\n>>> ", (ID1,)\nEND\n', analyzer)
    assert not unknown.verification.verified and "driver" in unknown.verification.problem
    elsewhere = finish_fix(request, "FIX\n<<< UPDATE\n>>> SELECT\nEND\n", analyzer)
    assert not elsewhere.verification.verified  # the search text is not in the region
    assert elsewhere.fixed_source is None
    malformed = finish_fix(request, "something else", analyzer)
    assert not malformed.verification.verified and malformed.fixed_source is None


def test_review_asks_one_statement_at_a_time() -> None:
    request = prepare_review(HELD_OUT, "python", "statement")
    assert request.windows == [(1, 1), (2, 2), (3, 3), (4, 4), (5, 5)]
    assert request.prompts[3] == 'REVIEW python\n4| ID5.execute("DELETE FROM STR1 WHERE STR2 = %s" % ID3)\nANSWER\n'
    whole = prepare_review(HELD_OUT, "python", "function")
    assert whole.windows == [(1, 5)] and len(whole.prompts) == 1
    answers = ["REVIEW\nNONE\nEND\n"] * 3 + ["REVIEW\nL4 CWE-89 sql-injection\nL2 CWE-78 x\nEND\n", "garbage"]
    # an item pointing outside its own window is dropped; a malformed window answer is skipped
    assert finish_review(request, answers) == [fmt.ReviewItem(89, 4, "sql-injection")]
    assert finish_review(request, ["garbage"] * 5) is None


def test_a_slot_in_another_prompt_format_is_refused(tmp_path: Path) -> None:
    copy = tmp_path / "slot"
    shutil.copytree(SLOT, copy)
    fields = read_manifest(copy)
    fields["prompt_format"] = "coderev-line-v1"
    fields.pop("files", None)
    write_manifest(copy, fields)
    with pytest.raises(CoderevError) as exc:
        ModelSlot(copy)
    assert exc.value.code == "PRV008"
    assert "coderev-line-v1" in str(exc.value)


def test_a_fix_that_adds_a_finding_is_rejected() -> None:
    analyzer = Analyzer()
    source = "def f(doc):\n    return yaml.load(doc)\n"
    before = analyzer.analyze(Document(source, PY))
    finding = before[0]
    worse = "def f(doc):\n    return yaml.safe_load(doc) and hashlib.md5(doc)\n"
    assert not verify_source(worse, finding, before, analyzer, (1, 1)).ok
    good = "def f(doc):\n    return yaml.safe_load(doc)\n"
    assert verify_source(good, finding, before, analyzer, (1, 1)).ok
