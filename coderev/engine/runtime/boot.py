"""Start-up of a model worker process in isolated mode: ``python -I -X utf8 .../boot.py PATHS ...``.

The worker (:mod:`coderev.engine.runtime.child`) must never import a module from the workspace
the editor started the server in. ``python -m coderev.engine.runtime.child`` would put the working
directory first on ``sys.path`` (a repository holding ``coderev/engine/runtime/child.py``, or a
``ctranslate2.py``, would run with the user's rights), and ``PYTHONPATH``, ``PYTHONSTARTUP`` and
friends could do the same. So the parent (:mod:`coderev.engine.runtime.process`) runs this file by
its absolute path with ``-I``: no script directory or working directory on ``sys.path``, no user
site-packages, every ``PYTHON*`` variable ignored; and it starts the process in a directory of its
own, not the workspace.

Isolated mode also drops what the parent legitimately imports from: a ``pip install --user``
site, a bundled-libraries directory on ``PYTHONPATH``. The parent therefore passes its own import
path, minus the empty, relative and working-directory entries, as the first argument (JSON), and
this file puts it in front of the child's; ``coderev`` itself is loaded from this file's own
package, so the worker always runs the same coderev as the server. Only the standard library is
used before that. Coverage's subprocess measurement keeps working: its ``.pth`` hook lives in
site-packages (still processed under ``-I``) and reads ``COVERAGE_PROCESS_CONFIG``, which is not a
``PYTHON*`` variable.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path


def _load_coderev() -> None:
    """Import ``coderev`` from the package this file belongs to, whatever ``sys.path`` says."""
    package = Path(__file__).resolve().parents[2]
    spec = importlib.util.spec_from_file_location("coderev", package / "__init__.py",
                                                  submodule_search_locations=[str(package)])
    if spec is None or spec.loader is None:  # pragma: no cover - the file is right there
        raise ImportError(f"cannot load coderev from {package}")
    module = importlib.util.module_from_spec(spec)
    sys.modules["coderev"] = module
    spec.loader.exec_module(module)


def main() -> int:
    paths = [p for p in json.loads(sys.argv.pop(1)) if isinstance(p, str)]
    sys.path[:] = [*paths, *(p for p in sys.path if p not in paths)]
    _load_coderev()
    from coderev.engine.runtime.child import main as serve

    return serve()


if __name__ == "__main__":
    sys.exit(main())
