"""The admin page in real headless Chromium: it renders (a screenshot, and the DOM Chromium built),
needs a token to read (HTTP Basic from a browser), escapes what clients sent, and its promote and
demote forms need the admin token.

``CODEREV_UPDATE_SCREENSHOTS=1`` copies the screenshots into docs/images/ (docs/observability.md).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.engine_api.conftest import ROOT, short_dir
from tests.observability.conftest import YAML_RULE, Engine, exercise

CHROMIUM = Path("/usr/bin/chromium")
HOSTILE = "python.<script>alert(1)</script>.x"


def chromium(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    if not CHROMIUM.exists():
        pytest.skip("Chromium is not installed at /usr/bin/chromium "
                    "(make editor-deps installs it: editors/vscode/e2e/install-system-deps.sh)")
    profile = short_dir()
    try:
        return subprocess.run([str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                               "--no-first-run", "--disable-background-networking", "--disable-component-update",
                               "--disable-sync", f"--user-data-dir={profile}", *args, url],
                              capture_output=True, text=True, timeout=120, check=False)
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def with_token(engine: Engine, path: str) -> str:
    return engine.served.address.replace("http://", f"http://ops:{engine.admin_token}@") + path


def test_admin_page_in_chromium(engine: Engine, tmp_path: Path) -> None:
    exercise(engine)
    with engine.client() as http:
        for _ in range(3):
            http.post("/v1/feedback", json={"kind": "dismiss", "rule_id": HOSTILE, "fingerprint": "0" * 16})
        refused = http.post("/admin/promote", data={"token": "crv_wrong", "reason": "<b>bold</b>"},
                            headers={"Authorization": f"Bearer {engine.admin_token}"})
        nothing = http.post("/admin/promote", data={"token": engine.admin_token, "reason": "try"})
        anonymous = http.get("/admin", headers={"Authorization": ""})
    assert anonymous.status_code == 401 and anonymous.headers["www-authenticate"].startswith("Basic")
    assert refused.status_code == 400 and "AUTH003" in refused.text and "<b>bold" not in refused.text
    assert nothing.status_code == 400 and "promote" in nothing.text  # no V1 slot: the store refuses, shown

    dom = chromium(with_token(engine, "/admin"), "--dump-dom")
    assert dom.returncode == 0, dom.stderr
    page = dom.stdout
    for text in ("coderev engine admin", "Health", "worker_v2", "feedback_store", "learner", "Slots", "History",
                 "no background learning", "training pairs", "Top dismissed rules", YAML_RULE,
                 "Promote V1 to production", "Demote production (V2)", "install"):
        assert text in page, text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>" not in page
    assert page.count("type=\"password\"") == 2  # team mode: each form asks for the admin token

    shot = tmp_path / "admin-page.png"
    done = chromium(with_token(engine, "/admin"), f"--screenshot={shot}", "--window-size=1200,1300",
                    "--hide-scrollbars")
    assert done.returncode == 0 and shot.stat().st_size > 20_000, done.stderr
    assert shot.read_bytes().startswith(b"\x89PNG")
    error_shot = tmp_path / "admin-page-refused.png"
    form = short_dir() / "refused.html"  # a refused promote, as the browser shows the answer to the form
    form.write_text(refused.text, encoding="utf-8")
    done = chromium(form.as_uri(), f"--screenshot={error_shot}", "--window-size=1200,500", "--hide-scrollbars")
    assert done.returncode == 0 and error_shot.stat().st_size > 10_000, done.stderr
    if os.environ.get("CODEREV_UPDATE_SCREENSHOTS") == "1":
        for png in (shot, error_shot):
            shutil.copyfile(png, ROOT / "docs" / "images" / png.name)
