"""A remote model provider as a worker: any OpenAI-compatible endpoint behind the worker interface.

A slot whose manifest has a ``provider`` object is not loaded here; its prompts go to an endpoint:

    "provider": {"kind": "openai", "url": "http://127.0.0.1:8000/v1", "model": "coderev-slot",
                 "api": "completions" | "chat", "token_env": "NAME_OF_A_VARIABLE"}

``completions`` sends each prompt as it is (``POST {url}/completions``, ``prompt``) and reads
``choices[0].text``; ``chat`` sends it as the one user message (``POST {url}/chat/completions``)
and reads ``choices[0].message.content``. Decoding is greedy (``temperature`` 0) with the same
token budget a local slot gets, so a slot trained in coderev's prompt format answers as it does
locally. The key, when ``token_env`` names a variable, is sent as ``Authorization: Bearer``.

:class:`ProviderWorker` offers what :class:`~coderev.engine.runtime.worker.InferenceWorker` offers
(``start``/``submit``/``ping``/``drain``/``close``, a bounded queue, a deadline per request from
its submission), so the engine above it (verification of fixes, SLO accounting, shadow traffic,
the circuit breaker, promotion) is the same for local and remote slots. Failures are catalogue
errors the breaker counts: ``PRV009`` the endpoint cannot be reached, ``PRV010`` it refused the
credentials, ``PRV006`` no answer before the deadline, ``PRV011`` an answer that is not an
OpenAI-compatible completion, ``PRV005`` any other refusal. A full queue is ``WorkerBusy`` (load
shedding, not counted). Only the configured endpoint is ever contacted; prompts and answers are
never logged.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, NoReturn

from coderev.analyzers.errors import CoderevError
from coderev.engine.runtime.api import EngineConfig
from coderev.engine.runtime.process import SlotLoadError
from coderev.engine.runtime.worker import InferenceWorker, WorkerBusy, WorkerStats

APIS: Final = ("completions", "chat")
_CONCURRENCY: Final = 4  # requests in flight to the endpoint at once


@dataclass(frozen=True)
class Provider:
    url: str
    model: str
    api: str = "completions"
    token_env: str | None = None

    @classmethod
    def from_manifest(cls, manifest: dict[str, Any]) -> Provider | None:
        """The manifest's provider; None for a local slot; ``SlotLoadError`` (DAT003) when malformed."""
        spec = manifest.get("provider")
        if spec is None:
            return None
        url = spec.get("url") if isinstance(spec, dict) else None
        if not isinstance(spec, dict) or spec.get("kind") != "openai" or not isinstance(url, str) \
                or not url.startswith(("http://", "https://")) or spec.get("api", "completions") not in APIS:
            raise SlotLoadError("DAT003", "the manifest's provider must be {kind: openai, url: http(s)://..., "
                                          f"model, api: completions|chat, token_env?}}; got {spec!r}")
        return cls(str(spec["url"]).rstrip("/"), str(spec.get("model", "")), str(spec.get("api", "completions")),
                   str(spec["token_env"]) if spec.get("token_env") else None)


