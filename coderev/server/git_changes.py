"""``coderev scan --diff-from REF``: which lines of the scanned files changed since a git commit.

git is asked only to read objects: the work tree's top (``rev-parse``), the commit REF names
(``rev-parse --verify``), the commit's file list (``ls-tree``) and the old texts (``cat-file
--batch``). coderev reads the working files itself and compares the texts in Python, so no git
command here looks at the work tree or the index. That is what keeps a repository's
configuration from running programs: clean/smudge/process filters and textconv drivers run only
when git converts work-tree files or renders a diff, an external diff (``diff.external``,
``GIT_EXTERNAL_DIFF``) only for ``git diff``, fsmonitor only when git refreshes the index, and
hooks only for commands that commit, merge or check out. On top of that, every call:

- is an argument list (no shell), with ``--end-of-options`` before REF, so REF cannot be an option;
- passes ``--no-pager`` and sets ``GIT_PAGER``/``PAGER`` to ``cat`` (``core.pager`` never runs);
- sets ``-c core.fsmonitor=false -c core.hooksPath=/dev/null -c diff.external= -c
  protocol.allow=never``, and ``GIT_NO_LAZY_FETCH=1``: a partial clone cannot fetch (so
  ``core.sshCommand`` and credential helpers never run), a missing object is an error;
- sets ``GIT_TERMINAL_PROMPT=0`` and ``GIT_OPTIONAL_LOCKS=0`` (no prompt, no index write).

A line counts as changed when it is new or rewritten in the working file, and so do the lines
around a removed one (deleting a check changes what the code after it means). A file that is not
in REF (new, untracked), cannot be read, or is outside the repository counts as changed whole:
only a finding on a line known to be unchanged is left out.
"""

from __future__ import annotations

import difflib
import hashlib
import os
import shutil
import subprocess
from pathlib import Path

from coderev.analyzers.errors import CoderevError
from coderev.analyzers.workspace import Skip, decode_source

GIT_TIMEOUT_S = 120.0
_SAFE_CONFIG = ("core.fsmonitor=false", "core.hooksPath=/dev/null", "diff.external=", "protocol.allow=never")
_FILE_MODES = {b"100644", b"100755"}
# Above this many line pairs the middle of a rewritten file is not aligned: all of it counts as changed.
MAX_DIFF_CELLS = 16_000_000

Changed = frozenset[int] | None  # 0-based rows of the working file; None: the whole file


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"GIT_EXTERNAL_DIFF", "GIT_PAGER", "PAGER"}}
    env.update(GIT_PAGER="cat", PAGER="cat", GIT_TERMINAL_PROMPT="0", GIT_OPTIONAL_LOCKS="0", GIT_NO_LAZY_FETCH="1")
    return env


