"""The HTTP stack stays in coderev/server/: the engine and the analyzers never import it."""

from __future__ import annotations

import ast

from tests.engine_api.conftest import ROOT

WEB = {"starlette", "uvicorn", "httpx"}


def test_only_the_server_imports_the_web_stack() -> None:
    offenders = []
    for layer in ("engine", "analyzers"):
        for path in (ROOT / "coderev" / layer).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                    [node.module or ""] if isinstance(node, ast.ImportFrom) else []
                offenders += [f"{path.relative_to(ROOT)}: {n}" for n in names if n.split(".")[0] in WEB]
    assert not offenders
