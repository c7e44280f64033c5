"""Build the advisory snapshot packaged with coderev (``make advisories-snapshot``)::

    python -m coderev.analyzers.deps.snapshot shared/data/advisories/pypa-advisory-database-3ccb612.tar.gz

reads an advisory repository's archive (or an OSV zip, or a folder) with the importer's own
code, keeps the facts of each advisory (:mod:`coderev.analyzers.deps.osv`) and writes, under
``coderev/analyzers/deps/data/``: ``osv-snapshot.json.gz`` (byte-for-byte the same for the same
input), the licence found in the archive (``LICENSE-advisories.txt``) and ``NOTICE.md``, the
attribution the CC-BY-4.0 licence asks for. Run at build time by a maintainer, never by coderev.
"""

from __future__ import annotations

import argparse
import sys
import tarfile
import zipfile
from collections.abc import Sequence
from pathlib import Path

from coderev.analyzers.deps.database import SNAPSHOT_NAME, ImportReport, Source, Store, collect, save_store

DATA = Path(__file__).resolve().parent / "data"
LICENSE_NAME = "LICENSE-advisories.txt"
PYPA = "https://github.com/pypa/advisory-database"


def _archive_license(archive: Path) -> tuple[str, str]:
    """(licence text, revision) of an archive: its top-level LICENSE and, for ``git archive``
    tarballs, the commit recorded in the pax header."""
    if archive.is_dir():
        found = next((p for p in (archive / "LICENSE", archive.parent / "LICENSE") if p.is_file()), None)
        return (found.read_text(encoding="utf-8") if found else ""), ""
    if zipfile.is_zipfile(archive):
        return "", ""
    with tarfile.open(archive) as tar:
        revision = str(tar.pax_headers.get("comment", ""))
        for member in tar:
            if member.isreg() and member.name.count("/") <= 1 and member.name.rsplit("/", 1)[-1] == "LICENSE":
                handle = tar.extractfile(member)
                if handle is not None:
                    return handle.read().decode("utf-8"), revision
    return "", revision


def notice(source: Source, count: int) -> str:
    revision = f", commit {source.revision}" if source.revision else ""
    return (
        "# Advisory snapshot: attribution\n\n"
        f"`{SNAPSHOT_NAME}` holds facts from the **{source.name}** ({source.origin}{revision}), "
        f"as of {source.date}: {count} advisories.\n\n"
        f"That database is licensed under the Creative Commons Attribution 4.0 International licence "
        f"(CC-BY-4.0), whose text is in `{LICENSE_NAME}` beside this file "
        "(https://creativecommons.org/licenses/by/4.0/).\n\n"
        "Changes made: only each advisory's id, aliases, modification date, affected package "
        "ranges and versions, fixed versions, severity (CVSS base score computed from its vector), "
        "CWE ids and one reference URL are kept, in a compact JSON form; summaries and details are "
        "left out. Built by `python -m coderev.analyzers.deps.snapshot`.\n"
    )


def build(archive: Path, out: Path, *, name: str, origin: str, license_id: str) -> tuple[Store, ImportReport]:
    report = ImportReport()
    found, withdrawn = collect([archive], report)
    for ident in withdrawn:
        found.pop(ident, None)
    text, revision = _archive_license(archive)
    store = Store(advisories=found)
    source = Source(name, origin, store.date, len(found), license=license_id, revision=revision[:12])
    store.sources = [source]
    out.mkdir(parents=True, exist_ok=True)
    save_store(out / SNAPSHOT_NAME, store)
    if text:
        (out / LICENSE_NAME).write_text(text, encoding="utf-8")
    (out / "NOTICE.md").write_text(notice(source, len(found)), encoding="utf-8")
    return store, report


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m coderev.analyzers.deps.snapshot", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("archive", type=Path, help="advisory repository archive, OSV zip or folder")
    parser.add_argument("--out", type=Path, default=DATA, help=f"output folder (default: {DATA})")
    parser.add_argument("--name", default="PyPA advisory database", help="the source's name, for status and NOTICE")
    parser.add_argument("--origin", default=PYPA, help="where the source is published")
    parser.add_argument("--license", dest="license_id", default="CC-BY-4.0", help="the source's licence (SPDX id)")
    args = parser.parse_args(argv)
    store, report = build(args.archive, args.out, name=args.name, origin=args.origin, license_id=args.license_id)
    for problem in report.problems:
        print(f"skipped: {problem}", file=sys.stderr)
    print(f"{len(store.advisories)} advisories as of {store.date} ({report.read} entries read, "
          f"{report.withdrawn} withdrawn, {report.other} for other ecosystems, {len(report.problems)} skipped) "
          f"-> {args.out / SNAPSHOT_NAME}")
    return 0 if store.advisories else 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
