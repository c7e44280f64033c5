"""`coderev scan --diff-from REF` on real git repositories built here: only findings on changed
lines are reported, the repository's configuration never runs a program, errors are SYS006."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from coderev.server.git_changes import _rows

CODEREV = str(Path(sys.executable).with_name("coderev"))
OLD = "import yaml\n\n\ndef load(data):\n    return yaml.load(data)\n"
GIT_ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.invalid", "GIT_CONFIG_NOSYSTEM": "1", "HOME": "/nonexistent"}


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True,
                          env={**os.environ, **GIT_ENV}, timeout=60)
    return done.stdout


def scan(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([CODEREV, "scan", "--no-progress", "--jobs", "1", *args], capture_output=True,
                          text=True, cwd=cwd, timeout=120, check=False, env={**os.environ, **GIT_ENV})


def reported(result: subprocess.CompletedProcess[str]) -> list[tuple[str, int]]:
    return [(f["path"], f["start"]["line"]) for f in json.loads(result.stdout)["findings"]]


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    (repo / "app").mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    (repo / "app" / "store.py").write_text(OLD)
    (repo / "app" / "other.py").write_text("import yaml\n\n\ndef parse(text):\n    return yaml.load(text)\n")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "first")
    return repo


def test_only_findings_on_changed_lines_and_new_files_are_reported(repo: Path) -> None:
    assert scan("app", "--diff-from", "HEAD", cwd=repo).returncode == 0  # nothing changed yet
    store = repo / "app" / "store.py"
    store.write_text("# a comment\n" + OLD + "\n\ndef restore(blob):\n    import pickle\n"
                     "    return pickle.loads(blob)\n")
    (repo / "app" / "new.py").write_text(OLD)  # untracked: all of it is new
    git(repo, "commit", "-q", "--allow-empty", "-m", "later")  # HEAD~1 and HEAD have the same tree
    everything = scan("app", "--format", "json", cwd=repo)
    assert len(reported(everything)) == 4
    result = scan("app", "--diff-from", "HEAD~1", "--format", "json", cwd=repo)
    assert result.returncode == 1, result.stderr
    assert reported(result) == [("app/new.py", 5), ("app/store.py", 11)]
    assert "2 finding(s) on lines unchanged since HEAD~1 not reported" in result.stderr


def test_staged_and_committed_changes_count_against_an_older_commit(repo: Path) -> None:
    first = git(repo, "rev-parse", "HEAD").strip()
    (repo / "app" / "other.py").write_text("import yaml\n\n\ndef parse(text):\n"
                                           "    return yaml.load(text, yaml.Loader)\n")
    git(repo, "commit", "-q", "-am", "second")
    result = scan("app", "--diff-from", first, "--format", "json", cwd=repo)
    assert reported(result) == [("app/other.py", 5)]
    assert scan("app", "--diff-from", "HEAD", cwd=repo).returncode == 0


def test_a_removed_line_marks_the_lines_around_it(repo: Path) -> None:
    guarded = "import yaml\n\n\ndef load(data):\n    check(data)\n    return yaml.load(data)\n"
    (repo / "app" / "store.py").write_text(guarded)
    git(repo, "commit", "-q", "-am", "guarded")
    (repo / "app" / "store.py").write_text(OLD)  # the check before the sink is gone
    result = scan("app", "--diff-from", "HEAD", "--format", "json", cwd=repo)
    assert reported(result) == [("app/store.py", 5)]


def test_the_repository_configuration_runs_no_program(repo: Path, tmp_path: Path) -> None:
    """A hostile .git/config: pager, external diff, textconv, clean filter, fsmonitor and hooks all
    name a script that leaves a mark; none may run."""
    mark = tmp_path / "ran"
    script = tmp_path / "evil.sh"
    script.write_text(f"#!/bin/sh\necho \"$0 $*\" >> {mark}\ncat\n")
    script.chmod(0o755)
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    for hook in ("pre-commit", "post-checkout", "post-index-change", "reference-transaction"):
        (hooks / hook).write_text(script.read_text())
        (hooks / hook).chmod(0o755)
    for key, value in (("core.pager", str(script)), ("pager.diff", str(script)), ("diff.external", str(script)),
                       ("diff.evil.textconv", str(script)), ("diff.evil.command", str(script)),
                       ("filter.evil.clean", str(script)), ("filter.evil.smudge", str(script)),
                       ("filter.evil.process", str(script)), ("core.fsmonitor", str(script)),
                       ("core.hooksPath", str(hooks)), ("core.sshCommand", str(script))):
        git(repo, "config", key, value)
    (repo / ".gitattributes").write_text("*.py diff=evil filter=evil\n")
    mark.unlink(missing_ok=True)  # `git config` itself ran nothing, but start from a clean slate
    (repo / "app" / "store.py").write_text(OLD + "\n\ndef again(data):\n    return yaml.load(data)\n")
    os.utime(repo / "app" / "other.py")  # a dirty stat: a git that refreshed the index would clean it
    result = scan("app", "--diff-from", "HEAD", "--format", "json", cwd=repo)
    assert result.returncode == 1, result.stderr
    assert reported(result) == [("app/store.py", 9)]
    assert not mark.exists(), mark.read_text()


def test_a_ref_that_looks_like_an_option_is_not_one(repo: Path, tmp_path: Path) -> None:
    target = tmp_path / "written"
    result = scan("app", f"--diff-from=--output={target}", cwd=repo)
    assert result.returncode == 2 and "SYS006" in result.stderr
    assert not target.exists()


def test_an_unknown_ref_and_a_folder_outside_git_are_SYS006(repo: Path, tmp_path: Path) -> None:
    unknown = scan("app", "--diff-from", "no-such-branch", cwd=repo)
    assert unknown.returncode == 2 and "SYS006" in unknown.stderr
    assert "'no-such-branch' is not a commit" in unknown.stderr
    assert "fetch-depth: 0" in unknown.stderr  # the remedy for a shallow CI checkout
    outside = tmp_path / "plain"
    outside.mkdir()
    (outside / "a.py").write_text(OLD)
    result = scan("a.py", "--diff-from", "HEAD", cwd=outside)
    assert result.returncode == 2 and "SYS006" in result.stderr
    assert "Traceback" not in unknown.stderr + result.stderr


def test_without_git_on_the_path_it_is_SYS006(repo: Path) -> None:
    result = subprocess.run([CODEREV, "scan", "--no-progress", "app", "--diff-from", "HEAD"], capture_output=True,
                            text=True, cwd=repo, timeout=120, check=False, env={**os.environ, "PATH": "/nonexistent"})
    assert result.returncode == 2 and "SYS006" in result.stderr and "git is not on the PATH" in result.stderr


@pytest.mark.parametrize(
    ("old", "new", "rows"),
    [
        ("a\nb\nc\n", "a\nb\nc\n", set()),
        ("a\nb\nc\n", "a\nB\nc\n", {1}),
        ("a\nb\nc\n", "x\na\nb\nc\n", {0}),
        ("a\nb\nc\n", "a\nc\n", {0, 1}),  # b removed: a and c are next to the gap
        ("a\nb\nc\n", "a\nb\nc\nd\n", {3}),
        ("", "a\n", {0}),
        ("a\nb\n", "a\r\nb\r\n", set()),  # checked out with CRLF line endings
    ],
)
def test_changed_rows(old: str, new: str, rows: set[int]) -> None:
    assert set(_rows(old, new)) == rows
