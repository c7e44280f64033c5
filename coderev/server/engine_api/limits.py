"""Limits on what one client, and all of them, may ask of the engine at once.

* **Rate**: a token bucket per client (its token's name, or ``local`` on the socket): ``rate``
  requests per second on average, bursts of up to ``burst``. Over it: 429 ``SYS008`` with
  ``Retry-After`` (whole seconds until a request would be let through).
* **Concurrency**: at most ``max_concurrent`` model requests in flight in the whole server; one
  more is refused at once with 503 ``SYS009`` and ``Retry-After`` rather than queued (a queued
  review is stale by the time it runs; the engine's own queue is the next bound).
* **Body size**: a declared ``Content-Length`` over the cap is refused before reading (413
  ``SYS010``); a chunked body is counted as it arrives and refused once it passes the cap.

Everything here runs on the event loop's thread, so it takes no locks.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any

from coderev.analyzers.errors import CoderevError
from coderev.server.engine_api.responses import ApiError

Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
MAX_CLIENTS = 10_000  # buckets kept; the least recently used go first (a full bucket is the default)


@dataclass
class TokenBucket:
    rate: float  # tokens per second
    burst: float
    tokens: float = -1.0
    stamp: float = field(default_factory=time.monotonic)

    def take(self, now: float) -> float:
        """0 when a request may go now (one token taken), else the seconds until one may."""
        if self.tokens < 0:
            self.tokens = self.burst
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return 0.0
        return (1.0 - self.tokens) / self.rate


class RateLimiter:
    """One bucket per client; ``rate`` 0 turns the limit off."""

    def __init__(self, rate: float, burst: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate, self.burst, self._clock = rate, max(1.0, burst), clock
        self._buckets: OrderedDict[str, TokenBucket] = OrderedDict()

    def check(self, client: str) -> None:
        if self.rate <= 0:
            return
        now = self._clock()
        bucket = self._buckets.pop(client, None) or TokenBucket(self.rate, self.burst, stamp=now)
        self._buckets[client] = bucket
        while len(self._buckets) > MAX_CLIENTS:
            self._buckets.popitem(last=False)
        wait = bucket.take(now)
        if wait > 0:
            raise ApiError(CoderevError("SYS008", f"client {client!r} is over {self.rate:g} requests/s "
                                                  f"(burst {self.burst:g})"),
                           headers={"Retry-After": str(max(1, math.ceil(wait)))})


class Gate:
    """At most ``limit`` holders at once; 0 turns the cap off."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.held = 0

    def enter(self) -> None:
        if self.limit and self.held >= self.limit:
            raise ApiError(CoderevError("SYS009", f"the engine is serving {self.held} requests, its cap "
                                                  f"(--max-concurrent {self.limit})"), headers={"Retry-After": "1"})
        self.held += 1

    def leave(self) -> None:
        self.held -= 1


def body_limit(declared: str | None, limit: int, receive: Receive) -> Receive:
    """``receive`` that refuses (413) a body over ``limit`` bytes, declared or as it arrives."""
    too_large = ApiError(CoderevError("SYS010", f"the request body is over {limit} bytes"))
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise too_large
    seen = 0

    async def limited() -> MutableMapping[str, Any]:
        nonlocal seen
        message = await receive()
        if message.get("type") == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise too_large
        return message

    return limited
