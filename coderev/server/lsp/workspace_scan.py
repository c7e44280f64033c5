"""Workspace scan: diagnostics for every file of every workspace folder, not only open ones.

Runs at start when the ``workspaceScan`` setting is ``workspace``, and on the
``coderev.scanWorkspace`` command. Files are listed with the analyzers' workspace walker (excludes
and .gitignore respected), read and analyzed on a bounded pool of worker threads, and reported
with ``$/progress`` work-done notifications. A file that cannot be read is skipped with its
catalogued code; one bad file never stops the scan.
"""

from __future__ import annotations

import asyncio
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from lsprotocol import types
from pygls.uris import from_fs_path

from coderev.analyzers import Document
from coderev.analyzers.languages import is_text_scan_candidate, language_for_path
from coderev.analyzers.workspace import Skip, iter_source_files, read_source
from coderev.server.lsp import convert
from coderev.server.lsp.server import CoderevServer, ScannedFile
from coderev.server.lsp.settings import ScanScope


def _list_files(ls: CoderevServer) -> list[tuple[Path, Path]]:
    files: list[tuple[Path, Path]] = []
    for root in ls.project.roots:
        options = ls.project.config_for(root).options
        files += [(root, p) for p in iter_source_files([root], options.exclude)]
    return files


def _analyze_file(ls: CoderevServer, root: Path, path: Path, generation: int) -> ScannedFile | Skip | None:
    uri = from_fs_path(str(path)) or path.as_uri()
    config = ls.project.config_for(root)
    text = read_source(path, config.options.max_file_size)
    if isinstance(text, Skip):
        return text
    language = language_for_path(path)
    if language is None and not is_text_scan_candidate(path):
        return None
    snapshot = Document(text, language, encoding=ls.encoding).snapshot()
    dismissed = ls.project.dismissed(root)
    run = config.analyzer.run(snapshot, project=ls.code.project_for(root), path=path)
    findings = [f for f in run.findings if f.fingerprint not in dismissed]
    skipped = convert.skip_diagnostics(run.skipped, config.options.file_budget_seconds, snapshot)
    steps = ls.trace_context(uri, root, path, snapshot, run.findings)  # secrets: dismissed ones too
    return ScannedFile(uri, f"scan.{generation}", convert.diagnostics(findings, snapshot, steps) + skipped)


async def scan(ls: CoderevServer, force: bool = False) -> dict[str, int]:
    """Scan every workspace folder; returns counts of files, findings and skips."""
    if not force and ls.project.settings.workspace_scan is not ScanScope.WORKSPACE:
        return {"files": 0, "findings": 0, "skipped": 0}
    loop = asyncio.get_running_loop()
    concurrency = ls.project.settings.scan_concurrency
    token = await _begin(ls)
    files = await loop.run_in_executor(ls.analysis_pool, _list_files, ls)
    generation = ls.project.generation
    counts = {"files": 0, "findings": 0, "skipped": 0}
    semaphore = asyncio.Semaphore(concurrency)
    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="coderev-scan") as pool:

        async def one(root: Path, path: Path) -> None:
            async with semaphore:
                outcome = await loop.run_in_executor(pool, _analyze_file, ls, root, path, generation)
            counts["files"] += 1
            if isinstance(outcome, Skip):
                counts["skipped"] += 1
                ls.log.info(outcome.error.render(), code=outcome.error.code)
            elif outcome is not None:
                counts["findings"] += len(outcome.diagnostics)
                _store(ls, outcome)
            if token is not None and counts["files"] % 10 == 0:
                ls.work_done_progress.report(
                    token,
                    types.WorkDoneProgressReport(
                        message=f"{counts['files']}/{len(files)} files",
                        percentage=int(100 * counts["files"] / max(1, len(files))),
                    ),
                )

        try:
            await asyncio.gather(*(one(root, path) for root, path in files))
        finally:
            if token is not None:
                ls.work_done_progress.end(
                    token, types.WorkDoneProgressEnd(message=f"{counts['files']} files, {counts['findings']} findings")
                )
    ls.log.info(f"workspace scan: {counts}")
    if ls.client.pull_diagnostics and ls.client.diagnostic_refresh:
        ls.workspace_diagnostic_refresh(None)
    return counts


def _store(ls: CoderevServer, scanned: ScannedFile) -> None:
    if ls.documents.get(scanned.uri) is not None:
        return  # open documents are reported from their live analysis
    ls.scanned[scanned.uri] = scanned
    if not ls.client.pull_diagnostics:
        ls.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=scanned.uri, diagnostics=list(scanned.diagnostics))
        )


async def _begin(ls: CoderevServer) -> str | None:
    if not ls.client.work_done_progress:
        return None
    token = f"coderev-scan-{uuid.uuid4()}"
    try:
        await ls.work_done_progress.create_async(token)
    except Exception as exc:  # the client refused: scan without progress
        ls.log.debug(f"no progress reporting: {exc}")
        return None
    ls.work_done_progress.begin(token, types.WorkDoneProgressBegin(title="coderev: scanning workspace", percentage=0))
    return token
