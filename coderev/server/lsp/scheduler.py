"""When analysis runs: debounced, off the event loop, latest version only.

Edits are applied on the event loop in message order (``text_sync``); this module only decides
when to analyze. Each document has at most one pending task: a newer version cancels the older
task (a debounce still sleeping is simply dropped; a run already on a worker thread finishes, but
its result is discarded). Results are kept and published only when they still describe the
document's current version and the current configuration generation, so diagnostics are never
published for an outdated version.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from concurrent.futures import Executor

from coderev.analyzers import Snapshot
from coderev.server.lsp.documents import AnalysisResult, OpenDocument

Analyze = Callable[[OpenDocument, Snapshot, int], AnalysisResult]
Publish = Callable[[OpenDocument, AnalysisResult], None]


class Scheduler:
    def __init__(
        self,
        executor: Executor,
        analyze: Analyze,
        publish: Publish,
        generation: Callable[[], int],
        trace: Callable[[str], None] = lambda _: None,
    ) -> None:
        self._executor = executor
        self._analyze = analyze
        self._publish = publish
        self._generation = generation
        self._trace = trace
        self.debounce_s = 0.075

    def is_current(self, doc: OpenDocument, result: AnalysisResult | None) -> bool:
        return (
            result is not None
            and result.version == doc.version
            and result.generation == self._generation()
            and result.ai_revision == doc.ai_revision
            and not doc.closed
        )

    def schedule(self, doc: OpenDocument, delay: float | None = None) -> asyncio.Task[AnalysisResult | None]:
        """(Re)start the document's analysis after ``delay`` (default: the debounce)."""
        if doc.task is not None and not doc.task.done():
            doc.task.cancel()
        wait = self.debounce_s if delay is None else delay
        doc.task = asyncio.get_running_loop().create_task(self._run(doc, wait))
        return doc.task

    def cancel(self, doc: OpenDocument) -> None:
        if doc.task is not None and not doc.task.done():
            doc.task.cancel()
        doc.task = None

    async def _run(self, doc: OpenDocument, delay: float) -> AnalysisResult | None:
        if delay > 0:
            await asyncio.sleep(delay)
        if self.is_current(doc, doc.result):
            return doc.result
        snapshot = doc.document.snapshot()
        generation = self._generation()
        started = time.perf_counter()
        loop = asyncio.get_running_loop()
        doc.running = True
        try:
            result = await loop.run_in_executor(self._executor, self._prepared, doc, snapshot, generation)
        finally:
            doc.running = False
        if result is None or not self.is_current(doc, result):
            return None  # a newer version or configuration arrived meanwhile: never publish this one
        doc.result = result
        self._trace(
            f"analyzed {doc.uri} v{result.version}: {len(result.findings)} findings "
            f"in {(time.perf_counter() - started) * 1000:.1f} ms"
        )
        self._publish(doc, result)
        return result

    def _prepared(self, doc: OpenDocument, snapshot: Snapshot, generation: int) -> AnalysisResult | None:
        """Analyze ``snapshot`` (worker thread) unless a newer version arrives while its syntax tree
        is made: a text with syntax errors needs a tree of its own (``Snapshot.prepare``), which is
        then given up, so that the newer version's analysis does not wait for it."""
        if not snapshot.prepare(lambda: doc.closed or doc.version != snapshot.version):
            return None
        return self._analyze(doc, snapshot, generation)

    async def current(self, doc: OpenDocument) -> AnalysisResult:
        """The result for the document's current version, analyzing now if needed.

        Waits through newer versions arriving meanwhile; cancelling the caller (a client's
        ``$/cancelRequest``) stops the wait but leaves the analysis to finish for others.
        """
        while True:
            if doc.result is not None and self.is_current(doc, doc.result):
                return doc.result
            if doc.closed:
                raise asyncio.CancelledError
            task = doc.task
            if task is None or task.done() or not doc.running:  # skip what is left of the debounce
                task = self.schedule(doc, delay=0)
            try:
                result = await asyncio.shield(task)
            except asyncio.CancelledError:
                current = asyncio.current_task()
                if current is not None and current.cancelling():
                    raise
                continue  # the task was superseded by a newer version: wait for that one
            if result is not None and self.is_current(doc, result):
                return result
            await asyncio.sleep(0)
