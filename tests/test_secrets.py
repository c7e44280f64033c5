"""Secrets: found in any text file, never written whole into any report."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from coderev.analyzers.patterns import redact, shannon_entropy
from tests.check import findings

CODEREV = str(Path(sys.executable).with_name("coderev"))
TOKEN = "ghp_R8k2mVq7Xz1LpN4sT6wY9bC3dF5gH0jK2aE7"
PASSWORD = "Qz7-hT2pW9xLm4"


def test_provider_token_beats_the_generic_literal_on_the_same_string() -> None:
    found = findings(f'GITHUB_TOKEN = "{TOKEN}"\n')
    assert [f.rule_id for f in found] == ["secrets.hardcoded-secret.github-token"]
    (finding,) = found
    assert TOKEN not in finding.message and finding.secret is not None


def test_structural_secret_findings_carry_their_secret_span() -> None:
    (finding,) = findings(f'DB_PASSWORD = "{PASSWORD}"\n')
    assert finding.rule_id == "python.hardcoded-secret.credential-literal"
    assert finding.secret == finding.span


def test_secrets_in_comments_are_found() -> None:
    found = findings(f"# old token: {TOKEN}\nx = 1\n")
    assert [f.rule_id for f in found] == ["secrets.hardcoded-secret.github-token"]


def test_redaction_keeps_offsets_and_masks_the_value() -> None:
    source = f'token = "{TOKEN}"  # é\n'.encode()
    (finding,) = findings(source.decode())
    assert finding.secret is not None
    masked = redact(source, [finding.secret])
    assert len(masked) == len(source) and TOKEN.encode() not in masked
    assert masked.startswith(b'token = "ghp_****') and masked.endswith("# é\n".encode())


def test_entropy() -> None:
    assert shannon_entropy(b"") == 0.0
    assert shannon_entropy(b"aaaa") == 0.0
    assert shannon_entropy(b"abcd") == 2.0


def test_scan_finds_secrets_in_config_files_and_never_prints_them(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(f"DATABASE_PASSWORD={PASSWORD}\nDEBUG=1\n")
    (tmp_path / "deploy.yaml").write_text(f"github:\n  token: {TOKEN}\n")
    (tmp_path / "settings.py").write_text(f'API_TOKEN = "{TOKEN}"\n')
    (tmp_path / "package-lock.json").write_text(f'{{"password": "{PASSWORD}"}}\n')
    (tmp_path / "notes.md").write_text(f"token {TOKEN}\n")
    outputs = {}
    for fmt in ("text", "json", "sarif"):
        result = subprocess.run(
            [CODEREV, "scan", "--no-progress", "--format", fmt, "."],
            cwd=tmp_path, capture_output=True, text=True, check=False,
        )
        assert result.returncode == 1, result.stderr
        outputs[fmt] = result.stdout + result.stderr
        assert TOKEN not in outputs[fmt] and PASSWORD not in outputs[fmt], fmt
    report = json.loads(outputs["json"])
    assert sorted(f["path"] for f in report["findings"]) == [".env", "deploy.yaml", "settings.py"]
    assert "ghp_****" in outputs["text"]  # the code context is shown, masked
