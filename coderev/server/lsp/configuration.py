"""Configuration and lifecycle: initialize, settings, workspace folders, watched config files.

Settings are read from ``initializationOptions``, then from ``workspace/configuration`` (section
``coderev``) when the client offers it, again on every ``didChangeConfiguration``, and from each
root's ``.coderev.toml`` / ``pyproject.toml``, which (with rule files) the client watches when it
can register watchers, else the server itself (``file_watch``). Invalid values fall back to their
defaults and are shown to the user (``window/showMessage`` and a log line). Any change refreshes
diagnostics.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, Final

from lsprotocol import types

from coderev.analyzers.errors import CoderevError
from coderev.server.lsp import convert, trace, workspace_scan
from coderev.server.lsp.file_watch import ConfigWatch
from coderev.server.lsp.server import CoderevServer
from coderev.server.lsp.settings import Settings, parse_settings
from coderev.server.lsp.settings import as_json as settings_json

SECTION: Final = "coderev"
WATCHED: Final = ("**/.coderev.toml", "**/pyproject.toml", "**/*.yaml", "**/*.yml")


def _has(obj: Any, *path: str) -> bool:
    for name in path:
        obj = getattr(obj, name, None)
        if obj is None:
            return False
    return bool(obj)


def initialize(ls: CoderevServer, params: types.InitializeParams) -> None:
    ls.log.bind_loop()
    caps = params.capabilities
    ls.client.pull_diagnostics = _has(caps, "text_document", "diagnostic")
    ls.client.diagnostic_refresh = _has(caps, "workspace", "diagnostics", "refresh_support")
    resolvable = getattr(getattr(getattr(caps, "text_document", None), "code_action", None), "resolve_support", None)
    ls.client.code_action_resolve = resolvable is not None and "edit" in resolvable.properties
    ls.client.disabled_code_actions = _has(caps, "text_document", "code_action", "disabled_support")
    ls.client.work_done_progress = _has(caps, "window", "work_done_progress")
    ls.client.configuration = _has(caps, "workspace", "configuration")
    ls.client.watched_files_registration = _has(caps, "workspace", "did_change_watched_files", "dynamic_registration")
    ls.client.configuration_registration = _has(caps, "workspace", "did_change_configuration", "dynamic_registration")
    ls.client.related_information = trace.client_accepts(caps)
    ls.encoding = convert.encoding(ls.workspace.position_encoding)
    roots = [ls.path_of(f.uri) for f in params.workspace_folders or []]
    if not roots and params.root_uri:
        roots = [ls.path_of(params.root_uri)]
    ls.project.set_roots([r for r in roots if r is not None])
    ls.initialization_options = params.initialization_options
    settings, errors = parse_settings(params.initialization_options)
    _apply(ls, settings, errors, refresh=False)


async def initialized(ls: CoderevServer, params: types.InitializedParams) -> None:
    registrations = []
    if ls.client.watched_files_registration:
        registrations.append(
            types.Registration(
                id="coderev-watch-config",
                method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                register_options=types.DidChangeWatchedFilesRegistrationOptions(
                    watchers=[types.FileSystemWatcher(glob_pattern=g) for g in WATCHED]
                ),
            )
        )
    if ls.client.configuration_registration:
        registrations.append(
            types.Registration(id="coderev-config", method=types.WORKSPACE_DID_CHANGE_CONFIGURATION)
        )
    if registrations:
        try:
            await ls.client_register_capability_async(types.RegistrationParams(registrations=registrations))
        except Exception as exc:
            ls.log.debug(f"client refused registrations: {exc}")
    if not ls.client.watched_files_registration:  # the client cannot watch files for us: watch them ourselves
        ls.config_watch = ConfigWatch(ls.log, lambda paths: files_changed(ls, paths))
        ls.config_watch.update(ls.project.roots, ls.project.rule_dirs())
    if ls.client.configuration:
        await pull_settings(ls)
    ls.scan_task = asyncio.ensure_future(workspace_scan.scan(ls))


async def pull_settings(ls: CoderevServer) -> None:
    try:
        values = await ls.workspace_configuration_async(
            types.ConfigurationParams(items=[types.ConfigurationItem(section=SECTION)])
        )
    except Exception as exc:
        ls.log.warning(f"workspace/configuration failed: {exc}")
        return
    value = values[0] if values else None
    if value is None:
        return
    settings, errors = parse_settings(_over_initialization_options(ls, value))
    if settings == ls.project.settings and not errors:
        return  # nothing new: keep the analyses already running (and their results) valid
    _apply(ls, settings, errors)


async def did_change_configuration(ls: CoderevServer, params: types.DidChangeConfigurationParams) -> None:
    if ls.client.configuration:
        await pull_settings(ls)
        return
    value = params.settings.get(SECTION, params.settings) if isinstance(params.settings, dict) else None
    settings, errors = parse_settings(_over_initialization_options(ls, value))
    _apply(ls, settings, errors)


def _over_initialization_options(ls: CoderevServer, value: Any) -> Any:
    """Editor settings win key by key over ``initializationOptions``, which stay the base."""
    base = ls.initialization_options
    if isinstance(base, dict) and isinstance(base.get(SECTION), dict):
        base = base[SECTION]
    if isinstance(value, dict) and isinstance(value.get(SECTION), dict):
        value = value[SECTION]
    if isinstance(base, dict) and isinstance(value, dict):
        return {**base, **value}
    return value if value is not None else base


def did_change_workspace_folders(ls: CoderevServer, params: types.DidChangeWorkspaceFoldersParams) -> None:
    removed = {ls.path_of(f.uri) for f in params.event.removed}
    added = [ls.path_of(f.uri) for f in params.event.added]
    roots = [r for r in ls.project.roots if r not in removed] + [r for r in added if r is not None]
    ls.project.set_roots(roots)
    for doc in ls.documents:
        doc.root = ls.project.root_for(doc.path)
    _apply(ls, ls.project.settings, [])


def did_change_watched_files(ls: CoderevServer, params: types.DidChangeWatchedFilesParams) -> None:
    files_changed(ls, [path for change in params.changes if (path := ls.path_of(change.uri)) is not None])


def files_changed(ls: CoderevServer, paths: list[Path]) -> None:
    """Files changed on disk (the client's watchers, or the server's own: ``file_watch``): reload
    when one is a configuration file or a file of a rule directory."""
    rule_dirs = ls.project.rule_dirs()
    relevant = any(
        path.name in {".coderev.toml", "pyproject.toml"}
        or (path.suffix in {".yaml", ".yml"} and any(d in path.parents for d in rule_dirs))
        for path in paths
    )
    if relevant:
        ls.log.info("configuration or rule files changed: reloading")
        ls.project.forget_rules()
        _apply(ls, ls.project.settings, [])


def _apply(ls: CoderevServer, settings: Settings, errors: list[CoderevError], refresh: bool = True) -> None:
    errors = errors + ls.project.reload(settings)
    ls.scheduler.debounce_s = settings.debounce_ms / 1000
    for error in errors:
        ls.log.show(error)
    ls.log.info(f"settings: {settings_json(settings)}", generation=ls.project.generation)
    ls.model.configure(settings)
    ls.learning.configure(settings)
    if ls.config_watch is not None:  # the rule directories may have changed
        ls.config_watch.update(ls.project.roots, ls.project.rule_dirs())
    if refresh:
        ls.reanalyze_all()


def shutdown(ls: CoderevServer, params: None) -> None:
    if ls.config_watch is not None:
        ls.config_watch.stop()
    ls.model.stop()
    ls.shutdown_state()


def status(ls: CoderevServer, params: Any) -> dict[str, Any]:
    """``coderev/status``: the model engine's state (also sent as a notification on changes) and
    the background learning scheduler's (``learning``: docs/learning.md)."""
    return {**ls.model.status(), "learning": ls.learning.status()}
