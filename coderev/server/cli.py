"""The ``coderev`` command: ``scan``, ``serve``, ``model``, ``advisories``, ``rules``, ``doctor`` and ``errors``.

Heavy imports happen inside each command, so ``coderev --help`` and ``coderev scan`` never pay
for the language-server stack.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from coderev.analyzers.errors import CATALOGUE, CoderevError, catalogue_markdown

if TYPE_CHECKING:
    from coderev.analyzers.ruleset import RuleSet


def package_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("coderev-lsp")  # the distribution; the import package is coderev
    except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
        return "0+unknown"


class _VersionAction(argparse.Action):
    """``--version``: looks the version up only when asked (the lookup scans the installed
    distributions, a cost every ``coderev serve`` start would pay otherwise)."""

    def __init__(self, option_strings: Sequence[str], dest: str = argparse.SUPPRESS, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, help="show the version and exit", **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any,
                 option_string: str | None = None) -> None:
        sys.stdout.write(f"coderev {package_version()}\n")  # on stdout, like every tool's --version
        parser.exit(0)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        spec = CoderevError("SYS002", message)
        self.exit(2, f"coderev: {spec}\n")


def build_parser() -> argparse.ArgumentParser:
    from coderev.server import advisories_command, model_command, scan_command

    parser = _Parser(prog="coderev", description="Local-first security code review.")
    parser.add_argument("--version", action=_VersionAction)
    parser.add_argument("--log-level", default="warning", choices=("debug", "info", "warning", "error"))
    parser.add_argument("--log-format", default="text", choices=("text", "json"))
    parser.add_argument("--log-file", type=Path, help="also write JSON log lines to this file")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    scan = commands.add_parser("scan", help="scan files and directories for security findings")
    scan_command.add_arguments(scan)

    model = commands.add_parser("model", help="train, evaluate, install and manage model slots")
    model_command.add_arguments(model)

    advisories = commands.add_parser("advisories", help="import OSV vulnerability advisories, show what is in use")
    advisories_command.add_arguments(advisories)

    serve = commands.add_parser("serve", help="run the language server (stdio by default)")
    serve.add_argument("--stdio", action="store_true", help="talk over stdin/stdout (the default)")
    serve.add_argument("--tcp", metavar="HOST:PORT", help="listen on a TCP socket, for debugging")
    serve.add_argument("--metrics-port", type=int, metavar="PORT",
                       help="export Prometheus metrics on http://127.0.0.1:PORT/metrics (docs/observability.md)")

    from coderev.server.engine_api import command as engine_command

    engine = commands.add_parser("engine", help="serve the model engine over HTTP (docs/engine-api.md), "
                                 "its tokens and status")
    engine_command.add_arguments(engine)

    rules = commands.add_parser("rules", help="list the rules, or show one rule's documentation")
    rules.add_argument("rule_id", nargs="?", help="show this rule's documentation")
    rules.add_argument("--format", choices=("text", "json", "markdown"), default="text",
                       help="markdown: every rule's documentation (docs/rules.md is generated this way)")
    rules.add_argument("--rules", action="append", default=[], type=Path, metavar="DIR",
                       help="also load rule files from DIR (and report their errors)")
    rules.add_argument("--check", nargs="+", type=Path, metavar="PATH",
                       help="validate rule files (or every rule file under a directory): schema, query, and "
                       "each inline example; exit 1 if any fails")

    doctor = commands.add_parser("doctor", help="check the installation (grammars, rules, model, stores, "
                                 "editors) and say how to fix each problem")
    doctor.add_argument("--json", action="store_true", help="print the checks as JSON")

    errors = commands.add_parser("errors", help="print the error catalogue")
    errors.add_argument("--markdown", action="store_true", help="as a Markdown table")
    return parser


def _check_rules(paths: list[Path]) -> int:
    from coderev.analyzers.rule_check import check_paths

    checked = failed = 0
    codes: dict[str, str] = {}
    for result in check_paths(paths):
        checked += 1
        if result.ok:
            assert result.rule is not None
            print(f"ok    {result.path}  {result.rule.id} ({result.examples} example(s))")
            continue
        failed += 1
        for problem in result.problems:
            print(f"FAIL  {problem.code} {problem.detail}")
            codes[problem.code] = f"{problem.spec.title}. {problem.spec.remedy}"
    print(f"{checked} rule file(s): {checked - failed} ok, {failed} failed")
    for code, text in codes.items():
        print(f"  {code}: {text}")
    return 1 if failed or not checked else 0


def _rules(args: argparse.Namespace) -> int:
    from coderev.analyzers.ruleset import load_rules

    if args.check:
        return _check_rules(args.check)

    rules = load_rules(args.rules)
    for error in rules.errors:
        print(f"coderev: {error}", file=sys.stderr)
    if args.rule_id:
        rule = rules.get(args.rule_id)
        if rule is None:
            print(f"coderev: {CoderevError('SYS002', f'no rule with id {args.rule_id!r}')}", file=sys.stderr)
            return 2
        print(f"{rule.id} ({rule.severity}, {', '.join(f'CWE-{c}' for c in rule.cwe)})\n")
        print(rule.note)
        return 0
    if args.format == "markdown":
        print(rules_markdown(rules), end="")
    elif args.format == "json":
        rows = [
            {"id": r.id, "languages": list(r.languages), "severity": r.severity.value,
             "category": r.category, "cwe": list(r.cwe), "message": r.message,
             "fix": None if r.fix is None else ("safe" if r.fix.safe else "unsafe")}
            for r in rules
        ]
        print(json.dumps(rows, indent=2))
    else:
        for r in rules:
            fix = "" if r.fix is None else (" [fix]" if r.fix.safe else " [fix: unsafe]")
            print(f"{r.id:<58} {r.severity.value:<8} {','.join(f'CWE-{c}' for c in r.cwe)}{fix}")
    return 2 if rules.errors else 0


def rules_markdown(rules: RuleSet) -> str:
    """Every rule's documentation as one Markdown page, grouped by language."""
    out = [
        "# Rules",
        "",
        "Generated from the rule files by `coderev rules --format markdown`; do not edit by hand.",
        "",
    ]
    for rule in rules:
        cwe = ", ".join(f"CWE-{c}" for c in rule.cwe)
        fix = "none"
        if rule.fix is not None:
            kind = "safe (fix-all)" if rule.fix.safe else "changes behaviour"
            check = f"checked as {rule.fix.check} (docs/fixes.md)" if rule.fix.check else "unchecked: review only"
            fix = f"{kind}, {check}"
        note = rule.note.strip().replace("\n## ", "\n#### ").replace("## ", "#### ", 1)
        out += [
            f"## {rule.id}",
            "",
            f"*{rule.message}*",
            "",
            f"Languages: {', '.join(rule.languages)} · severity: {rule.severity.value} · "
            f"confidence: {rule.confidence.value} · {cwe} · fix: {fix}",
            "",
            note,
            "",
        ]
    return "\n".join(out)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from coderev.engine import logs

    logs.configure(args.log_level, args.log_format, file=args.log_file)
    if args.command == "scan":
        from coderev.server import scan_command

        return scan_command.run(args, package_version())
    if args.command == "model":
        from coderev.server import model_command

        return model_command.run(args)
    if args.command == "advisories":
        from coderev.server import advisories_command

        return advisories_command.run(args)
    if args.command == "serve":
        from coderev.server import lsp

        return lsp.serve(tcp=args.tcp, log_file=args.log_file, metrics_port=args.metrics_port)
    if args.command == "engine":
        from coderev.server.engine_api import command as engine_command

        return engine_command.run(args, package_version())
    if args.command == "rules":
        return _rules(args)
    if args.command == "doctor":
        from coderev.server import doctor

        return doctor.run(as_json=args.json)
    if args.markdown:
        print(catalogue_markdown(), end="")
    else:
        for spec in CATALOGUE.values():
            print(f"{spec.code}  {spec.title}. {spec.remedy}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