def git(args: list[str], cwd: Path, stdin: bytes | None = None) -> bytes:
    """Run ``git ARGS`` (hardened as the module says) and return its stdout; SYS006 on failure."""
    binary = shutil.which("git")
    if binary is None:
        raise CoderevError("SYS006", "git is not on the PATH")
    command = [binary, "--no-pager", *(arg for pair in _SAFE_CONFIG for arg in ("-c", pair)), *args]
    try:
        done = subprocess.run(command, cwd=cwd, input=stdin, capture_output=True, env=_env(),
                              timeout=GIT_TIMEOUT_S, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise CoderevError("SYS006", f"git {args[0]} failed: {exc}") from None
    if done.returncode != 0:
        said = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise CoderevError("SYS006", f"git {args[0]} failed: {said[-1] if said else f'exit {done.returncode}'}")
    return done.stdout


def _blob_id(data: bytes, length: int) -> str:
    """git's object id of a blob with these bytes (SHA-1, or SHA-256 for 64-digit ids)."""
    digest = hashlib.sha256 if length == 64 else hashlib.sha1
    return digest(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()


def _read_batch(output: bytes, wanted: list[str]) -> dict[str, bytes]:
    """Parse ``git cat-file --batch`` output: ``<id> blob <size>\\n<bytes>\\n`` per object."""
    out: dict[str, bytes] = {}
    at = 0
    for oid in wanted:
        end = output.index(b"\n", at)
        header = output[at:end].split()
        if len(header) != 3 or header[1] != b"blob":
            raise CoderevError("SYS006", f"git cannot read object {oid} ({b' '.join(header[1:]).decode()})")
        size = int(header[2])
        out[oid] = output[end + 1 : end + 1 + size]
        at = end + 1 + size + 1
    return out


def _rows(old: str, new: str) -> frozenset[int]:
    """0-based rows of ``new`` that are new or rewritten, and those next to removed lines."""
    # a line ending converted on checkout (core.autocrlf, eol attributes) is not a change
    a, b = [line.rstrip("\r") for line in old.split("\n")], [line.rstrip("\r") for line in new.split("\n")]
    head = 0
    while head < min(len(a), len(b)) and a[head] == b[head]:
        head += 1
    tail = 0
    while tail < min(len(a), len(b)) - head and a[-1 - tail] == b[-1 - tail]:
        tail += 1
    a_mid, b_mid = a[head : len(a) - tail], b[head : len(b) - tail]
    if not a_mid and not b_mid:
        return frozenset()
    if len(a_mid) * len(b_mid) > MAX_DIFF_CELLS:
        return frozenset(range(max(0, head - 1), min(len(b), len(b) - tail + 1)))
    rows: set[int] = set()
    matcher = difflib.SequenceMatcher(None, a_mid, b_mid, autojunk=False)
    for tag, _, _, j1, j2 in matcher.get_opcodes():
        if tag in {"replace", "insert"}:
            rows.update(range(head + j1, head + j2))
        elif tag == "delete":
            rows.update(r for r in (head + j1 - 1, head + j1) if 0 <= r < len(b))
    return frozenset(rows)


class GitChanges:
    """The changed lines of working files against one commit of the repository around ``cwd``."""

    def __init__(self, ref: str, cwd: Path) -> None:
        self.ref = ref
        top = git(["rev-parse", "--show-toplevel"], cwd).decode("utf-8", "surrogateescape").strip()
        if not top:
            raise CoderevError("SYS006", f"{cwd} is not inside a git work tree")
        self.top = Path(top).resolve()
        try:
            commit = git(["rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}"], self.top)
        except CoderevError:
            raise CoderevError("SYS006", f"{ref!r} is not a commit of the repository at {self.top}") from None
        self.commit = commit.decode("ascii").strip()
        self._tree: dict[str, str] | None = None

    def _files(self) -> dict[str, str]:
        """Path (relative to the top, "/"-separated) to blob id, for the regular files of REF."""
        if self._tree is None:
            listing = git(["ls-tree", "-r", "-z", "--full-tree", self.commit], self.top)
            tree: dict[str, str] = {}
            for record in listing.split(b"\0"):
                meta, _, name = record.partition(b"\t")
                fields = meta.split()
                if len(fields) == 3 and fields[0] in _FILE_MODES:
                    tree[name.decode("utf-8", "surrogateescape")] = fields[2].decode("ascii")
            self._tree = tree
        return self._tree

    def changed(self, paths: list[Path]) -> dict[Path, Changed]:
        """For each path, its changed rows (``None``: the whole file counts as changed)."""
        out: dict[Path, Changed] = {}
        texts: dict[Path, tuple[str, bytes]] = {}
        tree = self._files()
        for path in paths:
            resolved = path.resolve()
            if self.top not in resolved.parents:
                out[path] = None
                continue
            oid = tree.get(resolved.relative_to(self.top).as_posix())
            try:
                data = resolved.read_bytes()
            except OSError:
                oid = None
            if oid is None:
                out[path] = None
            elif _blob_id(data, len(oid)) == oid:
                out[path] = frozenset()
            else:
                texts[path] = (oid, data)
        wanted = list(dict.fromkeys(oid for oid, _ in texts.values()))
        blobs = _read_batch(git(["cat-file", "--batch"], self.top, "\n".join(wanted).encode() + b"\n"), wanted) \
            if wanted else {}
        for path, (oid, data) in texts.items():
            old, new = decode_source(path, blobs[oid]), decode_source(path, data)
            if isinstance(old, Skip) or isinstance(new, Skip):
                out[path] = None
            else:
                out[path] = _rows(old, new)
        return out
