"""``coderev doctor``: check the installation and say what to do about each problem.

Each check is independent and never raises: it reports ``ok``, ``warn`` (works, with a caveat)
or ``FAIL`` (a feature is broken), with the detail and, for anything not ok, a remedy that names
a command or a setting that exists. Nothing is sent anywhere and no workspace code is run.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

OK, WARN, FAIL = "ok", "warn", "FAIL"


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    status: str
    detail: str
    remedy: str = ""


def _python() -> Check:
    version = ".".join(map(str, sys.version_info[:3]))
    return Check("python", OK, f"Python {version} at {sys.executable}")


def _grammars() -> Check:
    import tree_sitter

    from coderev.analyzers.languages import LANGUAGES

    loaded, broken = [], []
    for spec in LANGUAGES:
        if not spec.has_grammar:
            continue
        try:
            tree_sitter.Parser(spec.grammar).parse(b"x")
            loaded.append(spec.id)
        except Exception as exc:  # a grammar wheel that does not match the tree-sitter runtime
            broken.append(f"{spec.id} ({type(exc).__name__}: {exc})")
    if broken:
        return Check("grammars", FAIL, "cannot load: " + ", ".join(broken),
                     "reinstall coderev so its tree-sitter grammar wheels match tree-sitter "
                     "(`pip install --force-reinstall coderev-lsp`)")
    return Check("grammars", OK, "tree-sitter grammars load: " + ", ".join(loaded))


def _rules() -> Check:
    from coderev.analyzers.ruleset import default_rules

    rules = default_rules()
    if rules.errors:
        return Check("rules", FAIL, f"{len(rules.errors)} built-in rule file(s) do not load: {rules.errors[0]}",
                     "the install is damaged: reinstall coderev")
    return Check("rules", OK, f"{len(rules)} built-in rules load and compile")


def _advisories() -> Check:
    from coderev.server.advisories_command import STALE_DAYS, status_data

    data = status_data()
    problems = data["problems"]
    if any(p.startswith("DEP005") for p in problems):
        return Check("advisories", FAIL, problems[0], "the install is damaged: reinstall coderev")
    used = data["in_use"]
    ages = [age for age in (data["packaged"]["age_days"], data["imported"]["age_days"]) if age is not None]
    detail = (f"{used['advisories']:,} advisories in use ("
              + ", ".join(f"{k} {v:,}" for k, v in used["ecosystems"].items()) + f"), newest {min(ages)} days old")
    if problems:
        return Check("advisories", WARN, f"{detail}; {problems[0]}", "import the OSV data again: "
                     "coderev advisories import PATH")
    if min(ages) > STALE_DAYS:
        return Check("advisories", WARN, detail, "download OSV's all.zip per ecosystem elsewhere and run "
                     "`coderev advisories import` (docs/dependencies.md)")
    return Check("advisories", OK, detail)


def _model_runtime() -> Check:
    try:
        import ctranslate2
        import sentencepiece
    except ImportError as exc:
        return Check("model runtime", WARN, f"not importable ({exc}); rules and template fixes still work",
                     "AI fixes need the ctranslate2 and sentencepiece wheels for this platform: reinstall coderev")
    from coderev.engine.model.compute import auto_compute

    device, compute = auto_compute(None, "int8")
    return Check("model runtime", OK, f"ctranslate2 {ctranslate2.__version__}, sentencepiece "
                 f"{sentencepiece.__version__}; {device}, compute type {compute}")


def _default_slot() -> Check:
    from coderev.analyzers.errors import CoderevError
    from coderev.engine.model.manifest import verify_slot
    from coderev.engine.model.slot import default_slot_path

    try:
        manifest = verify_slot(default_slot_path())
    except (CoderevError, OSError, KeyError, ValueError) as exc:
        return Check("packaged model", FAIL, f"{default_slot_path()}: {exc}",
                     "the packaged model slot is damaged: reinstall coderev")
    return Check("packaged model", OK, f"{manifest['name']} {manifest['version']}, sha256 verified")


def _writable(directory: Path) -> str | None:
    """None when a file can be created in ``directory`` (made if missing), else why not."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=directory, prefix=".doctor-"):
            pass
    except OSError as exc:
        return f"{directory}: {exc.strerror or exc}"
    return None


