"""The wheel installs one import package, ``coderev``, and nothing generic beside it (ADR 0014)."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "-w", str(out),
         str(ROOT)],
        check=True, capture_output=True, timeout=600,
    )
    (found,) = out.glob("coderev_lsp-*.whl")
    return found


def test_the_wheel_has_one_top_level_package(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    top = {name.split("/", 1)[0] for name in names}
    assert {t for t in top if not t.endswith(".dist-info")} == {"coderev"}
    for layer in ("analyzers", "engine", "server"):
        assert f"coderev/{layer}/__init__.py" in names
    # the data a run needs ships inside the package
    assert "coderev/analyzers/rule.schema.json" in names
    assert any(n.startswith("coderev/analyzers/rules/python/") and n.endswith(".yaml") for n in names)
    assert "coderev/engine/models/default/manifest.json" in names
    # the advisory snapshot works offline out of the box, with the attribution its licence asks for
    for data in ("osv-snapshot.json.gz", "LICENSE-advisories.txt", "NOTICE.md"):
        assert f"coderev/analyzers/deps/data/{data}" in names
    assert "coderev/analyzers/rules/deps/vulnerable-dependency.yaml" in names
    entry = next(n for n in names if n.endswith("entry_points.txt"))
    assert "coderev = coderev.server.cli:main" in zipfile.ZipFile(wheel).read(entry).decode()


def test_the_distribution_has_its_own_name_and_ships_its_license(wheel: Path) -> None:
    """`pip install coderev` installs someone else's project: ours is coderev-lsp (issue 16)."""
    archive = zipfile.ZipFile(wheel)
    metadata = archive.read(next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))).decode()
    assert "\nName: coderev-lsp\n" in metadata and "\nLicense-Expression: MIT\n" in metadata
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in archive.namelist())


def test_a_project_with_its_own_server_and_engine_packages_keeps_them(tmp_path: Path) -> None:
    """A user's project with top-level ``server``/``engine``/``analyzers`` packages imports its own,
    and coderev still runs beside it."""
    for name in ("server", "engine", "analyzers"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "__init__.py").write_text(f"WHO = 'project {name}'\n")
    code = (
        "import server, engine, analyzers, coderev.server.cli as cli;"
        "print(server.WHO, engine.WHO, analyzers.WHO, cli.__name__)"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True,
                            timeout=60, check=True)
    assert result.stdout.split() == ["project", "server", "project", "engine", "project", "analyzers",
                                     "coderev.server.cli"]
