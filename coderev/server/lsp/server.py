"""The coderev language server object: shared state that every feature module works with."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path

from coderev.analyzers import PositionEncoding, Snapshot, UnitCache
from coderev.analyzers.analysis import Analyzer
from coderev.analyzers.budget import Budget, skip_error
from coderev.analyzers.errors import CoderevError
from coderev.analyzers.finding import Finding, Severity
from coderev.analyzers.languages import LanguageSpec
from coderev.engine.learning.policy import Action
from coderev.server.lsp import ai_review, convert, trace
from coderev.server.lsp.code_index import CodeIndex
from coderev.server.lsp.documents import AnalysisResult, DocumentStore, OpenDocument
from coderev.server.lsp.file_watch import ConfigWatch
from coderev.server.lsp.learning_schedule import EditWatch, LearningSchedules
from coderev.server.lsp.log import ClientLog
from coderev.server.lsp.model import ModelBridge
from coderev.server.lsp.project import Project
from coderev.server.lsp.protocol import CoderevProtocol
from coderev.server.lsp.scheduler import Scheduler
from coderev.server.lsp.settings import RunMode

if TYPE_CHECKING:
    from coderev.server.lsp.metrics import LspMetrics

VERSION = "0.1.0"
# After the first diagnostics are delivered, before the full query of their language compiles.
WARM_UP_DELAY_S = 0.05


@dataclass(slots=True)
class ClientSupport:
    """What the client can do, read once from its capabilities."""

    pull_diagnostics: bool = False
    diagnostic_refresh: bool = False
    code_action_resolve: bool = False
    disabled_code_actions: bool = False  # codeAction.disabledSupport (VS Code has it, Neovim does not)
    work_done_progress: bool = False
    configuration: bool = False
    watched_files_registration: bool = False
    configuration_registration: bool = False
    related_information: bool = False  # publishDiagnostics (or diagnostic).relatedInformation


@dataclass(frozen=True, slots=True)
class ScannedFile:
    """Diagnostics of a file the workspace scan analyzed (not open in the editor)."""

    uri: str
    result_id: str
    diagnostics: tuple[types.Diagnostic, ...]


class CoderevServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("coderev", VERSION, protocol_cls=CoderevProtocol, max_workers=4)
        self.documents = DocumentStore()
        self.code = CodeIndex(self.documents)  # other files' functions, for the taint engine
        self.project = Project()
        self.learning = LearningSchedules(self.project)  # background learning runs (learning.schedule)
        self.edits = EditWatch()  # applied fixes the user may still edit
        self.client = ClientSupport()
        self.log = ClientLog(self)
        self.encoding = PositionEncoding.UTF16
        self.analysis_pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="coderev-analysis")
        self.metrics: LspMetrics | None = None  # with --metrics-port
        self.scheduler = Scheduler(
            self.analysis_pool, self._analyze_timed, self.publish, lambda: self.project.generation, self.log.trace
        )
        self.scanned: dict[str, ScannedFile] = {}
        self.initialization_options: Any = None
        self._reported: set[str] = set()
        self._warming: set[tuple[int, str]] = set()
        self.model = ModelBridge(self.log, self.protocol.notify, self.ai_review_ready)
        self._warming_lock = threading.Lock()
        self.scan_task: asyncio.Future[dict[str, int]] | None = None
        self.config_watch: ConfigWatch | None = None  # only when the client cannot watch files for us

    # -- analysis (worker thread) -------------------------------------------------------------
    def _analyze_timed(self, doc: OpenDocument, snapshot: Snapshot, generation: int) -> AnalysisResult:
        metrics = self.metrics
        if metrics is None:
            return self.analyze(doc, snapshot, generation)
        started = time.perf_counter()
        result = self.analyze(doc, snapshot, generation)
        metrics.analysis(time.perf_counter() - started, result.findings)
        return result

    def analyze(self, doc: OpenDocument, snapshot: Snapshot, generation: int) -> AnalysisResult:
        revision = doc.ai_revision  # read first: a review finishing meanwhile makes this result stale
        if doc.skip is not None or doc.desync is not None:
            return AnalysisResult(snapshot.version, generation, snapshot, (), (), revision)
        config = self.project.config_for(doc.root)
        dismissed = self.project.dismissed(doc.root)
        seconds = config.options.file_budget_seconds
        # a newer version makes this result useless: stop matching (it is discarded anyway)
        budget = Budget(seconds, cancelled=lambda: doc.closed or doc.version != snapshot.version)
        try:
            with doc.analysis_lock:
                if doc.cache_owner is not config.analyzer:  # a unit cache is only valid for one analyzer
                    doc.cache, doc.cache_owner = UnitCache(), config.analyzer
                run = config.analyzer.run(
                    snapshot, doc.cache, budget, project=self.code.project_for(doc.root), path=doc.path
                )
        except Exception as exc:  # an analyzer bug must cost this document's findings, not the server
            doc.cache = UnitCache()
            error = CoderevError("SYS003", f"analysis of {doc.uri} v{snapshot.version} failed: {exc!r}")
            self.log.error(error.render(), code=error.code, uri=doc.uri)
            return AnalysisResult(snapshot.version, generation, snapshot, (), (), revision)
        if run.skipped and not budget.cancelled and budget.exhausted():  # ran out of time in this run
            error = skip_error(run.skipped, seconds, doc.uri)
            self.log.warning(error.render(), code=error.code, uri=doc.uri)
        kept = self._learned(doc, tuple(f for f in run.findings if f.fingerprint not in dismissed))
        steps = self.trace_context(doc.uri, doc.root, doc.path, snapshot, run.findings)  # secrets: all of them
        converted = doc.converted.diagnostics(kept, snapshot, steps) + ai_review.diagnostics(doc, snapshot, kept)
        converted += convert.skip_diagnostics(run.skipped, seconds, snapshot)
        return AnalysisResult(snapshot.version, generation, snapshot, kept, converted, revision)

    def trace_context(
        self, uri: str, root: Path | None, path: Path | None, snapshot: Snapshot, findings: Sequence[Finding]
    ) -> trace.TraceContext | None:
        """How trace steps become related information, for a client that accepts it: a step in
        another file resolves against the workspace folder ``root``, else the file's folder."""
        if not self.client.related_information:
            return None
        base = root if root is not None else (path.parent if path is not None else None)
        max_size = self.project.config_for(root).options.max_file_size
        code = self.code.project_for(root)

        def text_of(other: Path) -> bytes | None:  # what the engine read: an open buffer, else disk
            parsed = code.parsed(other)
            return parsed.source if parsed is not None else None

        return trace.context_for(uri, base, snapshot, findings, max_size, text_of=text_of)

    # -- model ------------------------------------------------------------------------------------
    def refresh(self, doc: OpenDocument) -> None:
        """Report ``doc`` again (its AI findings changed): a new push, or a pull refresh."""
        if self.client.pull_diagnostics:
            if self.client.diagnostic_refresh:
                self.workspace_diagnostic_refresh(None)
            return
        if not doc.closed:
            self.scheduler.schedule(doc, delay=0)

    def ai_review_ready(self) -> None:
        """The engine became ready: review the open documents after the usual pause."""
        for doc in self.documents:
            if not doc.closed:
                ai_review.schedule(self, doc)

    def _learned(self, doc: OpenDocument, findings: tuple[Finding, ...]) -> tuple[Finding, ...]:
        """Findings after what the acceptance model learned: kinds the user keeps dismissing
        become hints, then disappear (coderev/engine/learning; setting ``learning.enabled``)."""
        if not findings or not self.project.settings.learning_enabled:
            return findings
        try:
            learner = self.project.learner(doc.root, only_if_learned=True)
            if learner is None:
                return findings  # nothing learned in this workspace yet
            adjustments = learner.adjust(findings, path=str(doc.path) if doc.path else doc.uri,
                                         context=lambda f: doc.context(f.span.start_row))
        except CoderevError as error:  # the store cannot be read: show everything
            self.log.show(error)
            return findings
        if learner.last_error is not None:
            self.log.show(learner.last_error)
            learner.last_error = None
        out: list[Finding] = []
        for finding, adjustment in zip(findings, adjustments, strict=True):
            if adjustment.action is Action.HIDE:
                continue
            hint = adjustment.action is Action.HINT and finding.severity is not Severity.HINT
            out.append(replace(finding, severity=Severity.HINT) if hint else finding)
        return tuple(out)

    def _warm_up_after_delivery(self, doc: OpenDocument, result: AnalysisResult) -> None:
        """Schedule the full query's compilation once ``result`` has reached the client.

        py-tree-sitter holds the GIL while it compiles a query (~270 ms for Python's rules), so
        compiling in a worker thread still stalls the event loop: started as soon as the first
        analysis returned, it delayed that analysis' own diagnostics by the whole compile. A push
        is written before this runs; a pull response is written by pygls just after the handler
        returns, hence the short delay."""
        language = result.snapshot.language
        if language is None:  # other text files have pattern rules (secrets) only
            return
        analyzer = self.project.config_for(doc.root).analyzer
        asyncio.get_running_loop().call_later(WARM_UP_DELAY_S, self._warm_up, analyzer, language)

    def _warm_up(self, analyzer: Analyzer, language: LanguageSpec) -> None:
        """Compile the full query of a language in the background once a first, prefiltered
        analysis has answered (``RuleSet.compiled_for``), then report rules that failed to compile."""
        if analyzer.is_warm(language):
            self._report_rule_errors(analyzer.compiled(language).errors)
            return
        key = (id(analyzer), language.id)
        with self._warming_lock:
            if key in self._warming:
                return
            self._warming.add(key)

        def compile_all() -> None:
            try:
                self._report_rule_errors(analyzer.compiled(language).errors)
            except Exception as exc:  # a failed warm-up leaves the prefiltered path working
                self.log.error(CoderevError("SYS003", f"compiling the {language.id} rules failed: {exc!r}").render())
            finally:
                with self._warming_lock:
                    self._warming.discard(key)

        self.analysis_pool.submit(compile_all)

    def _report_rule_errors(self, errors: tuple[CoderevError, ...]) -> None:
        """Rules dropped when their language was compiled (built-in rules load unchecked)."""
        for error in errors:
            if error.render() not in self._reported:
                self._reported.add(error.render())
                self.log.show(error)

    # -- publishing (event loop) --------------------------------------------------------------
    def publish(self, doc: OpenDocument, result: AnalysisResult) -> None:
        """Push diagnostics for a current result (pull clients ask for them instead)."""
        self._warm_up_after_delivery(doc, result)
        if doc.closed or result.version != doc.version:
            return
        self.edits.analyzed(doc)  # a saved document's edited fixes, now that its secrets are known
        dependents = self.code.dependents(doc, result.version)  # they call functions of this one
        for other in dependents:
            other.result = None  # same version, but a function it calls changed
            self.scheduler.schedule(other, delay=0)
        if self.client.pull_diagnostics:
            if dependents and self.client.diagnostic_refresh:
                self.workspace_diagnostic_refresh(None)
            return
        self.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=doc.uri, diagnostics=list(result.diagnostics), version=result.version)
        )

    def clear(self, uri: str) -> None:
        if not self.client.pull_diagnostics:
            self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))

    def reanalyze_all(self) -> None:
        """After a configuration, rule or dismissal change: new diagnostics everywhere."""
        if self.client.pull_diagnostics:
            if self.client.diagnostic_refresh:
                self.workspace_diagnostic_refresh(None)
            return
        for doc in self.documents:
            if self.project.settings.run_mode is RunMode.ON_TYPE or doc.result is not None:
                self.scheduler.schedule(doc, delay=0)

    def forget_scanned(self, fingerprint: str) -> None:
        """Drop a dismissed finding from the workspace-scan results (and re-push those files)."""
        for uri, scanned in list(self.scanned.items()):
            kept = tuple(
                d
                for d in scanned.diagnostics
                if not (isinstance(d.data, dict) and d.data.get("fingerprint") == fingerprint)
            )
            if len(kept) == len(scanned.diagnostics):
                continue
            self.scanned[uri] = ScannedFile(uri, f"{scanned.result_id}-{len(kept)}", kept)
            if not self.client.pull_diagnostics:
                self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=list(kept)))

    # -- paths --------------------------------------------------------------------------------
    @staticmethod
    def path_of(uri: str) -> Path | None:
        if not uri.startswith("file:"):
            return None
        try:
            path = to_fs_path(uri)
        except Exception:
            return None
        return Path(path) if path else None

    def shutdown_state(self) -> None:
        for doc in self.documents:
            self.scheduler.cancel(doc)
        if self.scan_task is not None:
            self.scan_task.cancel()
        self.analysis_pool.shutdown(wait=False, cancel_futures=True)
        self.learning.close()
        self.project.close()
