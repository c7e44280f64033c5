"""``coderev model list | install | import | promote | demote | verify | history``: the slot store
from the command line (:mod:`coderev.engine.slots`).

Every command first makes sure a fresh store holds the packaged default slot as V2, exactly as the
language server does, so that what the CLI shows is what an editor would use.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from coderev.analyzers.errors import CoderevError
from coderev.engine.model.prompt import FORMAT_NAME

if TYPE_CHECKING:
    from coderev.engine.slots import InstalledSlot, SlotStore, Transition

COMMANDS = ("list", "install", "import", "promote", "demote", "verify", "history")
EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2


def add_arguments(actions: Any) -> None:
    """Add the slot commands to ``coderev model``'s sub-command set (``actions``)."""

    def command(name: str, help_text: str, json_flag: bool = False) -> argparse.ArgumentParser:
        parser: argparse.ArgumentParser = actions.add_parser(name, help=help_text)
        parser.add_argument("--store", type=Path, metavar="DIR",
                            help="slot store directory (default: $CODEREV_DATA_DIR/slots or the user data directory)")
        if json_flag:
            parser.add_argument("--json", action="store_true", help="print JSON")
        return parser

    command("list", "list the installed slots and their roles (V1 experimental, V2 production, V3 quarantine)",
            json_flag=True)
    install = command("install", "install a slot directory (CTranslate2 model, tokenizer.model, manifest.json)")
    install.add_argument("dir", type=Path, metavar="DIR")
    install.add_argument("--as", dest="role", choices=("V1", "V2"), default="V1",
                         help="V1 (default): experimental, earns promotion; V2: serve it now")
    install.add_argument("--reason", default="installed by user")
    imported = command("import", "convert a local Hugging Face causal LM to CTranslate2 and install it as V1")
    imported.add_argument("hf_dir", type=Path, metavar="HF_DIR")
    imported.add_argument("--quantization", choices=("int8", "int8_float16", "float16", "float32"), default="int8")
    imported.add_argument("--name", help="slot name (default: the directory's name)")
    imported.add_argument("--version", default="1.0.0", help="slot version (default 1.0.0)")
    imported.add_argument("--prompt-format", default=FORMAT_NAME,
                          help=f"the prompt format the model was trained on (default {FORMAT_NAME})")
    imported.add_argument("--language", action="append", default=[], dest="languages",
                          help="a language the model knows (repeatable)")
    for name, help_text in (("promote", "make the experimental slot (V1) the production slot (V2)"),
                            ("demote", "quarantine the production slot; the newest good slot returns")):
        command(name, help_text).add_argument("--reason", default=f"{name}d by user")
    verify = command("verify", "check the sha256 of every file of one slot or of all; corrupt V1/V2 are quarantined",
                     json_flag=True)
    verify.add_argument("slot_id", nargs="?", metavar="ID")
    command("history", "show every role transition", json_flag=True)


def run(args: argparse.Namespace) -> int:
    from coderev.engine.slots import SlotStore

    try:
        store = SlotStore(args.store)
        try:
            store.ensure_default()
        except CoderevError as exc:  # a damaged package must not lock the user out of the store
            if exc.code not in ("PRV002", "DAT003"):
                raise
            print(f"coderev: the packaged default slot was not installed: {exc}", file=sys.stderr)
        handler = {"list": _list, "install": _install, "import": _import, "promote": _promote,
                   "demote": _demote, "verify": _verify, "history": _history}[args.model_command]
        return handler(store, args)
    except CoderevError as exc:
        print(f"coderev: {exc}", file=sys.stderr)
        return EXIT_USAGE


