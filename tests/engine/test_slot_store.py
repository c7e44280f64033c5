"""The slot store on real files: roles, fallbacks, corruption, crashes and concurrent users.

Slots are copies of the packaged default slot (a real CTranslate2 model) with a different
version in their manifest, so each is a distinct, fully verifiable slot.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import stat
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from coderev.analyzers.errors import CoderevError
from coderev.engine.model.manifest import read_manifest, write_manifest
from coderev.engine.model.slot import ModelSlot, default_slot_path
from coderev.engine.slots import SlotStore
from coderev.engine.slots.atomic import remove_tree, set_read_only
from coderev.engine.slots.versions import slot_id as id_of

REPO = Path(__file__).resolve().parents[2]
DEFAULT_ID = id_of(read_manifest(default_slot_path()))


def make_slot(where: Path, version: str, name: str = "coderev-default") -> Path:
    """A valid slot directory: the default slot under another name/version."""
    slot = where / f"src-{name}-{version}"
    shutil.copytree(default_slot_path(), slot)
    fields = {k: v for k, v in read_manifest(slot).items() if k != "files"}
    fields.update(name=name, version=version)
    write_manifest(slot, fields)
    return slot


def slot_id(version: str, name: str = "coderev-default") -> str:
    return f"{name}-{version}-{DEFAULT_ID.rsplit('-', 1)[1]}"


def flip_byte(path: Path, offset: int = 1000) -> None:
    mode = path.stat().st_mode
    path.chmod(0o644)
    data = bytearray(path.read_bytes())
    data[offset] ^= 0xFF
    path.write_bytes(bytes(data))
    path.chmod(stat.S_IMODE(mode))


def roles(store: SlotStore) -> dict[str, str]:
    return {s.id: s.role for s in store.all()}


def production_id(store: SlotStore) -> str | None:
    slot = store.production()
    return None if slot is None else slot.id


def test_bootstrap_installs_the_default_as_production_once(tmp_path: Path) -> None:
    store = SlotStore(tmp_path / "slots")
    assert store.production() is None
    assert store.all() == []
    store.ensure_default()
    store.ensure_default()
    production = store.production()
    assert production is not None
    assert (production.id, production.role) == (DEFAULT_ID, "V2")
    assert production.manifest["name"] == "coderev-default"
    assert [(t.action, t.to_role, t.reason) for t in store.history()] == [("install", "V2", "bootstrap")]
    reopened = SlotStore(tmp_path / "slots")
    assert roles(reopened) == {DEFAULT_ID: "V2"}
    assert json.loads((tmp_path / "slots" / "state.json").read_text()) == {
        "V1": None, "V2": DEFAULT_ID, "V3": [], "good": [DEFAULT_ID]}


def test_an_old_default_speaking_an_older_prompt_format_is_upgraded(tmp_path: Path) -> None:
    """A store left by an earlier coderev holds its default slot, which this runtime cannot
    prompt: the packaged default replaces it; a user's own slot is never replaced."""
    old = make_slot(tmp_path, "1.0.0")
    fields = {k: v for k, v in read_manifest(old).items() if k != "files"}
    write_manifest(old, {**fields, "prompt_format": "coderev-edit-v3"})
    store = SlotStore(tmp_path / "slots")
    store.install(old, "V2", "left by coderev 0.1")
    store.ensure_default()
    assert roles(store) == {DEFAULT_ID: "V2", slot_id("1.0.0"): "V3"}
    assert [(t.action, t.reason) for t in store.history()][-2:] == [
        ("supersede", f"replaced by {DEFAULT_ID}"), ("install", "upgrade")]
    store.ensure_default()  # nothing more to do
    assert len(store.history()) == 3

    mine = make_slot(tmp_path, "1.0.0", name="my-model")
    fields = {k: v for k, v in read_manifest(mine).items() if k != "files"}
    write_manifest(mine, {**fields, "prompt_format": "coderev-edit-v3"})
    other = SlotStore(tmp_path / "other")
    other.install(mine, "V2")
    other.ensure_default()
    assert roles(other) == {slot_id("1.0.0", "my-model"): "V2"}


