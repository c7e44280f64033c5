"""Secrets: found in any text file, never written whole into any report."""

from __future__ import annotations

import json
import random
import string
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
    code = f'DB_PASSWORD = "{PASSWORD}"\n'
    (finding,) = findings(code)
    assert finding.rule_id == "python.hardcoded-secret.credential-literal"
    assert finding.secret is not None  # the literal's content, without its quotes
    assert code.encode()[finding.secret.start_byte : finding.secret.end_byte] == PASSWORD.encode()
    assert (finding.secret.start_col, finding.secret.end_col) == (finding.span.start_col + 1, finding.span.end_col - 1)
    assert PASSWORD not in finding.message


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


OTHER = "Lk9-vR3mX8qZt2"


def test_several_secrets_in_one_file_are_each_masked_exactly(tmp_path: Path) -> None:
    """Every secret of a file is masked after its first four characters, to its last character."""
    text = f'TOKEN = "{TOKEN}"\nDB_PASSWORD = "{PASSWORD}"\nother = {{"client_secret": "{OTHER}"}}\n'
    found = findings(text)
    assert sorted(f.rule_id for f in found) == [
        "python.hardcoded-secret.credential-literal",
        "python.hardcoded-secret.credential-literal",
        "secrets.hardcoded-secret.github-token",
    ]
    masked = redact(text.encode(), [f.secret for f in found if f.secret is not None]).decode()
    stars = "*" * 36
    assert masked == (
        f'TOKEN = "ghp_{stars}"\n'
        f'DB_PASSWORD = "{PASSWORD[:4]}{"*" * (len(PASSWORD) - 4)}"\n'
        f'other = {{"client_secret": "{OTHER[:4]}{"*" * (len(OTHER) - 4)}"}}\n'
    )
    (tmp_path / "s.py").write_text(text)
    result = subprocess.run([CODEREV, "scan", "--no-progress", "--format", "json", "."], cwd=tmp_path,
                            capture_output=True, text=True, check=False)
    for secret in (TOKEN, PASSWORD, OTHER, TOKEN[-4:], PASSWORD[-4:], OTHER[-4:]):
        assert secret not in result.stdout, secret
    assert len(json.loads(result.stdout)["findings"]) == 3


def test_a_dotenv_secret_is_reported_on_its_own_line(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(f"DATABASE_URL=postgres://db:5432/app\nDB_PASSWORD={PASSWORD}\n")
    result = subprocess.run([CODEREV, "scan", "--no-progress", "--format", "json", "."], cwd=tmp_path,
                            capture_output=True, text=True, check=False)
    (finding,) = json.loads(result.stdout)["findings"]
    assert (finding["start"], finding["end"]) == ({"line": 2, "column": 1}, {"line": 2, "column": 13 + len(PASSWORD)})


def test_code_and_references_in_config_files_are_not_literal_secrets() -> None:
    workflow = (
        "jobs:\n  t:\n    steps:\n      - run: |\n"
        '          DB_PASSWORD = os.environ["DB_PASSWORD"]\n'
        "          token = request.headers['X-Token']\n"
        "          api_key: process.env.API_KEY\n"
        "          secret_key = settings.SECRET_KEY\n"
        "          access_token=ACCESS_TOKEN_FROM_ENV\n"
        "          private_key: ./certs/server.key\n"
        "          password = getpass.getpass()\n"
        "          token=reset_token)\n"
    )
    assert findings(workflow, "text") == []
    assert [f.rule_id for f in findings(f"password: {PASSWORD}\npassword: Summer.Time2024\n", "text")] == [
        "secrets.hardcoded-secret.credential-assignment"] * 2


def test_credential_literals_are_found_in_every_language() -> None:
    cases = {
        "python": f'db_password = "{PASSWORD}"\n',
        "javascript": f'const dbPassword = "{PASSWORD}";\n',
        "typescript": f'const dbPassword: string = "{PASSWORD}";\n',
        "go": f'package main\n\nconst dbPassword = "{PASSWORD}"\n',
        "java": 'class A { void f() throws Exception { DriverManager.getConnection("jdbc:x", "u", "'
                + PASSWORD + '"); } }\n',
    }
    for language, code in cases.items():
        found = [f.rule_id for f in findings(code, language)]
        family = "javascript" if language == "typescript" else language
        assert found == [f"{family}.hardcoded-secret.credential-literal"], (language, found)


def test_every_secret_of_a_long_dotenv_is_reported_on_its_line(tmp_path: Path) -> None:
    """2,500 DB_PASSWORD lines between other entries: each finding starts on its own line. The
    rule's prefix used to consume the previous line's newline, so every finding sat at the end of
    the line above and a check by line saw the DB_PASSWORD lines as unflagged."""
    rng = random.Random(7)
    alphabet = string.ascii_letters + string.digits
    lines, expected = [], set()
    for i in range(2500):
        lines.append(f"APP_NAME_{i}=service{i}")
        lines.append("DB_PASSWORD=" + "".join(rng.choice(alphabet) for _ in range(32)))
        expected.add(len(lines))
        if i % 50 == 0:
            lines.append(f"GITHUB_TOKEN={TOKEN}")
    (tmp_path / ".env").write_text("\n".join(lines) + "\n")
    result = subprocess.run([CODEREV, "scan", "--no-progress", "--format", "json", "."], cwd=tmp_path,
                            capture_output=True, text=True, check=False)
    found = json.loads(result.stdout)["findings"]
    credential = {f["start"]["line"] for f in found if f["rule_id"].endswith("credential-assignment")}
    assert credential == expected
    assert all(f["start"]["column"] == 1 for f in found if f["rule_id"].endswith("credential-assignment"))
