"""The feedback store on a real diskcache in a temp dir: events, dismissed fingerprints,
per-workspace separation, persistence across instances and the cache-dir override."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest

from coderev.analyzers.user_cache import CACHE_DIR_ENV, cache_root
from coderev.engine.feedback import EventKind, FeedbackEvent, FeedbackStore, workspace_key


def _event(kind: EventKind, fingerprint: str = "f" * 20) -> FeedbackEvent:
    return FeedbackEvent(
        kind=kind,
        rule_id="python.x",
        fingerprint=fingerprint,
        language="python",
        context="data = yaml.load(s)",
        fix={"description": "d", "safe": True, "edits": []},
    )


def test_events_and_dismissed_fingerprints_persist(tmp_path: Path) -> None:
    store = FeedbackStore.for_workspace(tmp_path / "ws", tmp_path / "cache")
    store.record(_event(EventKind.ACCEPT, "a" * 20))
    store.record(_event(EventKind.DISMISS, "b" * 20))
    store.close()
    again = FeedbackStore.for_workspace(tmp_path / "ws", tmp_path / "cache")
    assert [e.kind for e in again.events()] == [EventKind.ACCEPT, EventKind.DISMISS]
    assert [e.fingerprint for e in again.events(EventKind.DISMISS)] == ["b" * 20]
    assert again.dismissed_fingerprints() == {"b" * 20}
    [accepted] = list(again.events(EventKind.ACCEPT))
    assert accepted.fix == {"description": "d", "safe": True, "edits": []}
    assert accepted.context == "data = yaml.load(s)" and accepted.timestamp > 0
    again.close()


def test_workspaces_are_separate(tmp_path: Path) -> None:
    one = FeedbackStore.for_workspace(tmp_path / "one", tmp_path / "cache")
    two = FeedbackStore.for_workspace(tmp_path / "two", tmp_path / "cache")
    one.record(_event(EventKind.DISMISS))
    assert two.dismissed_fingerprints() == frozenset()
    assert workspace_key(None) != workspace_key(tmp_path / "one") != workspace_key(tmp_path / "two")
    one.close()
    two.close()


def test_cache_root_override_and_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CACHE_DIR_ENV, str(tmp_path / "env"))
    assert cache_root() == tmp_path / "env"
    assert cache_root(tmp_path / "setting") == tmp_path / "setting"
    monkeypatch.delenv(CACHE_DIR_ENV)
    assert cache_root().name == "coderev"


def _writer(directory: str, n: int) -> None:
    store = FeedbackStore(Path(directory))
    for i in range(n):
        store.record(_event(EventKind.DISMISS, f"{i:020d}"))
    store.close()


def test_two_processes_write_without_losing_events(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(str(tmp_path / "s"), 20)) for _ in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(30)
    store = FeedbackStore(tmp_path / "s")
    assert len(list(store.events())) == 40
    assert len(store.dismissed_fingerprints()) == 20
    store.close()


def test_the_server_reads_no_store_into_existence(tmp_path: Path) -> None:
    """A workspace nobody gave feedback in has no store on disk: the first analysis reads nothing
    and creates nothing; the first dismissal creates it and is remembered."""
    from dataclasses import replace

    from coderev.server.lsp.project import Project

    project = Project()
    project.settings = replace(project.settings, cache_dir=str(tmp_path / "cache"))
    root = tmp_path / "ws"
    assert project.dismissed(root) == frozenset()
    assert project.learner(root, only_if_learned=True) is None
    assert not (tmp_path / "cache").exists()
    project.record(root, _event(EventKind.DISMISS, "d" * 20))
    assert FeedbackStore.exists_for_workspace(root, tmp_path / "cache")
    assert project.dismissed(root) == {"d" * 20}
    project.close()
