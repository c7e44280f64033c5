"""``coderev engine``: the model engine served over a versioned HTTP API (docs/engine-api.md).

One process holds one :class:`~coderev.engine.runtime.engine.ModelEngine` (slot store, model
workers, SLO monitor) and the feedback store, and answers ``/v1/...`` requests: locally over a
Unix socket that only its user can open, or for a team over TCP (optionally TLS) with bearer
tokens. Modules: ``versions`` (the version table, negotiation, deprecation headers),
``responses`` (catalogue errors as JSON), ``tokens`` and ``auth``, ``limits`` (rate, concurrency,
body size), ``guard`` (the ASGI middleware applying them), ``host`` (the engine and stores),
``routes``, ``schemas`` and ``openapi``, ``app``, ``serve`` (uvicorn, sockets, signals, idle exit),
``client`` (``coderev engine status``) and ``command`` (the CLI). The engine layer below never
imports Starlette; only this package does (ADR 0021).
"""
