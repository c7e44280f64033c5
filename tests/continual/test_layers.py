"""Training stays in coderev/engine/training/: torch and transformers are imported only there, by
the slot importer, and inside the functions of the commands that train; the language server, the
engine runtime and the engine API never load them."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TRAINING = {"torch", "transformers"}
# modules allowed to import them at all (the commands only inside a function, checked below)
ALLOWED = ("coderev/engine/training/", "coderev/engine/slots/importer.py")
COMMANDS = ("coderev/server/model_command.py", "coderev/server/learn_command.py")


def _imports(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Import):
        return [a.name.split(".")[0] for a in node.names]
    if isinstance(node, ast.ImportFrom) and node.level == 0:
        return [(node.module or "").split(".")[0]]
    return []


def test_only_training_code_imports_torch() -> None:
    offenders = []
    for path in (ROOT / "coderev").rglob("*.py"):
        name = path.relative_to(ROOT).as_posix()
        tree = ast.parse(path.read_text(encoding="utf-8"))
        if name.startswith(ALLOWED):
            continue
        top_level = [n for n in tree.body for m in _imports(n) if m in TRAINING]
        anywhere = [n for n in ast.walk(tree) for m in _imports(n) if m in TRAINING]
        if name in COMMANDS:
            offenders += [f"{name}: module-level import" for _ in top_level]
        else:
            offenders += [f"{name}:{n.lineno}" for n in anywhere]  # type: ignore[attr-defined]
    assert not offenders


def test_the_server_and_the_runtime_never_load_torch() -> None:
    code = ("import sys\n"
            "import coderev.server.cli, coderev.server.lsp.server, coderev.server.lsp.model\n"
            "import coderev.engine.runtime.engine, coderev.engine.runtime.child, coderev.engine.runtime.worker\n"
            "import coderev.server.model_command, coderev.server.learn_command\n"
            "import coderev.engine.training.continual\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('torch', 'transformers')))\n")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120,
                            check=True)
    assert result.stdout.strip() == "[]"
