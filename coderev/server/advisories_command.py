"""``coderev advisories``: the local vulnerability advisory database (docs/dependencies.md).

- ``import PATH...`` merges OSV advisories (JSON/YAML files, folders, OSV's per-ecosystem zips,
  advisory repository tarballs) into the user's store; malformed entries are skipped with DEP001
  and named, and the store is replaced atomically only once everything was read;
- ``status`` says what is in use: the packaged snapshot (source, date, age, licence), the
  imported store (count, date, last import) and the advisories per ecosystem.

No command here touches the network: fresh data is downloaded elsewhere and imported.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from coderev.analyzers.errors import CoderevError

log = logging.getLogger("coderev.advisories")
STALE_DAYS = 90  # status warns past this age
SHOWN_PROBLEMS = 20


def add_arguments(parser: argparse.ArgumentParser) -> None:
    commands = parser.add_subparsers(dest="advisories_command", required=True)
    imported = commands.add_parser("import", help="import OSV advisories: JSON/YAML files, folders, OSV zips")
    imported.add_argument("paths", nargs="+", type=Path, metavar="PATH",
                          help="an OSV .json/.yaml file, a folder of them, an ecosystem's all.zip from OSV, "
                          "or an advisory repository's .tar.gz")
    status = commands.add_parser("status", help="which advisories are in use, and how old they are")
    status.add_argument("--json", action="store_true", help="print the status as JSON")
    for sub in (imported, status):
        sub.add_argument("--store", type=Path, metavar="FILE",
                         help="the imported-advisory store (default: $CODEREV_DATA_DIR/advisories/advisories.json.gz "
                         "or the user data directory)")


def _age(day: str, today: date) -> int | None:
    try:
        return (today - date.fromisoformat(day[:10])).days
    except ValueError:
        return None


def status_data(store: Path | None = None, today: date | None = None) -> dict[str, Any]:
    from coderev.analyzers.deps import database

    today = today or datetime.now(UTC).date()
    store_path = store or database.user_store_path()
    db = database.current(store_path)
    stores = dict(db.stores)
    packaged, imported = stores["packaged"], stores["imported"]
    last = imported.sources[-1] if imported.sources else None
    return {
        "packaged": {
            "path": str(database.packaged_path()),
            "sources": [vars_of(s) for s in packaged.sources],
            "advisories": len(packaged.advisories),
            "date": packaged.date,
            "age_days": _age(packaged.date, today),
        },
        "imported": {
            "path": str(store_path),
            "advisories": len(imported.advisories),
            "date": imported.date,
            "age_days": _age(imported.date, today) if imported.date else None,
            "last_import": last.imported if last else "",
            "last_import_age_days": _age(last.imported, today) if last else None,
            "sources": [vars_of(s) for s in imported.sources],
        },
        "in_use": {"advisories": len(db), "ecosystems": db.ecosystems()},
        "problems": [str(p) for p in db.problems],
    }


def vars_of(source: Any) -> dict[str, Any]:
    from dataclasses import asdict

    return asdict(source)


def _days(age: int | None) -> str:
    if age is None:
        return "age unknown"
    return f"{age} day{'s' if age != 1 else ''} old" + (" - import newer OSV data" if age > STALE_DAYS else "")


def _print_status(data: dict[str, Any]) -> None:
    packaged, imported = data["packaged"], data["imported"]
    print("Advisory database (local; nothing is fetched: update it with `coderev advisories import`)")
    for source in packaged["sources"]:
        revision = f", commit {source['revision']}" if source.get("revision") else ""
        print(f"  packaged snapshot  {source['name']} ({source['origin']}{revision}), licence {source['license']}")
    print(f"                     {packaged['advisories']:,} advisories as of {packaged['date'] or 'unknown'} "
          f"({_days(packaged['age_days'])})")
    if imported["advisories"] or imported["sources"]:
        print(f"  imported           {imported['advisories']:,} advisories as of {imported['date'] or 'unknown'} "
              f"({_days(imported['age_days'])}), in {imported['path']}")
        print(f"                     last import {imported['last_import']} "
              f"({imported['last_import_age_days']} days ago): {imported['sources'][-1]['name']}")
    else:
        print(f"  imported           none yet ({imported['path']})")
    ecosystems = ", ".join(f"{k} {v:,}" for k, v in data["in_use"]["ecosystems"].items()) or "none"
    print(f"  in use             {data['in_use']['advisories']:,} advisories ({ecosystems})")
    for problem in data["problems"]:
        print(f"coderev: {problem}", file=sys.stderr)


def _import(paths: list[Path], store: Path | None) -> int:
    from coderev.analyzers.deps import database

    report = database.import_paths(paths, store)
    for problem in report.problems[:SHOWN_PROBLEMS]:
        log.warning("%s", problem, extra={"code": problem.code})
    if len(report.problems) > SHOWN_PROBLEMS:
        log.warning("... and %d more entries skipped", len(report.problems) - SHOWN_PROBLEMS)
    print(f"Imported {report.added + report.updated + report.unchanged:,} advisories as of {report.date or 'unknown'} "
          f"({report.read:,} entries read): {report.added:,} added, {report.updated:,} updated, "
          f"{report.unchanged:,} already current; {report.withdrawn:,} withdrawn, {report.other:,} for ecosystems "
          f"coderev does not read, {len(report.problems):,} skipped.")
    print(f"The store holds {report.total:,} advisories: {store or database.user_store_path()}")
    return 0


def run(args: argparse.Namespace) -> int:
    try:
        if args.advisories_command == "import":
            return _import(args.paths, args.store)
        data = status_data(args.store)
        if args.json:
            print(json.dumps(data, indent=2))
        else:
            _print_status(data)
        return 0
    except CoderevError as exc:
        log.error("%s", exc, extra={"code": exc.code})
        return 2
    except PermissionError as exc:
        error = CoderevError("AUTH001", f"{exc.filename}: {exc.strerror}")
        log.error("%s", error, extra={"code": error.code})
        return 2
    except OSError as exc:
        error = CoderevError("DAT001", f"cannot write the advisory store: {exc.strerror or exc}")
        log.error("%s", error, extra={"code": error.code})
        return 2
