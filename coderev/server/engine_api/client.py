"""``coderev engine status``: ask a running engine how it is, over its socket or a URL.

The client speaks API version :data:`~coderev.server.engine_api.versions.CURRENT` and says so in
the ``Coderev-Api-Version`` header. It warns (on stderr, exit 0) when the engine answers that
this version is deprecated (``Deprecation``/``Sunset``), when the engine's newest version is
older than the client's, and, when the engine refuses the version (``SYS007``), says which ones
it speaks.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import httpx

from coderev.analyzers.errors import CoderevError
from coderev.server.engine_api.versions import CURRENT, HEADER

TOKEN_ENV = "CODEREV_ENGINE_TOKEN"  # noqa: S105 -- a variable's name


def client(url: str | None, socket_path: Path | None, token: str | None, timeout: float = 10.0) -> httpx.Client:
    headers = {HEADER: CURRENT}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if url:
        return httpx.Client(base_url=url.rstrip("/"), headers=headers, timeout=timeout)
    assert socket_path is not None
    return httpx.Client(base_url="http://engine", headers=headers, timeout=timeout,
                        transport=httpx.HTTPTransport(uds=str(socket_path)))


def read_token(token_file: Path | None) -> str | None:
    if token_file is not None:
        try:
            return token_file.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise CoderevError("DAT002", f"cannot read the token file {token_file}: {exc.strerror}") from exc
    return os.environ.get(TOKEN_ENV) or None


def version_warnings(response: httpx.Response, body: Any) -> list[str]:
    """What the client should tell its user about the API versions of this exchange."""
    out = []
    if "deprecation" in response.headers:
        sunset = response.headers.get("sunset")
        out.append(f"the engine marks API version {CURRENT} deprecated ({response.headers['deprecation']}"
                   + (f", sunset {sunset}" if sunset else "") + "): upgrade this coderev")
    body = body if isinstance(body, dict) else {}
    error = body.get("error") or {}
    if error.get("code") == "SYS007":
        out.append(f"the engine does not serve API version {CURRENT} ({error.get('message')}): upgrade the engine "
                   "or use the coderev release that matches it")
    versions = body.get("api", {}).get("versions", {})
    served = [v for v in versions if v.isdigit()]
    if served and max(int(v) for v in served) < int(CURRENT):
        out.append(f"the engine speaks an older API (newest {max(served, key=int)}, this client {CURRENT}): "
                   "upgrade the engine")
    return out


def status(url: str | None, socket_path: Path | None, token_file: Path | None, as_json: bool) -> int:
    try:
        with client(url, socket_path, read_token(token_file)) as http:
            response = http.get(f"/v{CURRENT}/status")
    except httpx.HTTPError as exc:
        where = url or socket_path
        sys.stderr.write(f"coderev: no engine answers at {where}: {exc} (start one with `coderev engine serve`)\n")
        return 1
    try:
        body: Any = response.json()
    except ValueError:
        body = {}
    for warning in version_warnings(response, body):
        sys.stderr.write(f"coderev: warning: {warning}\n")
    if response.status_code != 200:
        error = body.get("error", {}) if isinstance(body, dict) else {}
        sys.stderr.write(f"coderev: the engine refused: {error.get('code')} {error.get('message')}. "
                         f"{error.get('remedy', '')}\n")
        return 1
    if as_json:
        print(json.dumps(body, indent=2))
        return 0
    engine, server, api = body.get("engine", {}), body.get("server", {}), body.get("api", {})
    print(f"engine   {engine.get('mode')}  {engine.get('modelSlot') or ''}".rstrip())
    print(f"api      v{api.get('version')} (serves {', '.join(api.get('versions', {}))}); coderev {api.get('coderev')}")
    print(f"server   {server.get('mode')} mode, {server.get('in_flight')} in flight, {server.get('served')} served, "
          f"up {server.get('uptime_s')} s")
    if engine.get("error"):
        print(f"error    {engine['error'].get('code')} {engine['error'].get('message')}")
    return 0
