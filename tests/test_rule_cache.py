"""The parsed built-in rule cache (coderev/analyzers/rule_cache.py): a real pickle on disk, keyed to the
rule files, ignored when it cannot be trusted."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from coderev.analyzers import rule_cache, triggers
from coderev.analyzers.ruleset import BUILTIN_RULES, load_rules, rule_files


@pytest.fixture
def rule_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "rules"
    for path in rule_files(BUILTIN_RULES)[:6]:
        target = directory / path.relative_to(BUILTIN_RULES)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, target)
    return directory


def _parsed(rule_dir: Path) -> list:  # type: ignore[type-arg]
    return list(load_rules([rule_dir], builtin=False, check_queries=False).rules)


def test_written_rules_read_back_equal_with_their_requirements(rule_dir: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    files = rule_files(rule_dir)
    assert rule_cache.read(rule_dir, files, cache) is None
    rules = _parsed(rule_dir)
    rule_cache.write(rule_dir, files, rules, cache)
    triggers._KNOWN.clear()
    again = rule_cache.read(rule_dir, files, cache)
    assert again == rules
    assert all(r.query in triggers._KNOWN for r in rules if r.query), "requirements come back with the rules"


def test_an_edited_rule_file_changes_the_key(rule_dir: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    files = rule_files(rule_dir)
    rule_cache.write(rule_dir, files, _parsed(rule_dir), cache)
    stat = files[0].stat()
    os.utime(files[0], ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    assert rule_cache.read(rule_dir, files, cache) is None
    assert rule_cache.cache_key(rule_dir, files) != rule_cache.cache_key(rule_dir, files[1:])


def test_a_corrupt_cache_is_ignored(rule_dir: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    files = rule_files(rule_dir)
    rule_cache.write(rule_dir, files, _parsed(rule_dir), cache)
    (written,) = (cache / "rules").glob("*.pickle")
    written.write_bytes(b"\x80\x05 not a pickle")
    assert rule_cache.read(rule_dir, files, cache) is None


def test_an_unwritable_cache_directory_is_not_an_error(rule_dir: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("a file where the cache directory would go")
    files = rule_files(rule_dir)
    rule_cache.write(rule_dir, files, _parsed(rule_dir), blocker)
    assert rule_cache.read(rule_dir, files, blocker) is None