def _slot_store() -> Check:
    from coderev.analyzers.errors import CoderevError
    from coderev.engine.slots.store import SlotStore, default_store_root

    root = default_store_root()
    problem = _writable(root)
    if problem is not None:
        return Check("slot store", FAIL, f"not writable: {problem}",
                     "fix the directory's permissions, or set CODEREV_DATA_DIR (or the editor setting "
                     "`coderev.model.storePath`) to a writable directory")
    try:
        store = SlotStore(root)
        store.ensure_default()  # as the server and every `coderev model` command do on a fresh store
        production, quarantined = store.production(), store.quarantined()
    except CoderevError as exc:
        return Check("slot store", FAIL, str(exc), "`coderev model history --store DIR` shows what happened")
    if production is None:
        return Check("slot store", WARN, f"{root}: no production (V2) slot; the editor runs rules-only",
                     "`coderev model list` shows the slots; `coderev model promote` makes V1 production")
    note = f"; {len(quarantined)} quarantined (`coderev model history` says why)" if quarantined else ""
    return Check("slot store", OK, f"{root}: V2 {production.id}{note}")


def _cache() -> Check:
    from coderev.analyzers.user_cache import cache_root

    root = cache_root()
    problem = _writable(root)
    if problem is not None:
        return Check("cache", FAIL, f"not writable: {problem}",
                     "set CODEREV_CACHE_DIR to a writable directory (feedback and rule caches live there)")
    return Check("cache", OK, str(root))


def _command() -> Check:
    found = shutil.which("coderev")
    if found is None:
        return Check("coderev on PATH", WARN, "not found; Neovim's default `cmd = { 'coderev', 'serve' }` needs it",
                     "add the environment's bin directory to PATH, or give the plugin the full path in `cmd`")
    return Check("coderev on PATH", OK, found)


def _editors() -> Check:
    home = Path.home()
    vscode = sorted(
        p.name for base in (".vscode/extensions", ".vscode-server/extensions", ".vscode-oss/extensions",
                            ".local/share/code-server/extensions", ".cursor/extensions")
        for p in (home / base).glob("coderev.*") if p.is_dir()
    )
    data = Path(os.environ.get("XDG_DATA_HOME") or home / ".local" / "share") / "nvim"
    config = Path(os.environ.get("XDG_CONFIG_HOME") or home / ".config") / "nvim"
    neovim = sorted({str(p) for base in (data, config) for p in base.glob("**/lua/coderev/init.lua")})
    found = [f"VS Code extension {', '.join(vscode)}"] if vscode else []
    found += [f"Neovim plugin {Path(neovim[0]).parents[2]}"] if neovim else []
    if not found:
        return Check("editors", WARN, "no coderev editor integration found for this user",
                     "install the VS Code extension (`make vsix`, then Extensions: Install from VSIX) or the "
                     "Neovim plugin (editors/neovim/README.md); any LSP client can run `coderev serve`")
    return Check("editors", OK, "; ".join(found))


CHECKS: tuple[Callable[[], Check], ...] = (
    _python, _grammars, _rules, _advisories, _model_runtime, _default_slot, _slot_store, _cache, _command, _editors,
)


def run_checks() -> list[Check]:
    out = []
    for check in CHECKS:
        try:
            out.append(check())
        except Exception as exc:  # a check must never stop the others
            name = check.__name__.strip("_").replace("_", " ")
            out.append(Check(name, FAIL, f"{type(exc).__name__}: {exc}", "report it with this output attached"))
    return out


def run(as_json: bool = False) -> int:
    checks = run_checks()
    if as_json:
        print(json.dumps([asdict(c) for c in checks], indent=2))
    else:
        for check in checks:
            print(f"{check.status:<5} {check.name:<16} {check.detail}")
            if check.remedy:
                print(f"{'':<5} {'':<16} -> {check.remedy}")
    return 1 if any(c.status == FAIL for c in checks) else 0
