"""The VS Code extension (editors/vscode) end to end, in real VS Code.

Packages the extension as a .vsix for this platform with the Python server and the model runtime
bundled in it (``make vsix``: coderev-<target>-<version>.vsix), installs it into
code-server (VS Code 1.100.3 in the browser; installed once into the git-ignored
``.cache/editors/code-server`` by editors/vscode/e2e/install-code-server.sh), and drives it with
playwright-core in Debian's headless Chromium (editors/vscode/e2e/run.mjs): open ``app.py`` with
a ``yaml.load`` finding, see the squiggle and the Problems row, change ``coderev.severity`` and
see the server restart and the finding become a warning, see the language status item (server
and model state, short enough not to be cut off at the window's edge), see Ctrl+. say that the
model is still loading (held so by the slot store's lock), apply the rule's quick fix, see both
gone and ``yaml.safe_load`` in the saved file; then run Scan Workspace, Show Status (which must
report the model's state) and Reset learned preferences from the command palette; then, the model
loaded, apply the verified AI fix with Ctrl+. in ``config_loader.py`` and find both
``coderev.accept`` events (the rule's fix and the AI fix) in the feedback store, and the
``reject`` event of choosing "Reject the AI fix" first (the finding stayed). A screenshot is
taken at every step; the folder is printed and kept on failure. Set
``CODEREV_SKIP_VSCODE_E2E=1`` to skip (nothing else skips it).
``CODEREV_E2E_SCREENSHOTS=DIR`` puts the screenshots in DIR (for CI artifacts).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from coderev.engine.feedback import EventKind, FeedbackStore

pytestmark = [pytest.mark.editor, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
EXTENSION = ROOT / "editors" / "vscode"
CODE_SERVER = Path(os.environ.get("CODEREV_CODE_SERVER_DIR", ROOT / ".cache" / "editors" / "code-server"))
RULE = "python.insecure-deserialization.yaml-load"
STEPS = ("opened", "squiggle", "problems", "setting-changed", "language-status", "quick-fix", "fixed", "commands",
         "ai-fix", "ai-fixed")
AI_FILE = "config_loader.py"  # its content and the model's fix: editors/vscode/e2e/model-steps.mjs
AI_FIXED = "import yaml\n\n\ndef load_config(stream):\n    return yaml.safe_load(stream)\n"
APT = "apt-get install -y chromium ripgrep libkrb5-dev build-essential"

if os.environ.get("CODEREV_SKIP_VSCODE_E2E") == "1":
    pytest.skip("CODEREV_SKIP_VSCODE_E2E=1: the VS Code end-to-end test is skipped", allow_module_level=True)


def _run(cmd: list[str], timeout: float, cwd: Path | None = None, env: dict[str, str] | None = None) -> None:
    started = time.monotonic()
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=cwd, env=env, check=False)
    print(f"$ {' '.join(cmd)}  ({time.monotonic() - started:.1f}s, exit {result.returncode})")
    if result.returncode != 0:
        pytest.fail(f"{' '.join(cmd)} failed ({result.returncode}):\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}")


@pytest.fixture(scope="module")
def prerequisites() -> None:
    chromium = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    missing = [tool for tool in ("node", "npm", "rg", "make", "g++") if shutil.which(tool) is None]
    if not Path(chromium).exists():
        missing.append(chromium)
    if missing:
        pytest.fail(f"the VS Code end-to-end test needs {', '.join(missing)}: {APT} (and Node 20)")


@pytest.fixture(scope="module")
def vsix(prerequisites: None) -> Path:
    stamp = EXTENSION / "node_modules" / ".package-lock.json"
    lock = EXTENSION / "package-lock.json"
    if not stamp.exists() or stamp.stat().st_mtime < lock.stat().st_mtime:
        _run(["npm", "ci", "--no-audit", "--no-fund"], timeout=600, cwd=EXTENSION)
    env = {**os.environ, "CODEREV_BUNDLE_PYTHON": sys.executable}
    _run(["npm", "run", "--silent", "vsix"], timeout=900, cwd=EXTENSION, env=env)
    bundle = json.loads((EXTENSION / "bundled" / "bundle.json").read_text())
    assert bundle["model_runtime"] is True, "make vsix bundles the model runtime by default"
    vsix = EXTENSION / f"coderev-{bundle['target']}-0.1.0.vsix"
    assert vsix.exists(), f"no {vsix.name}"
    print(f"{vsix.name}: {vsix.stat().st_size / 2**20:.1f} MB")
    return vsix


@pytest.fixture(scope="module")
def code_server(prerequisites: None) -> Path:
    _run(["bash", str(EXTENSION / "e2e" / "install-code-server.sh"), str(CODE_SERVER)], timeout=1200)
    return CODE_SERVER


def test_quick_fix_clears_the_finding(vsix: Path, code_server: Path, tmp_path: Path) -> None:
    shots = Path(os.environ.get("CODEREV_E2E_SCREENSHOTS") or tmp_path / "screenshots")
    if shots.exists():
        shutil.rmtree(shots)
    workspace = tmp_path / "workspace"
    cache = tmp_path / "coderev-cache"
    env = {**os.environ, "CODEREV_CACHE_DIR": str(cache), "CODEREV_E2E_PYTHON": sys.executable}
    cmd = [
        "node",
        str(EXTENSION / "e2e" / "run.mjs"),
        "--code-server",
        str(code_server),
        "--vsix",
        str(vsix),
        "--out",
        str(shots),
        "--workspace",
        str(workspace),
    ]
    print(f"screenshots: {shots}")
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=480, env=env, check=False)
    print(result.stdout[-6000:])
    if result.returncode != 0:
        pytest.fail(
            f"VS Code end-to-end run failed; screenshots and VS Code logs kept in {shots}\n"
            f"{result.stdout[-6000:]}\n{result.stderr[-6000:]}"
        )
    for index, step in enumerate(STEPS, start=1):
        assert (shots / f"{index:02d}-{step}.png").stat().st_size > 0, step
    assert "yaml.safe_load(data)" in (workspace / "app.py").read_text()
    assert (workspace / AI_FILE).read_text() == AI_FIXED
    # Applying a fix runs the server's coderev.accept command: both events are in the store, the
    # second one by the model's slot.
    store = FeedbackStore.for_workspace(workspace, cache_dir=cache)
    try:
        accepted = [(event.rule_id, event.origin, event.slot) for event in store.events(EventKind.ACCEPT)]
        rejected = list(store.events(EventKind.REJECT))  # "Reject the AI fix", chosen before applying it
        dismissed = store.dismissed_fingerprints()
    finally:
        store.close()
    assert [(rule, origin) for rule, origin, _ in accepted] == [(RULE, "template"), (RULE, "ai")]
    assert str(accepted[1][2]).startswith("coderev-default")
    [reject] = rejected
    assert (reject.rule_id, reject.origin, reject.slot) == accepted[1] and "yaml.load(stream)" in reject.before
    assert "yaml.safe_load(stream)" in reject.after and reject.fingerprint not in dismissed
