"""The language server as a client of an engine elsewhere (setting ``engine.url``).

:class:`RemoteEngine` offers the language server what its in-process
:class:`~coderev.engine.runtime.engine.ModelEngine` offers (``status``, ``review``, a fix, feedback,
listeners), answered by ``coderev engine serve`` over its Unix socket or a team URL. Every method
returns at once: requests run in a small thread pool and give futures, and a *watch* thread asks
the engine for ``/v1/status`` every ``health_interval_s`` (every second while it cannot be
reached). While the engine cannot be reached the status is ``fallback`` with ``PRV009`` and model
features offer nothing, so the server is rules-only; it recovers on the first answer. For the
shared local engine (``engine.url = local``) the watch thread also starts the engine when none
answers (:mod:`coderev.server.engine_api.shared`).

Versions: the client speaks :data:`~coderev.server.engine_api.versions.CURRENT`; what
``client.version_warnings`` says of an exchange (a deprecated version, an engine older than the
client, a version the engine does not serve) goes to ``on_warning`` once and into the status.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Final

import httpx

from coderev.analyzers import Finding, Snapshot
from coderev.analyzers.errors import CATALOGUE, CoderevError
from coderev.analyzers.fix_units import FixUnit
from coderev.engine.logs import REQUEST_ID
from coderev.engine.model.prompt import ReviewItem
from coderev.engine.runtime.api import AiFix, EngineStatus
from coderev.server.engine_api.client import client, read_token, version_warnings
from coderev.server.engine_api.shared import Where, ensure_running
from coderev.server.engine_api.versions import CURRENT

log = logging.getLogger("coderev.server")
Listener = Callable[[EngineStatus], None]
DOWN_INTERVAL_S: Final = 1.0
_STATUS_TIMEOUT_S: Final = 5.0
ID_HEADER: Final = "X-Request-Id"  # the engine API's (observe.HEADER, which this side must not import)


def engine_status(payload: dict[str, Any]) -> EngineStatus:
    """The engine's ``/v1/status`` ``engine`` object (``status_payload``) as an EngineStatus."""
    error = payload.get("error") or {}
    return EngineStatus(
        mode=payload.get("mode", "fallback"), production_id=payload.get("production"),
        production_version=payload.get("productionVersion"), production_name=payload.get("productionName"),
        experimental_id=payload.get("experimental"), device=payload.get("device"),
        compute_type=payload.get("computeType"), breaker=str(payload.get("breaker", "closed")),
        error_code=error.get("code"), error_message=error.get("message"), queue_depth=int(payload.get("queueDepth", 0)),
        languages=tuple(payload.get("languages") or ()), worker_pid=payload.get("workerPid"))


