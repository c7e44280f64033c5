"""Running the fix-correctness programs: each in a subprocess, in a fresh temporary directory,
with a minimal environment and a timeout; Java compiled in batches."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from tests.fixcheck.programs import TIMEOUT_S, Program, Run

# --- running -------------------------------------------------------------------------------------


def _environment(home: str) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": home,
        "TMPDIR": home,
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "PYTHONHASHSEED": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONIOENCODING": "utf-8",
    }


def _execute(command: Sequence[str], root: Path) -> Run:
    """Run ``command`` in a fresh directory under ``root``."""
    cwd = tempfile.mkdtemp(prefix="run-", dir=root)
    try:
        done = subprocess.run(list(command), cwd=cwd, env=_environment(cwd), capture_output=True,
                              timeout=TIMEOUT_S, stdin=subprocess.DEVNULL, check=False)
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout or b""
        err = exc.stderr or b""
        return Run(None, out.decode("utf-8", "replace"), err.decode("utf-8", "replace"))
    finally:
        shutil.rmtree(cwd, ignore_errors=True)
    return Run(done.returncode, done.stdout.decode("utf-8", "replace"), done.stderr.decode("utf-8", "replace"))


@dataclass
class Variant:
    """A program text to run (the original or a fixed version); ``batch`` groups Java variants that
    compile together (their class names differ)."""

    program: Program
    text: str
    batch: str
    command: list[str] = field(default_factory=list)
    broken: Run | None = None  # set when it does not compile


def prepare(variants: Sequence[Variant], root: Path) -> None:
    """Write every variant to disk and compile the Java ones; fill in ``command``."""
    java: dict[str, list[tuple[Variant, Path]]] = {}
    for number, variant in enumerate(variants):
        folder = root / "src" / (variant.batch if variant.program.language == "java" else str(number))
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / variant.program.name
        path.write_text(variant.text, encoding="utf-8")
        if variant.program.language == "python":
            variant.command = [sys.executable, str(path)]
        elif variant.program.language == "javascript":
            variant.command = ["node", str(path)]
        else:
            java.setdefault(variant.batch, []).append((variant, path))

    def compile_batch(items: list[tuple[Variant, Path]]) -> None:
        folder = items[0][1].parent
        done = _javac([p for _, p in items], folder / "classes")
        if done.code != 0 and len(items) > 1:  # compile each on its own, to tell which one fails
            for variant, path in items:
                single = folder / path.stem
                single.mkdir()
                shutil.copyfile(path, single / path.name)
                compile_batch([(variant, single / path.name)])
            return
        for variant, path in items:
            variant.broken = done if done.code != 0 else None
            variant.command = ["java", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xshare:auto",
                               "-cp", str(folder / "classes"), path.stem]

    with ThreadPoolExecutor(max_workers=max(1, min(4, os.cpu_count() or 1))) as pool:
        list(pool.map(compile_batch, java.values()))


def _javac(paths: Sequence[Path], classes: Path) -> Run:
    classes.mkdir(parents=True, exist_ok=True)
    try:
        done = subprocess.run(["javac", "-nowarn", "-d", str(classes), *map(str, paths)], capture_output=True,
                              timeout=120, check=False)
    except subprocess.TimeoutExpired:
        return Run(None, "", "javac timed out")
    return Run(done.returncode, done.stdout.decode("utf-8", "replace"), done.stderr.decode("utf-8", "replace"))


def run_all(jobs: Sequence[tuple[Variant, tuple[str, ...]]], root: Path, workers: int) -> list[Run]:
    def one(job: tuple[Variant, tuple[str, ...]]) -> Run:
        variant, argv = job
        if variant.broken is not None:
            return Run(variant.broken.code or 1, "", "does not compile: " + variant.broken.stderr)
        return _execute([*variant.command, *argv], root)

    unique = list(dict.fromkeys((id(variant), argv) for variant, argv in jobs))  # a deterministic program
    variants = {id(variant): variant for variant, _ in jobs}  # runs once per input
    with ThreadPoolExecutor(max_workers=workers) as pool:
        done = dict(zip(unique, pool.map(one, [(variants[v], argv) for v, argv in unique]), strict=True))
    return [done[(id(variant), argv)] for variant, argv in jobs]


