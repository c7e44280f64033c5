"""The pre-commit hooks of .pre-commit-hooks.yaml, run by the real `pre-commit` in real git
repositories built here: a hook repository (this project's hook file and package, tagged) and a
user's project whose `.pre-commit-config.yaml` names it by `repo:` and `rev:` as docs/ci.md says.

Offline: `coderev-system` runs the coderev on the PATH. `coderev` (language: python) makes
pre-commit build its own environment and `pip install` the package from the hook repository; its
dependencies would come from PyPI, so here pip gets `--no-index --no-deps` and finds them on
PYTHONPATH, in a folder holding this environment's packages except coderev itself (which must
come from the hook's own install)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
VULNERABLE = "import yaml\n\n\ndef load(data):\n    return yaml.load(data)\n"
SAFE = VULNERABLE.replace("yaml.load", "yaml.safe_load")
GIT_ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.invalid", "GIT_CONFIG_NOSYSTEM": "1"}


def run(cwd: Path, *args: str | Path, env: dict[str, str], check: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([str(a) for a in args], cwd=cwd, capture_output=True, text=True, env=env, timeout=600,
                          check=False)
    if check and done.returncode != 0:
        raise AssertionError(f"{args} exited {done.returncode}:\n{done.stdout}\n{done.stderr}")
    return done


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This project's hook file and package in a git repository tagged v0.1.0, like a release."""
    repo = tmp_path_factory.mktemp("hook") / "coderev"
    repo.mkdir()
    for name in (".pre-commit-hooks.yaml", "pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(ROOT / name, repo / name)
    shutil.copytree(ROOT / "coderev", repo / "coderev", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    env = {**os.environ, **GIT_ENV, "HOME": str(repo.parent)}
    run(repo, "git", "init", "-q", "-b", "main", env=env)
    run(repo, "git", "add", ".", env=env)
    run(repo, "git", "commit", "-q", "-m", "release", env=env)
    run(repo, "git", "tag", "v0.1.0", env=env)
    return repo


def project(base: Path, hook_repo: Path, hook: str, args: list[str] | None = None) -> tuple[Path, dict[str, str]]:
    """A git repository with a pre-commit config naming ``hook`` of ``hook_repo`` at v0.1.0 (not
    committed yet), and pre-commit's git hook installed; returns it with the environment to commit in."""
    repo = base / "project"
    repo.mkdir()
    home = base / "home"
    home.mkdir()
    env = {**os.environ, **GIT_ENV, "HOME": str(home), "PRE_COMMIT_HOME": str(base / "pre-commit-cache"),
           "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", "PRE_COMMIT_COLOR": "never"}
    config = f"repos:\n  - repo: {hook_repo}\n    rev: v0.1.0\n    hooks:\n      - id: {hook}\n"
    if args:
        config += f"        args: [{', '.join(args)}]\n"
    (repo / ".pre-commit-config.yaml").write_text(config)
    run(repo, "git", "init", "-q", "-b", "main", env=env)
    run(repo, BIN / "pre-commit", "install", env=env)
    return repo, env


def commit(repo: Path, env: dict[str, str], *files: str) -> subprocess.CompletedProcess[str]:
    run(repo, "git", "add", *files, env=env)
    return run(repo, "git", "commit", "-m", f"add {' '.join(files)}", env=env, check=False)


def test_the_hook_file_is_valid_for_pre_commit() -> None:
    result = subprocess.run([str(BIN / "pre-commit"), "validate-manifest", str(ROOT / ".pre-commit-hooks.yaml")],
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_system_hook_blocks_a_commit_with_findings_in_staged_files_only(tmp_path: Path, hook_repo: Path) -> None:
    repo, env = project(tmp_path, hook_repo, "coderev-system")
    (repo / "store.py").write_text(VULNERABLE)
    (repo / "wip.py").write_text(VULNERABLE.replace("def load", "def draft"))  # never staged
    (repo / "notes.md").write_text("Nothing to see.\n")
    blocked = commit(repo, env, ".pre-commit-config.yaml", "store.py", "notes.md")
    assert blocked.returncode != 0
    output = blocked.stdout + blocked.stderr
    assert "coderev security review" in output and "Failed" in output
    assert "store.py:5:12: error python.insecure-deserialization.yaml-load" in output
    assert "wip.py" not in output
    assert "note: skipped notes.md: ANA006" in output  # pre-commit passed the staged text files
    assert "Scanned 2 file(s): 1 finding(s)" in output  # store.py and .pre-commit-config.yaml (secrets)
    assert run(repo, "git", "log", "--oneline", env=env, check=False).returncode != 0  # nothing committed

    (repo / "store.py").write_text(SAFE)
    passed = commit(repo, env, ".pre-commit-config.yaml", "store.py", "notes.md")
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "coderev security review" in passed.stderr and "Passed" in passed.stderr


def test_the_hook_takes_a_baseline_in_args(tmp_path: Path, hook_repo: Path) -> None:
    repo, env = project(tmp_path, hook_repo, "coderev-system", ["--baseline", ".coderev-baseline.json"])
    (repo / "legacy.py").write_text(VULNERABLE)
    run(repo, BIN / "coderev", "scan", "--no-progress", "legacy.py", "--write-baseline", ".coderev-baseline.json",
        env=env)
    accepted = commit(repo, env, ".pre-commit-config.yaml", "legacy.py", ".coderev-baseline.json")
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr
    moved = "# moved down\n" + VULNERABLE + "\n\ndef again(data):\n    return yaml.load(data)\n"
    (repo / "legacy.py").write_text(moved)
    blocked = commit(repo, env, "legacy.py")
    assert blocked.returncode != 0
    output = blocked.stdout + blocked.stderr
    assert "legacy.py:10:12: error" in output and "legacy.py:6:" not in output


def _dependencies_without_coderev(folder: Path) -> Path:
    """This environment's site-packages, less coderev, as links in one folder for PYTHONPATH."""
    folder.mkdir()
    for entry in Path(sysconfig.get_paths()["purelib"]).iterdir():
        if not entry.name.lower().startswith(("coderev", "__editable__", "__pycache__")):
            (folder / entry.name).symlink_to(entry)
    return folder


@pytest.mark.slow
def test_the_python_hook_installs_coderev_from_the_hook_repository(tmp_path: Path, hook_repo: Path) -> None:
    repo, env = project(tmp_path, hook_repo, "coderev")
    env.update(PYTHONPATH=str(_dependencies_without_coderev(tmp_path / "deps")), PIP_NO_INDEX="1", PIP_NO_DEPS="1",
               PIP_NO_BUILD_ISOLATION="0",  # pip's inverted switch: 0 turns isolation off
               # virtualenv seeds from the wheels it embeds, and never tries to update them
               VIRTUALENV_NO_PERIODIC_UPDATE="1", VIRTUALENV_OVERRIDE_APP_DATA=str(tmp_path / "virtualenv-data"))
    (repo / "store.py").write_text(VULNERABLE)
    blocked = commit(repo, env, ".pre-commit-config.yaml", "store.py")
    output = blocked.stdout + blocked.stderr
    assert blocked.returncode != 0, output
    assert "store.py:5:12: error python.insecure-deserialization.yaml-load" in output
    installed = list((tmp_path / "pre-commit-cache").glob("repo*/py_env-*/bin/coderev"))
    assert len(installed) == 1, output  # the hook ran pre-commit's own install of coderev
    where = run(repo, installed[0].with_name("python"), "-c", "import coderev; print(coderev.__file__)", env=env)
    assert str(installed[0].parents[1]) in where.stdout