def test_an_older_default_the_package_installed_is_upgraded_but_not_one_the_user_chose(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Upgrading coderev upgrades its default model: a production slot that an earlier package
    bootstrapped, in the same prompt format but an older version, gives way to the packaged one
    (and stays a fallback). An older default installed by hand is the user's choice and stays."""
    import coderev.engine.model.slot as model_slot

    old = make_slot(tmp_path, "1.0.0")
    monkeypatch.setattr(model_slot, "default_slot_path", lambda: old)
    store = SlotStore(tmp_path / "slots")
    store.ensure_default()
    assert roles(store) == {slot_id("1.0.0"): "V2"}
    monkeypatch.undo()
    store.ensure_default()
    assert roles(store) == {DEFAULT_ID: "V2", slot_id("1.0.0"): "V3"}
    assert [(t.action, t.reason) for t in store.history()][-2:] == [
        ("supersede", f"replaced by {DEFAULT_ID}"), ("install", "upgrade")]
    store.ensure_default()
    assert len(store.history()) == 3
    assert store.demote("worse on my code").slot_id == DEFAULT_ID  # the old one is still a fallback
    assert store.production() is not None and store.production().id == slot_id("1.0.0")

    chosen = SlotStore(tmp_path / "chosen")
    chosen.install(old, "V2", "pinned by the user")
    chosen.ensure_default()
    assert roles(chosen) == {slot_id("1.0.0"): "V2"}


def test_install_promote_demote_and_history(store: SlotStore, tmp_path: Path) -> None:
    installed = store.install(make_slot(tmp_path, "2.0.0"))
    assert (installed.id, installed.role) == (slot_id("2.0.0"), "V1")
    assert store.experimental() == installed
    promoted = store.promote("beats V2 on held-out FIX")
    assert (promoted.action, promoted.from_role, promoted.to_role) == ("promote", "V1", "V2")
    assert roles(store) == {slot_id("2.0.0"): "V2", DEFAULT_ID: "V3"}
    quarantined = store.quarantined()[0].path
    assert stat.S_IMODE(quarantined.stat().st_mode) == 0o555
    assert stat.S_IMODE((quarantined / "model.bin").stat().st_mode) == 0o444
    demoted = store.demote("p95 latency over the SLO")
    assert (demoted.slot_id, demoted.reason) == (slot_id("2.0.0"), "p95 latency over the SLO")
    assert roles(store) == {DEFAULT_ID: "V2", slot_id("2.0.0"): "V3"}
    assert stat.S_IMODE((store.versions / DEFAULT_ID).stat().st_mode) == 0o755
    assert [(t.action, t.slot_id, t.from_role, t.to_role) for t in store.history()] == [
        ("install", DEFAULT_ID, "", "V2"), ("install", slot_id("2.0.0"), "", "V1"),
        ("supersede", DEFAULT_ID, "V2", "V3"), ("promote", slot_id("2.0.0"), "V1", "V2"),
        ("demote", slot_id("2.0.0"), "V2", "V3"), ("restore", DEFAULT_ID, "V3", "V2")]
    lines = (store.root / "history.jsonl").read_text().splitlines()
    assert set(json.loads(lines[0])) == {"time", "action", "slot_id", "from", "to", "reason"}


def test_installing_over_an_occupied_role_moves_the_occupant_to_v3(store: SlotStore, tmp_path: Path) -> None:
    store.install(make_slot(tmp_path, "2.0.0"))
    store.install(make_slot(tmp_path, "3.0.0"))
    store.install(make_slot(tmp_path, "4.0.0"), role="V2", reason="user chose it")
    assert roles(store) == {slot_id("4.0.0"): "V2", slot_id("3.0.0"): "V1",
                            DEFAULT_ID: "V3", slot_id("2.0.0"): "V3"}
    # Installing the same slot again copies nothing and changes nothing.
    before = (store.root / "state.json").read_bytes()
    store.install(make_slot(tmp_path / "again", "3.0.0"))
    assert (store.root / "state.json").read_bytes() == before
    with pytest.raises(CoderevError, match=r"^SYS002"):
        store.install(make_slot(tmp_path, "5.0.0"), role="V3")


def test_demote_without_a_good_slot_leaves_rules_only(store: SlotStore, tmp_path: Path) -> None:
    store.demote("quality regression")
    assert store.production() is None
    assert store.load_production() is None
    store.ensure_default()  # not empty: a deliberate rules-only state is kept
    assert store.production() is None
    with pytest.raises(CoderevError, match=r"^SYS002"):
        store.demote("again")
    with pytest.raises(CoderevError, match=r"^SYS002"):
        store.promote("nothing in V1")
    # A demoted slot is no longer a fallback, even after a later V2 is demoted too.
    store.install(make_slot(tmp_path, "2.0.0"), role="V2")
    store.demote("also bad")
    assert store.production() is None


def test_demote_skips_a_corrupt_fallback_and_quarantines_it(store: SlotStore, tmp_path: Path) -> None:
    for version in ("2.0.0", "3.0.0"):
        store.install(make_slot(tmp_path, version))
        store.promote(f"{version} is better")
    flip_byte(store.versions / slot_id("2.0.0") / "model.bin")
    store.demote("slo breach")
    assert production_id(store) == DEFAULT_ID
    reasons = {t.slot_id: t.reason for t in store.history() if t.action == "quarantine"}
    assert reasons[slot_id("2.0.0")].startswith("PRV004")
    assert json.loads((store.root / "state.json").read_text())["good"] == [DEFAULT_ID]


def test_corrupt_source_is_refused_and_nothing_changes(store: SlotStore, tmp_path: Path) -> None:
    source = make_slot(tmp_path, "2.0.0")
    flip_byte(source / "model.bin")
    state = (store.root / "state.json").read_bytes()
    listing = sorted(p.name for p in store.versions.iterdir())
    with pytest.raises(CoderevError, match=r"^PRV002"):
        store.install(source)
    assert (store.root / "state.json").read_bytes() == state
    assert sorted(p.name for p in store.versions.iterdir()) == listing
    (source / "manifest.json").unlink()
    with pytest.raises(CoderevError, match=r"^DAT003"):
        store.install(source)


def test_corrupt_production_is_quarantined_and_never_returned(
    store: SlotStore, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store.install(make_slot(tmp_path, "2.0.0"))
    store.promote("better")
    flip_byte(store.versions / slot_id("2.0.0") / "model.bin")
    assert production_id(store) == slot_id("2.0.0")
    with caplog.at_level(logging.WARNING, logger="coderev.slots"):
        loaded = store.load_production()
    assert loaded is not None and loaded.id == DEFAULT_ID
    assert any(getattr(r, "code", None) == "PRV004" for r in caplog.records)
    assert roles(store)[slot_id("2.0.0")] == "V3"
    quarantine = [t for t in store.history() if t.action == "quarantine"]
    assert quarantine[-1].slot_id == slot_id("2.0.0")
    assert "PRV004" in quarantine[-1].reason and "model.bin" in quarantine[-1].reason
    ModelSlot(loaded.path)  # the fallback really loads
    flip_byte(store.versions / DEFAULT_ID / "tokenizer.model", 10)
    assert store.load_production() is None
    # Reinstalling the quarantined slot repairs its read-only copy and makes it experimental.
    store.install(make_slot(tmp_path / "fresh", "2.0.0"))
    assert store.verify(slot_id("2.0.0")) == {slot_id("2.0.0"): "ok"}
    assert roles(store)[slot_id("2.0.0")] == "V1"


def test_verify_reports_and_quarantines_a_corrupt_experimental_slot(store: SlotStore, tmp_path: Path) -> None:
    store.install(make_slot(tmp_path, "2.0.0"))
    (store.versions / slot_id("2.0.0") / "extra.txt").write_text("not in the manifest")
    results = store.verify()
    assert results[DEFAULT_ID] == "ok"
    assert "extra.txt is not in the manifest" in results[slot_id("2.0.0")]
    assert store.experimental() is None
    assert roles(store)[slot_id("2.0.0")] == "V3"
    with pytest.raises(CoderevError, match=r"^SYS002"):
        store.verify("no-such-slot")


def test_promoting_a_corrupt_experimental_slot_quarantines_it(store: SlotStore, tmp_path: Path) -> None:
    store.install(make_slot(tmp_path, "2.0.0"))
    flip_byte(store.versions / slot_id("2.0.0") / "config.json", 5)
    with pytest.raises(CoderevError, match=r"^PRV002"):
        store.promote("looked good")
    assert roles(store) == {DEFAULT_ID: "V2", slot_id("2.0.0"): "V3"}


def test_a_vanished_slot_directory_is_dropped(store: SlotStore, tmp_path: Path) -> None:
    store.install(make_slot(tmp_path, "2.0.0"))
    remove_tree(store.versions / slot_id("2.0.0"))
    assert roles(store) == {DEFAULT_ID: "V2"}
    assert store.history()[-1].action == "lost"


def test_two_stores_on_one_root_see_each_other(tmp_path: Path) -> None:
    first, second = SlotStore(tmp_path / "slots"), SlotStore(tmp_path / "slots")
    first.ensure_default()
    second.ensure_default()
    assert len(first.history()) == 1
    second.install(make_slot(tmp_path, "2.0.0"))
    assert first.experimental().id == slot_id("2.0.0")  # type: ignore[union-attr]
    first.promote("seen through the file")
    assert production_id(second) == slot_id("2.0.0")


def test_concurrent_stores_do_not_lose_transitions(tmp_path: Path) -> None:
    root = tmp_path / "slots"
    SlotStore(root).ensure_default()
    sources = {w: [make_slot(tmp_path / f"w{w}", f"{w}.{i}") for i in range(4)] for w in (1, 2)}
    errors: list[BaseException] = []

    def worker(w: int) -> None:
        store = SlotStore(root)  # its own flock file description
        try:
            for source in sources[w]:
                store.install(source)
                try:
                    store.promote(f"worker {w}")
                except CoderevError as exc:  # the other worker promoted our V1 already
                    assert exc.code == "SYS002"
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(w,)) for w in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors
    final = SlotStore(root)
    history = final.history()
    assert sum(t.action == "install" for t in history) == 9
    assert len((root / "history.jsonl").read_text().splitlines()) == len(history)
    assert {t.slot_id: t.to_role for t in history} == roles(final)  # the last move of each slot
    assert len(final.all()) == 9


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root to switch to nobody")
def test_read_only_trees_are_removable_without_root() -> None:
    """Root ignores permissions, so the quarantine's read-only modes are only tested as nobody."""
    base = Path(tempfile.mkdtemp())  # pytest's tmp_path is private to root
    tree = base / "tree"
    (tree / "sub").mkdir(parents=True)
    (tree / "sub" / "model.bin").write_bytes(b"x")
    for path in [base, tree, tree / "sub", tree / "sub" / "model.bin"]:
        shutil.chown(path, "nobody")
    set_read_only(tree, read_only=True)

    def as_nobody(remove: Callable[[Path], object]) -> int:
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child reports through its exit status only
            status = 1
            try:
                os.setgid(65534)
                os.setuid(65534)
                remove(tree)
                status = 0
            finally:
                os._exit(status)
        return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])

    try:
        assert as_nobody(shutil.rmtree) != 0  # what remove_tree has to overcome
        assert tree.exists()
        assert as_nobody(remove_tree) == 0
        assert not tree.exists()
    finally:
        shutil.rmtree(base)