class ProviderWorker:
    """One remote slot's endpoint behind the worker interface (see the module docstring)."""

    pid = None  # no process of ours

    def __init__(self, provider: Provider, *, slot_id: str, queue_size: int = 64, timeout_s: float = 3.0,
                 on_dead: Callable[[str], None] | None = None) -> None:
        self.provider = provider
        self.slot_id = slot_id
        self.timeout_s = timeout_s
        self.hang_grace_s = 0.0  # every call is bounded by its own deadline
        self.hello: dict[str, Any] = {}
        self._queue_size = max(1, queue_size)
        self._pool = ThreadPoolExecutor(max_workers=_CONCURRENCY, thread_name_prefix=f"coderev-provider-{slot_id}")
        self._lock = threading.Lock()
        self._pending: dict[Future[list[str]], tuple[str, int]] = {}  # waiting or running: (key, version)
        self._active = 0  # of those, running
        self._accepting = False
        self._stats = {"calls": 0, "requests": 0, "largest_batch": 0, "timeouts": 0, "rejected": 0}

    # -- life cycle ------------------------------------------------------------------------------

    def start(self, load_timeout_s: float = 60.0) -> dict[str, Any]:
        """Check that the endpoint answers (``GET {url}/models``); PRV009/PRV010 when it does not."""
        started = time.perf_counter()
        self._listed(min(load_timeout_s, 30.0))
        host = self.provider.url.split("://", 1)[1].split("/", 1)[0]
        self.hello = {"device": f"remote {host}", "compute_type": f"{self.provider.api} {self.provider.model}".strip(),
                      "load_s": round(time.perf_counter() - started, 4)}
        with self._lock:
            self._accepting = True
        return self.hello

    @property
    def alive(self) -> bool:
        with self._lock:
            return self._accepting

    @property
    def dead_reason(self) -> str | None:
        return None if self.alive else "the provider worker was stopped"

    def queue_depth(self) -> int:
        with self._lock:
            return max(0, len(self._pending) - self._active)

    def stats(self) -> WorkerStats:
        with self._lock:
            return WorkerStats(**self._stats)

    def drain(self, timeout_s: float) -> bool:
        with self._lock:
            self._accepting = False
            pending = list(self._pending)
        end = time.monotonic() + timeout_s
        for future in pending:
            with contextlib.suppress(Exception):  # cancelled or timed out: the wait is over either way
                future.exception(max(0.0, end - time.monotonic()))
        return all(f.done() for f in pending)

    def close(self) -> None:
        with self._lock:
            self._accepting = False
        self._pool.shutdown(wait=False, cancel_futures=True)

    # -- requests --------------------------------------------------------------------------------

    def submit(self, prompts: Sequence[str], max_new_tokens: int, *, key: str = "", version: int = 0,
               timeout_s: float | None = None) -> Future[list[str]]:
        deadline = time.monotonic() + (self.timeout_s if timeout_s is None else timeout_s)
        with self._lock:
            if not self._accepting:
                return _failed(CoderevError("PRV005", f"the provider of slot {self.slot_id} is not running"))
            if len(self._pending) >= self._queue_size:
                self._stats["rejected"] += 1
                return _failed(WorkerBusy(f"provider busy: {self._queue_size} requests are already waiting"))
            try:
                future = self._pool.submit(self._run, list(prompts), max(1, int(max_new_tokens)), deadline)
            except RuntimeError:
                return _failed(CoderevError("PRV005", f"the provider of slot {self.slot_id} was stopped"))
            self._pending[future] = (key, version)
        future.add_done_callback(self._forget)
        return future

    def cancel_stale(self, key: str, version: int) -> int:
        with self._lock:
            stale = [f for f, (k, v) in self._pending.items() if k == key and v < version]
        return sum(1 for f in stale if f.cancel())

    def ping(self, timeout_s: float = 1.0) -> bool:
        try:
            self._listed(timeout_s)
        except CoderevError:
            return False
        return self.alive

    def _listed(self, timeout_s: float) -> None:
        """The endpoint answers ``GET /models`` with at least one model: one that lists none is up
        but cannot answer yet (a coderev engine whose slot is still loading), PRV009 until it can."""
        answer = self._call("GET", "/models", None, timeout_s)
        data = answer.get("data") if isinstance(answer, dict) else None
        if not isinstance(data, list) or not data:
            raise CoderevError("PRV009", f"the provider at {self.provider.url} lists no model yet")

    # -- internals -------------------------------------------------------------------------------

    def _forget(self, future: Future[list[str]]) -> None:
        with self._lock:
            self._pending.pop(future, None)

    def _run(self, prompts: list[str], max_new_tokens: int, deadline: float) -> list[str]:
        with self._lock:
            self._active += 1
            self._stats["calls"] += 1
            self._stats["largest_batch"] = max(self._stats["largest_batch"], len(prompts))
        try:
            answers = []
            for prompt in prompts:
                left = deadline - time.monotonic()
                if left <= 0:
                    self._timed_out()
                answers.append(self._complete(prompt, max_new_tokens, left))
            with self._lock:
                self._stats["requests"] += 1
            return answers
        finally:
            with self._lock:
                self._active -= 1

    def _timed_out(self) -> NoReturn:
        with self._lock:
            self._stats["timeouts"] += 1
        raise CoderevError("PRV006", f"no answer from the provider of slot {self.slot_id} within the request's "
                                     "deadline")

    def _complete(self, prompt: str, max_new_tokens: int, timeout_s: float) -> str:
        provider = self.provider
        body: dict[str, Any] = {"model": provider.model, "max_tokens": max_new_tokens, "temperature": 0}
        if provider.api == "chat":
            body["messages"] = [{"role": "user", "content": prompt}]
        else:
            body["prompt"] = prompt
        answer = self._call("POST", "/chat/completions" if provider.api == "chat" else "/completions", body, timeout_s)
        try:
            choice = answer["choices"][0]
            text = choice["message"]["content"] if provider.api == "chat" else choice["text"]
        except (KeyError, IndexError, TypeError):
            text = None
        if not isinstance(text, str):
            raise CoderevError("PRV011", f"the provider of slot {self.slot_id} answered without "
                                         f"choices[0].{'message.content' if provider.api == 'chat' else 'text'}")
        return text

    def _call(self, method: str, path: str, body: dict[str, Any] | None, timeout_s: float) -> Any:
        url = self.provider.url + path
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        token = os.environ.get(self.provider.token_env) if self.provider.token_env else None
        if token:
            headers["Authorization"] = f"Bearer {token}"
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(url, data, headers, method=method)  # noqa: S310 -- http(s) only
        try:
            with urllib.request.urlopen(request, timeout=max(0.01, timeout_s)) as response:  # noqa: S310 -- http(s) only
                raw = response.read()
        except urllib.error.HTTPError as exc:
            code = "PRV010" if exc.code in (401, 403) else "PRV005"
            raise CoderevError(code, f"the provider at {url} answered HTTP {exc.code}") from None
        except TimeoutError:
            self._timed_out()
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            if isinstance(reason, TimeoutError):
                self._timed_out()
            raise CoderevError("PRV009", f"the provider at {url} cannot be reached: {reason}") from None
        try:
            return json.loads(raw)
        except ValueError:
            raise CoderevError("PRV011", f"the provider at {url} answered with something that is not JSON") from None


def _failed(error: CoderevError) -> Future[list[str]]:
    future: Future[list[str]] = Future()
    future.set_exception(error)
    return future


ModelWorker = InferenceWorker | ProviderWorker  # what serves a slot: a local child process or an endpoint


def start_worker(slot_path: Path, manifest: dict[str, Any], *, slot_id: str, config: EngineConfig,
                 verify_hashes: bool, on_dead: Callable[[str], None]) -> ModelWorker:
    """The worker for a slot, not started: its provider's endpoint, or a CTranslate2 child process."""
    provider = Provider.from_manifest(manifest)
    if provider is not None:
        return ProviderWorker(provider, slot_id=slot_id, queue_size=config.queue_size, timeout_s=config.timeout_s,
                              on_dead=on_dead)
    return InferenceWorker(
        slot_path, slot_id=slot_id, device=config.device, compute_type=config.compute_type,
        intra_threads=config.intra_threads, inter_threads=config.inter_threads, queue_size=config.queue_size,
        max_batch=config.max_batch, timeout_s=config.timeout_s, verify_hashes=verify_hashes, on_dead=on_dead)

