"""End-to-end fixtures: the real language server in a subprocess, driven over stdio by
pytest-lsp's client with the captured VS Code and Neovim capabilities."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from lsprotocol import types
from pygls.protocol import default_converter
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities
from pytest_lsp.client import DEFAULT_CLIENT_FEATURES, register_lsp_features

from coderev.analyzers import AnalysisOptions, Analyzer, Document, get_language, load_rules
from coderev.analyzers.finding import Finding
from coderev.server.lsp import convert

SERVER = [sys.executable, "-m", "coderev.server.lsp"]
ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 15.0
RULES = Path(__file__).resolve().parent / "rules"
RULE = "python.lsptest.yaml-load"  # tests/lsp/rules: a frozen rule, independent of the built-in set
# The model is off unless a test turns it on (tests/lsp/test_model_features.py): rule tests stay
# independent of the model's worker process.
OPTIONS: dict[str, Any] = {"debounceMs": 10, "ruleDirs": [str(RULES)], "select": ["python.lsptest"],
                           "model.enabled": False}

# VS Code 1.65 pushes (no pull support, UTF-16); Neovim 0.11 pulls and offers UTF-8 first.
CLIENTS = ["visual-studio-code", "neovim"]


class Client(LanguageClient):
    """pytest-lsp's client, also recording every publishDiagnostics with its version."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.published: list[types.PublishDiagnosticsParams] = []
        self.statuses: list[Any] = []  # coderev/status notifications
        self.registrations: list[types.Registration] = []
        self.finished = False
        self.client_name = ""
        self.root = Path()
        self._news = asyncio.Event()

    def on_publish(self, params: types.PublishDiagnosticsParams) -> None:
        self.published.append(params)
        self.diagnostics[params.uri] = params.diagnostics
        self._news.set()

    @property
    def pulls(self) -> bool:
        return self.client_name.startswith("neovim")

    async def wait_until(self, check: Any, timeout: float = TIMEOUT) -> Any:
        """Wait until ``check()`` returns something truthy (re-checked on every notification)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            found = check()
            if found:
                return found
            self._news.clear()
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(f"condition not met within {timeout}s")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._news.wait(), min(remaining, 0.05))

    async def diagnostics_for(self, uri: str, version: int) -> list[types.Diagnostic]:
        """Diagnostics of ``uri`` at ``version``: pulled, or waited for as a push."""
        if self.pulls:
            report = await self.text_document_diagnostic_async(
                types.DocumentDiagnosticParams(text_document=types.TextDocumentIdentifier(uri=uri))
            )
            assert isinstance(report, types.RelatedFullDocumentDiagnosticReport)
            assert report.result_id is not None and report.result_id.startswith(f"{version}.")
            return list(report.items)

        def published() -> types.PublishDiagnosticsParams | None:
            hits = [p for p in self.published if p.uri == uri and p.version == version]
            return hits[-1] if hits else None

        params = await self.wait_until(published)
        return list(params.diagnostics)

    def open(self, name: str, text: str, language_id: str = "python", version: int = 1) -> str:
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        uri = path.as_uri()
        self.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(uri=uri, language_id=language_id, version=version, text=text)
            )
        )
        return uri

    def change(self, uri: str, version: int, edits: list[types.TextEdit]) -> None:
        self.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
                content_changes=[
                    types.TextDocumentContentChangePartial(range=e.range, text=e.new_text) for e in edits
                ],
            )
        )


def _publish(client: Client, params: types.PublishDiagnosticsParams) -> None:
    client.on_publish(params)


def _status(client: Client, params: Any) -> None:
    client.statuses.append(params)
    client._news.set()


def _register(client: Client, params: types.RegistrationParams) -> None:
    client.registrations += params.registrations


def _converter() -> Any:
    """pygls' converter, except that a CodeAction carrying a command stays a CodeAction
    (lsprotocol's hook turns every object with a ``command`` key into a Command)."""
    converter = default_converter()

    def command_or_action(obj: Any, _: type) -> types.Command | types.CodeAction:
        if isinstance(obj.get("command"), str):
            return converter.structure(obj, types.Command)  # type: ignore[no-any-return]
        return converter.structure(obj, types.CodeAction)  # type: ignore[no-any-return]

    converter.register_structure_hook(types.Command | types.CodeAction, command_or_action)
    return converter


def make_client() -> Client:
    client = Client(converter_factory=_converter)
    features = dict(DEFAULT_CLIENT_FEATURES)
    features[types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS] = _publish
    features[types.CLIENT_REGISTER_CAPABILITY] = _register
    features["coderev/status"] = _status
    register_lsp_features(client, features)
    return client


async def start(
    name: str,
    root: Path,
    cache_dir: Path,
    options: dict[str, Any] | None = None,
    capabilities: types.ClientCapabilities | None = None,
    folders: list[Path] | None = None,
    server_args: list[str] | None = None,
    python_path: list[Path] | None = None,
) -> Client:
    """Start the server and initialize it; ``options`` are added to :data:`OPTIONS`;
    ``python_path`` goes before the project on the server's PYTHONPATH."""
    path = os.pathsep.join(str(p) for p in [*(python_path or []), ROOT])
    env = {**os.environ, "CODEREV_CACHE_DIR": str(cache_dir), "PYTHONPATH": path}
    command = SERVER + (server_args or [])
    config = ClientServerConfig(server_command=command, client_factory=make_client, server_env=env)
    client = await config.start()
    assert isinstance(client, Client)
    client.client_name = name
    client.root = root
    await client.initialize_session(
        types.InitializeParams(
            capabilities=capabilities or client_capabilities(name),
            root_uri=root.as_uri(),
            workspace_folders=[types.WorkspaceFolder(uri=f.as_uri(), name=f.name) for f in folders or [root]],
            initialization_options={**OPTIONS, **(options or {})},
        )
    )
    return client


async def stop(client: Client) -> None:
    if client.finished:
        return
    client.finished = True
    await asyncio.wait_for(client.shutdown_session(), TIMEOUT)
    await client.stop()


@pytest.fixture(scope="session", params=CLIENTS)
def client_name(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    root.mkdir()
    return root


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def client(client_name: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Client]:
    """One server per client kind, shared by the tests that leave no state behind (each test
    opens its own files); tests that change settings or restart use ``fresh_client``."""
    base = tmp_path_factory.mktemp(f"shared-{client_name}")
    (base / "ws").mkdir()
    lsp = await start(client_name, base / "ws", base / "cache")
    yield lsp
    await stop(lsp)


@pytest_asyncio.fixture(loop_scope="session")
async def fresh_client(client_name: str, workspace: Path, tmp_path: Path) -> AsyncIterator[Client]:
    lsp = await start(client_name, workspace, tmp_path / "cache")
    yield lsp
    await stop(lsp)


@functools.cache
def _analyzer() -> Analyzer:
    return Analyzer(load_rules([RULES], builtin=False), AnalysisOptions(select=("python.lsptest",)))


def expected(text: str, encoding: str) -> list[tuple[str, tuple[int, int, int, int]]]:
    """(rule id, range) of a fresh, non-incremental analysis of ``text``."""
    spec = get_language("python")
    analyzer = _analyzer()
    document = Document(text, spec, encoding=convert.encoding(encoding))
    snapshot = document.snapshot()
    return [_key(convert.diagnostic(f, snapshot)) for f in analyzer.analyze(snapshot)]


def _key(d: types.Diagnostic) -> tuple[str, tuple[int, int, int, int]]:
    r = d.range
    return str(d.code), (r.start.line, r.start.character, r.end.line, r.end.character)


def keys(diagnostics: list[types.Diagnostic]) -> list[tuple[str, tuple[int, int, int, int]]]:
    return sorted(_key(d) for d in diagnostics)


def apply_text_edits(text: str, edits: list[types.TextEdit], encoding: str) -> str:
    """Apply LSP edits to ``text`` the way an editor does (positions in ``encoding``)."""
    document = Document(text, None, encoding=convert.encoding(encoding))
    ordered = sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True)
    changes = [types.TextDocumentContentChangePartial(e.range, e.new_text) for e in ordered]
    document.apply_changes([convert.text_change(c) for c in changes])
    return document.text


def encoding_of(client: Client) -> str:
    return "utf-8" if client.pulls else "utf-16"


__all__ = ["Finding"]


async def dismiss(client: Client, uri: str, diagnostic: types.Diagnostic) -> None:
    """Run the "Dismiss this ... finding" code action of ``diagnostic``, as the editor would."""
    result = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=diagnostic.range,
            context=types.CodeActionContext(diagnostics=[diagnostic]),
        )
    )
    [action] = [a for a in result or [] if isinstance(a, types.CodeAction) and a.title.startswith("Dismiss this ")]
    assert action.command is not None and action.command.command == "coderev.dismiss"
    await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command=action.command.command, arguments=action.command.arguments)
    )
