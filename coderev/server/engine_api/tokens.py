"""Team-mode bearer tokens: created, listed and revoked by ``coderev engine token``, checked per request.

A token is ``crv_`` and 32 random bytes (URL-safe base64). Only its sha256 is stored: the secret
has 256 bits of entropy, so a fast hash is enough (a slow KDF defends guessable passwords, not
random keys), and the comparison is constant-time over every stored digest. The file (JSON,
``<data dir>/engine/tokens.json`` by default) is written atomically with mode 0600 in a 0700
directory, under a lock so two CLIs cannot lose each other's changes; the server re-reads it when
it changes, so a revocation takes effect on the next request without a restart.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import secrets
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Final, Literal

from coderev.analyzers.errors import CoderevError
from coderev.analyzers.user_cache import data_root
from coderev.engine.slots.atomic import json_bytes, prepare_atomic, publish_atomic
from coderev.engine.slots.lock import StoreLock

log = logging.getLogger("coderev.engine_api")
PREFIX: Final = "crv_"
Scope = Literal["user", "admin"]
SCOPES: Final = ("user", "admin")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")
FILE_MODE, DIR_MODE = 0o600, 0o700


def default_tokens_path() -> Path:
    """``<coderev data dir>/engine/tokens.json`` (``$CODEREV_DATA_DIR``, else the user data folder)."""
    return data_root() / "engine" / "tokens.json"


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True)
class Token:
    """A stored token: never the secret, only its digest."""

    name: str
    scope: Scope
    created: float
    expires: float | None
    sha256: str

    def expired(self, now: float) -> bool:
        return self.expires is not None and now >= self.expires


class TokenFile:
    """The tokens of one file; safe across processes (file lock) and re-read when it changes."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or default_tokens_path()
        self._seen: tuple[int, int, int] | None = None
        self._tokens: list[Token] = []

    # -- the CLI ---------------------------------------------------------------------------------

    def create(self, name: str, scope: Scope = "user", expires: float | None = None) -> str:
        """A new token's secret (shown once); ``SYS002`` for a bad or taken name."""
        if not _NAME.fullmatch(name):
            raise CoderevError("SYS002", f"token name {name!r}: use 1-64 letters, digits and . _ @ -")
        if scope not in SCOPES:
            raise CoderevError("SYS002", f"token scope {scope!r}: use user or admin")
        secret = PREFIX + secrets.token_urlsafe(32)
        with self._locked():
            tokens = self._read()
            if any(t.name == name for t in tokens):
                raise CoderevError("SYS002", f"a token named {name!r} exists; revoke it first "
                                             f"(`coderev engine token revoke {name}`)")
            self._write([*tokens, Token(name, scope, time.time(), expires, digest(secret))])
        return secret

    def revoke(self, name: str) -> None:
        with self._locked():
            tokens = self._read()
            if not any(t.name == name for t in tokens):
                raise CoderevError("SYS002", f"no token named {name!r} (`coderev engine token list` shows them)")
            self._write([t for t in tokens if t.name != name])

    def tokens(self) -> list[Token]:
        return self._read()

    # -- the server ------------------------------------------------------------------------------

    def check(self, secret: str, now: float) -> Token:
        """The token ``secret`` is, or ``AUTH003`` (unknown) / ``AUTH004`` (expired)."""
        self._refresh()
        wanted = digest(secret)
        found = None
        for token in self._tokens:  # no early exit: the time does not tell which digest matched
            if hmac.compare_digest(token.sha256, wanted):
                found = token
        if found is None:
            raise CoderevError("AUTH003", "the bearer token is not one this engine knows (mistyped or revoked)")
        if found.expired(now):
            raise CoderevError("AUTH004", f"token {found.name!r} expired")
        return found

    def _refresh(self) -> None:
        try:
            info = self.path.stat()
            seen = (info.st_mtime_ns, info.st_size, info.st_ino)
        except FileNotFoundError:
            seen = None
        if seen != self._seen or seen is None:
            self._tokens = self._read() if seen is not None else []
            self._seen = seen
            if seen is not None and self.path.stat().st_mode & 0o077:
                log.warning("token file %s is readable by other users; chmod 600 it", self.path)

    # -- the file --------------------------------------------------------------------------------

    def _locked(self) -> StoreLock:
        self._directory()
        return StoreLock(self.path.with_name(".tokens.lock"))

    def _directory(self) -> None:
        try:
            self.path.parent.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
            self.path.parent.chmod(DIR_MODE)
        except OSError as exc:
            raise CoderevError("DAT001", f"cannot create the token directory {self.path.parent}: {exc}") from exc

    def _read(self) -> list[Token]:
        try:
            data: Any = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return []
        except (OSError, ValueError) as exc:
            raise CoderevError("DAT002", f"cannot read the token file {self.path}: {exc}") from exc
        rows = data.get("tokens") if isinstance(data, dict) else None
        if not isinstance(rows, list):
            raise CoderevError("DAT002", f"the token file {self.path} has no token list")
        tokens = []
        for row in rows:
            try:
                tokens.append(Token(str(row["name"]), row["scope"], float(row["created"]),
                                    None if row.get("expires") is None else float(row["expires"]), str(row["sha256"])))
            except (KeyError, TypeError, ValueError):
                log.warning("token file %s: a malformed entry was ignored", self.path, extra={"code": "DAT002"})
        return [t for t in tokens if t.scope in SCOPES]

    def _write(self, tokens: list[Token]) -> None:
        data = json_bytes({"version": 1, "tokens": [asdict(t) for t in tokens]})
        try:
            tmp = prepare_atomic(self.path, data)
            tmp.chmod(FILE_MODE)
            publish_atomic(tmp, self.path)
        except OSError as exc:
            raise CoderevError("DAT001", f"cannot write the token file {self.path}: {exc}") from exc
