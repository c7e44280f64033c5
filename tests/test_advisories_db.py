"""The advisory database: the packaged snapshot, imports (files, folders, zips, tarballs) and the
store's safety (a bad import or a crash never loses what was there)."""

from __future__ import annotations

import gzip
import io
import json
import os
import tarfile
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest

from coderev.analyzers.deps import database
from coderev.analyzers.deps.database import Store, import_paths, load_store
from coderev.analyzers.deps.versions import Ecosystem
from coderev.analyzers.errors import CoderevError

OSV = Path(__file__).parent / "data" / "osv"
NOW = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CODEREV_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data" / "advisories" / "advisories.json.gz"


def test_the_packaged_snapshot_holds_the_pypa_database_with_its_date_and_licence() -> None:
    snapshot = load_store(database.packaged_path(), "DEP005")
    assert len(snapshot.advisories) == 2651  # 2,661 entries in the archive, 10 of them withdrawn
    (source,) = snapshot.sources
    assert (source.license, source.date, source.revision) == ("CC-BY-4.0", "2024-10-10", "3ccb612573e2")
    assert snapshot.date == "2024-10-10"
    data = database.packaged_path().parent
    assert "Attribution 4.0 International" in (data / "LICENSE-advisories.txt").read_text()
    assert "CC-BY-4.0" in (data / "NOTICE.md").read_text()
    jinja = snapshot.advisories["PYSEC-2019-217"]
    assert jinja.aliases == ("CVE-2019-10906", "GHSA-462w-v97r-4m45") and jinja.affected[0].name == "jinja2"
    # facts only: no prose is packaged
    assert b"sandbox escape" not in gzip.decompress(database.packaged_path().read_bytes())


def test_import_a_folder_of_yaml_and_json(store: Path) -> None:
    report = import_paths([OSV], now=NOW)
    # 7 PyPI YAML + 5 JSON read; one is withdrawn; the rest imported
    assert (report.read, report.added, report.withdrawn, report.other, report.problems) == (12, 11, 1, 0, [])
    assert report.total == 11 and store.is_file()
    kept = load_store(store)
    assert kept.sources[-1].imported == "2025-01-02T03:04:05Z" and kept.sources[-1].advisories == 11
    db = database.current()
    lodash = db.entries(Ecosystem.NPM, "lodash")
    assert [a.id for a, _ in lodash] == ["GHSA-35jh-r3h4-6jhm"]
    assert len(db) == 2651 + 11 - 6  # six of the imported PyPI entries are also in the snapshot


def test_import_the_zip_osv_publishes_and_an_advisory_tarball(store: Path, tmp_path: Path) -> None:
    archive = tmp_path / "all.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in sorted((OSV / "other").glob("*.json")):
            zf.writestr(path.name, path.read_text())
        zf.writestr("README.txt", "not an advisory")
    assert import_paths([archive], now=NOW).added == 5
    tarball = tmp_path / "repo.tar.gz"
    with tarfile.open(tarball, "w:gz") as tf:
        for path in sorted((OSV / "pypi").glob("*.yaml")):
            tf.add(path, arcname=f"repo/vulns/{path.stem}/{path.name}")
        link = tarfile.TarInfo("repo/vulns/evil.yaml")
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
        tf.addfile(link)  # never followed: only regular members are read
    report = import_paths([tarball], now=NOW)
    assert (report.added, report.withdrawn, report.total) == (6, 1, 11)


def test_malformed_entries_are_skipped_by_name_and_the_rest_imported(store: Path, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "good.json").write_text((OSV / "other" / "GO-2021-0113.json").read_text())
    (folder / "no-id.json").write_text('{"affected": []}')
    (folder / "broken.json").write_text('{"id": "X", ')
    (folder / "bad.yaml").write_text("id: [unclosed\n")
    (folder / "list.json").write_text(json.dumps({"vulns": [
        {"id": "GHSA-aaaa", "affected": [{"package": {"ecosystem": "npm", "name": "a"}, "versions": ["1.0.0"]}]},
        {"id": "GHSA-bbbb", "affected": [{"package": {"ecosystem": "npm", "name": "b"},
                                          "ranges": [{"type": "SEMVER", "events": [{"fixd": "1"}]}]}]},
        {"id": "RUSTSEC-2020-1", "affected": [{"package": {"ecosystem": "crates.io", "name": "c"}}]},
    ]}))
    report = import_paths([folder], now=NOW)
    assert (report.added, report.other) == (2, 1)
    problems = sorted(str(p) for p in report.problems)
    assert all(p.startswith("DEP001") for p in problems) and len(problems) == 4
    assert any("broken.json: not valid JSON" in p for p in problems)
    assert any("bad.yaml: not valid YAML" in p for p in problems)
    assert any("list.json[1]: 'affected[0].ranges[0].events[0]': unknown event 'fixd'" in p for p in problems)
    assert any("no-id.json: 'id' must be a non-empty string" in p for p in problems)


