"""coderev's language server (the only package, with coderev/server/, that knows LSP).

``serve`` is imported lazily so that ``coderev.server.lsp.settings`` (docs generation) needs no pygls.
"""

from __future__ import annotations

from pathlib import Path


def serve(tcp: str | None = None, log_file: Path | None = None, metrics_port: int | None = None) -> int:
    """Run the language server over stdio (or TCP ``HOST:PORT``), exporting metrics on
    127.0.0.1:``metrics_port`` when given; returns the exit code."""
    from coderev.server.lsp.app import serve as run

    return run(tcp=tcp, log_file=log_file, metrics_port=metrics_port)


__all__ = ["serve"]