class RemoteEngine:
    """An engine reached over HTTP; see the module docstring."""

    def __init__(self, where: Where, *, timeout_s: float, health_interval_s: float,
                 on_warning: Callable[[str], None] = lambda _: None, spawn_args: list[str] | None = None) -> None:
        self.where = where
        self.timeout_s = timeout_s
        self.health_interval_s = health_interval_s
        self._on_warning = on_warning
        self._spawn_args = spawn_args or []
        self._http = client(where.url, where.socket, read_token(None), timeout=timeout_s + 5.0)
        self._pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="coderev-engine-client")
        self._lock = threading.Lock()
        self._listeners: list[Listener] = []
        self._status = EngineStatus(mode="loading")
        self._payload: dict[str, Any] = {"mode": "loading", "modelSlot": None}
        self._api: dict[str, Any] = {}
        self.warnings: list[str] = []
        self._stopped = threading.Event()
        self._wake = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="coderev-engine-watch", daemon=True)

    # -- life cycle ------------------------------------------------------------------------------

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopped.set()
        self._wake.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(_STATUS_TIMEOUT_S + 5.0)
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._http.close()

    def add_listener(self, callback: Listener) -> None:
        with self._lock:
            self._listeners.append(callback)

    def status(self) -> EngineStatus:
        with self._lock:
            return self._status

    def payload(self) -> dict[str, Any]:
        """The engine's status as ``coderev/status`` shows it, with where it runs and its API."""
        with self._lock:
            return {**self._payload, "engine": {"where": self.where.label, "api": self._api,
                                                "warnings": list(self.warnings)}}

    # -- requests (the server's event loop calls these; they return at once) ----------------------

    def fix_unit(self, snapshot: Snapshot, finding: Finding, unit: FixUnit, *, key: str, version: int
                 ) -> Future[AiFix | None]:
        """A verified fix of ``finding`` (in the whole file ``snapshot``) for the unit the editor
        chose: the engine gets the whole file, finds the finding again and fixes the same unit."""
        language = snapshot.language.id if snapshot.language is not None else "python"
        body = {"source": snapshot.source.decode("utf-8", "replace"), "language": language,
                "rule_id": finding.rule_id, "line": finding.span.start_row + 1}
        return self._submit(lambda: self._fix(body, snapshot.source, unit))

    def review(self, function: str, *, language: str = "python", key: str, version: int
               ) -> Future[list[ReviewItem] | None]:
        return self._submit(lambda: self._review({"function": function, "language": language}))

    def record_feedback(self, slot_id: str, accepted: bool, event: dict[str, Any] | None = None) -> None:
        """An accepted AI fix counts for its slot's acceptance rate in the engine (identifiers only)."""
        if accepted and event is not None:
            self._submit(lambda: self._post("/feedback", {**event, "kind": "accept", "origin": "ai",
                                                          "slot": slot_id}))

    def cancel_stale(self, key: str, version: int) -> int:
        return 0  # a request is sent as soon as a pool thread takes it; the engine bounds its wait

    # -- internals -------------------------------------------------------------------------------

    def _submit(self, work: Callable[[], Any]) -> Future[Any]:
        """Run ``work`` in the pool under the caller's request id (the LSP request's: app.guarded sets
        one per request), else a new one; the engine gets it as ``X-Request-Id``."""
        rid = REQUEST_ID.get() or uuid.uuid4().hex
        try:
            return self._pool.submit(_as_request, rid, work)
        except RuntimeError:  # stopped
            future: Future[Any] = Future()
            future.set_exception(CoderevError("PRV009", f"the engine client for {self.where.label} is stopped"))
            return future

    def _fix(self, body: dict[str, Any], source: bytes, unit: FixUnit) -> AiFix | None:
        fix = self._post("/fix", body).get("fix")
        if not fix or (fix.get("start"), fix.get("end")) != (_where(source, unit.start), _where(source, unit.end)):
            return None  # no verified fix; or the engine's rules chose another unit than the editor's
        text = str(fix["text"])
        return AiFix(text, text, (0, text.count("\n")), str(fix.get("slot_id", "")), str(fix.get("slot_version", "")),
                     float(fix.get("latency_s", 0.0)), tuple(fix.get("checked", ())))

    def _review(self, body: dict[str, Any]) -> list[ReviewItem] | None:
        items = self._post("/review", body).get("items")
        return None if items is None else [ReviewItem(cwe=int(i["cwe"]), line=int(i["line"]), message=str(i["message"]))
                                           for i in items]

    def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        started = time.perf_counter()
        try:
            response = self._http.post(f"/v{CURRENT}{path}", json=body, headers={ID_HEADER: REQUEST_ID.get() or ""})
        except httpx.TimeoutException as exc:
            raise CoderevError("PRV006", f"no answer from the engine at {self.where.label} in time: {exc}") from exc
        except httpx.HTTPError as exc:
            self._wake.set()  # check now: the engine may be gone
            raise CoderevError("PRV009", f"the engine at {self.where.label} cannot be reached: {exc}") from exc
        log.info("engine POST /v%s%s %d", CURRENT, path, response.status_code,
                 extra={"endpoint": f"/v{CURRENT}{path}", "status": response.status_code,
                        "duration_ms": round((time.perf_counter() - started) * 1000, 1)})
        data: Any = _json(response)
        if response.status_code >= 400:
            error = data.get("error", {}) if isinstance(data, dict) else {}
            code = str(error.get("code", "PRV005"))
            detail = error.get("message", response.status_code)
            raise CoderevError(code if code in CATALOGUE else "PRV005",
                               f"the engine at {self.where.label} refused: {detail}")
        if not isinstance(data, dict):
            raise CoderevError("PRV005", f"the engine at {self.where.label} sent no JSON object")
        return data

    def _watch(self) -> None:
        while not self._stopped.is_set():
            up = self._check()
            self._wake.wait(self.health_interval_s if up else DOWN_INTERVAL_S)
            self._wake.clear()

    def _check(self) -> bool:
        """Ask the engine how it is; True when it answered. Starts the shared engine when needed."""
        response, reason = self._ask()
        if response is None and self.where.shared and not self._stopped.is_set():
            try:
                ensure_running(self.where, self._spawn_args)
            except CoderevError as exc:
                reason = exc.detail
            else:
                response, reason = self._ask()
        if response is None:
            self._down("PRV009", f"no engine answers at {self.where.label} ({reason}); rules-only mode until one does")
            return False
        body: Any = _json(response)
        self._warn(version_warnings(response, body))
        if response.status_code != 200 or not isinstance(body, dict) or not isinstance(body.get("engine"), dict):
            error = body.get("error", {}) if isinstance(body, dict) else {}
            code = str(error.get("code", "PRV009"))
            self._down(code if code in CATALOGUE else "PRV009", f"the engine at {self.where.label} refused its status: "
                                                                f"{error.get('message', response.status_code)}")
            return False
        self._set(body["engine"], body.get("api") or {})
        return True

    def _ask(self) -> tuple[httpx.Response | None, str]:
        try:
            return self._http.get(f"/v{CURRENT}/status", timeout=_STATUS_TIMEOUT_S), ""
        except httpx.HTTPError as exc:
            return None, f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__

    def _down(self, code: str, message: str) -> None:
        self._set({"mode": "fallback", "modelSlot": None, "error": {"code": code, "message": message}}, {})

    def _warn(self, warnings: list[str]) -> None:
        fresh = [w for w in warnings if w not in self.warnings]
        with self._lock:
            self.warnings = warnings
        for warning in fresh:
            self._on_warning(warning)

    def _set(self, payload: dict[str, Any], api: dict[str, Any]) -> None:
        status = engine_status(payload)
        with self._lock:
            before = self._status
            self._status, self._payload, self._api = status, payload, api
            listeners = list(self._listeners)
        if status.identity() != before.identity():
            for listener in listeners:
                listener(status)


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _as_request(rid: str, work: Callable[[], Any]) -> Any:
    reset = REQUEST_ID.set(rid)  # every line logged for the call carries it (docs/observability.md)
    try:
        return work()
    finally:
        REQUEST_ID.reset(reset)


def _where(source: bytes, offset: int) -> dict[str, int]:
    """A byte offset as the API names places: 1-based line and column (in code points)."""
    line_start = source.rfind(b"\n", 0, offset) + 1
    return {"line": source.count(b"\n", 0, offset) + 1,
            "column": len(source[line_start:offset].decode("utf-8", "replace")) + 1}