def test_nothing_importable_is_an_error_and_leaves_the_store_as_it_was(store: Path, tmp_path: Path) -> None:
    import_paths([OSV / "other"], now=NOW)
    before = store.read_bytes()
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "x.json").write_text("{}")
    with pytest.raises(CoderevError) as caught:
        import_paths([empty, tmp_path / "missing"], now=NOW)
    assert caught.value.code == "DEP004" and "does not exist" in caught.value.detail
    assert store.read_bytes() == before


def test_a_crash_while_writing_keeps_the_old_store(store: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import_paths([OSV / "other"], now=NOW)
    before = store.read_bytes()

    def crash(_: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", crash)
    with pytest.raises(OSError, match="No space"):
        import_paths([OSV / "pypi"], now=NOW)
    assert store.read_bytes() == before
    assert [p.name for p in store.parent.iterdir()] == [store.name]  # no temporary file left behind


def test_withdrawn_and_newer_entries_update_the_store(store: Path, tmp_path: Path) -> None:
    import_paths([OSV / "other"], now=NOW)
    newer = json.loads((OSV / "other" / "GHSA-35jh-r3h4-6jhm.json").read_text())
    newer["modified"] = "2025-01-01T00:00:00Z"
    newer["affected"][0]["ranges"][0]["events"][1] = {"fixed": "4.17.22"}
    (tmp_path / "newer.json").write_text(json.dumps(newer))
    older = dict(newer, id="GO-2021-0113", modified="2020-01-01T00:00:00Z")
    (tmp_path / "older.json").write_text(json.dumps(older))
    report = import_paths([tmp_path / "newer.json", tmp_path / "older.json"], now=NOW)
    assert (report.updated, report.unchanged) == (1, 1)
    kept = load_store(store)
    assert kept.advisories["GHSA-35jh-r3h4-6jhm"].affected[0].ranges[0].events[1] == ("fixed", "4.17.22")
    assert kept.advisories["GO-2021-0113"].affected[0].name == "golang.org/x/text"  # the newer one stayed
    gone = {"id": "GO-2021-0113", "modified": "2025-02-01T00:00:00Z", "withdrawn": "2025-02-01T00:00:00Z"}
    (tmp_path / "gone.json").write_text(json.dumps(gone))
    assert import_paths([tmp_path / "gone.json"], now=NOW).withdrawn == 1
    assert "GO-2021-0113" not in load_store(store).advisories


def test_a_damaged_store_falls_back_to_the_snapshot_and_a_new_import_replaces_it(store: Path) -> None:
    store.parent.mkdir(parents=True)
    store.write_bytes(gzip.compress(b'{"format": 1, "sources": [], "advisories": [{"id": 3}]}'))
    db = database.current()
    assert len(db) == 2651 and [p.code for p in db.problems] == ["DEP003"]
    report = import_paths([OSV / "other"], now=NOW)
    assert [p.code for p in report.problems] == ["DEP003"] and report.total == 5
    assert not database.current().problems  # reloaded: the file changed


def test_the_store_is_reloaded_when_it_changes(store: Path) -> None:
    first = database.current()
    assert database.current() is first  # cached while the file is unchanged
    import_paths([OSV / "other" / "GHSA-35jh-r3h4-6jhm.json"], now=NOW)
    assert database.current() is not first and database.current().entries(Ecosystem.NPM, "lodash")


def test_encoding_is_deterministic() -> None:
    snapshot = load_store(database.packaged_path())
    again = database.encode_store(Store(snapshot.sources, dict(reversed(list(snapshot.advisories.items())))))
    assert again == database.packaged_path().read_bytes()
    assert json.load(io.BytesIO(gzip.decompress(again)))["format"] == database.FORMAT