def _metrics_summary(manifest: dict[str, Any]) -> str:
    metrics = manifest.get("metrics")
    if not isinstance(metrics, dict):
        return "-"
    m = metrics.get("int8", metrics)
    parts = []
    if isinstance(m.get("fix_verified_and_exact"), int | float):
        parts.append(f"FIX exact {100 * m['fix_verified_and_exact']:.1f}%")
    if isinstance(m.get("fix_verified_rate"), int | float):
        parts.append(f"verified {100 * m['fix_verified_rate']:.1f}%")
    if isinstance(m.get("review_precision"), int | float) and isinstance(m.get("review_recall"), int | float):
        parts.append(f"REVIEW P {m['review_precision']:.2f} R {m['review_recall']:.2f}")
    return ", ".join(parts) or "-"


def slot_row(slot: InstalledSlot) -> dict[str, Any]:
    m = slot.manifest
    languages = m.get("languages")
    return {"role": slot.role, "id": slot.id, "path": str(slot.path), "name": m.get("name"),
            "version": m.get("version"), "quantization": m.get("quantization"),
            "languages": languages if isinstance(languages, list) else [],
            "prompt_format": m.get("prompt_format"), "metrics": _metrics_summary(m)}


def _list(store: SlotStore, args: argparse.Namespace) -> int:
    rows = [slot_row(s) for s in store.all()]
    if args.json:
        print(json.dumps({"store": str(store.root), "slots": rows}, indent=2))
        return EXIT_OK
    print(f"store {store.root}")
    if store.production() is None:
        print("no production slot (V2): rules-only; `coderev model promote` or `install --as V2` serves one")
    header = ("ROLE", "ID", "NAME", "VERSION", "QUANT", "LANGUAGES", "METRICS")
    table = [header] + [(r["role"] or "-", r["id"], str(r["name"] or "?"), str(r["version"] or "?"),
                         str(r["quantization"] or "?"), ",".join(map(str, r["languages"])) or "-", r["metrics"])
                        for r in rows]
    widths = [max(len(line[i]) for line in table) for i in range(len(header) - 1)]
    for line in table:
        print("  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=False)) + "  " + line[-1])
    return EXIT_OK


def _install(store: SlotStore, args: argparse.Namespace) -> int:
    slot = store.install(args.dir, args.role, args.reason)
    print(f"installed {slot.id} as {slot.role} in {store.root}")
    return EXIT_OK


def _import(store: SlotStore, args: argparse.Namespace) -> int:
    from coderev.engine.slots.importer import import_hf

    slot = import_hf(store, args.hf_dir, quantization=args.quantization, name=args.name, version=args.version,
                     prompt_format=args.prompt_format, languages=args.languages)
    print(f"imported {args.hf_dir} as {slot.id} ({slot.manifest['quantization']}), installed as {slot.role} "
          f"in {store.root}; `coderev model promote` makes it the production slot")
    return EXIT_OK


def _describe(transition: Transition) -> str:
    when = datetime.fromtimestamp(transition.time, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return (f"{when}  {transition.action:<10} {transition.slot_id}  {transition.from_role or '-'} -> "
            f"{transition.to_role or '-'}  {transition.reason}")


def _promote(store: SlotStore, args: argparse.Namespace) -> int:
    print(_describe(store.promote(args.reason)))
    return EXIT_OK


def _demote(store: SlotStore, args: argparse.Namespace) -> int:
    print(_describe(store.demote(args.reason)))
    production = store.production()
    print(f"production slot now: {production.id}" if production else "no production slot left: rules-only")
    return EXIT_OK


def _verify(store: SlotStore, args: argparse.Namespace) -> int:
    results = store.verify(args.slot_id)
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        for slot_id, verdict in results.items():
            print(f"{slot_id}: {verdict}")
    return EXIT_OK if all(v == "ok" for v in results.values()) else EXIT_PROBLEMS


def _history(store: SlotStore, args: argparse.Namespace) -> int:
    transitions = store.history()
    if args.json:
        print(json.dumps([t.to_json() for t in transitions], indent=2))
    else:
        for transition in transitions:
            print(_describe(transition))
    return EXIT_OK
