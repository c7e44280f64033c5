"""``coderev engine serve | status | token create|list|revoke | openapi`` (docs/engine-api.md).

``add_arguments`` imports nothing heavy (``coderev --help`` stays fast); ``run`` imports the
server, the client or the token file only for the command that needs it.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from coderev.analyzers.errors import CoderevError

EXIT_OK, EXIT_USAGE = 0, 2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="engine_command", required=True)
    serve = actions.add_parser("serve", help="serve the model engine's HTTP API (local socket by default)")
    where = serve.add_argument_group("where")
    where.add_argument("--socket", type=Path, metavar="PATH",
                       help="local mode: the Unix socket (default $XDG_RUNTIME_DIR/coderev/engine.sock)")
    where.add_argument("--host", help="team mode: listen on this address (needs tokens: `coderev engine token`)")
    where.add_argument("--port", type=int, default=8765, help="team mode port (default 8765; 0: any free one)")
    where.add_argument("--tls-cert", type=Path, metavar="FILE", help="team mode: serve HTTPS with this certificate")
    where.add_argument("--tls-key", type=Path, metavar="FILE", help="... and this private key")
    serve.add_argument("--idle-exit", type=float, default=None, metavar="SECONDS",
                       help="exit after this long without requests (default: 900 in local mode, never in team mode; "
                       "0: never)")
    serve.add_argument("--tokens", type=Path, metavar="FILE", help="team mode token file (default: the data dir's)")
    model = serve.add_argument_group("model")
    model.add_argument("--store", type=Path, metavar="DIR", help="slot store (default: the user data dir's)")
    model.add_argument("--no-model", action="store_true", help="serve status, slots and feedback only")
    model.add_argument("--device", default="auto", help="auto, cpu or cuda")
    model.add_argument("--model-timeout-ms", type=int, default=10_000, help="bound of one model request")
    model.add_argument("--shadow-sample", type=float, default=0.1, help="share of requests also sent to V1")
    limits = serve.add_argument_group("limits")
    limits.add_argument("--request-timeout", type=float, default=30.0, metavar="SECONDS",
                        help="bound of every wait inside a request (504 PRV006 past it)")
    limits.add_argument("--rate-limit", type=float, default=20.0, metavar="N", help="requests/s per client (0: off)")
    limits.add_argument("--burst", type=float, default=40.0, metavar="N", help="requests a client may send at once")
    limits.add_argument("--max-concurrent", type=int, default=16, metavar="N",
                        help="model requests in flight at once (0: no cap)")
    limits.add_argument("--max-body-bytes", type=int, default=1 << 20, metavar="N", help="largest request body")
    learn = serve.add_argument_group("background learning (docs/learning.md; needs the train extra)")
    learn.add_argument("--learn", action="store_true",
                       help="learn the team's rule directories (--learn-rules) into V1 candidates while idle")
    learn.add_argument("--learn-rules", type=Path, action="append", default=[], metavar="DIR",
                       help="a team rule directory whose fix templates to learn (repeatable)")
    learn.add_argument("--learn-method", default="replay", help="coderev model learn --method (default replay)")
    learn.add_argument("--learn-idle-minutes", type=float, default=10.0,
                       help="minutes without fix or review requests before a run starts (default 10)")
    learn.add_argument("--learn-cpu-budget", type=float, default=1800.0, metavar="SECONDS",
                       help="CPU seconds of learning per day: warning at 80%%, stop at 100%% (default 1800)")
    learn.add_argument("--learn-checkpoint-minutes", type=float, default=5.0, help="checkpoint interval (default 5)")
    serve.add_argument("--inject-latency-file", type=Path, metavar="FILE",
                       help="test aid, off unless given: while FILE holds a number N, every /fix and /review request "
                       "first waits N ms (docs/observability.md)")

    status = actions.add_parser("status", help="ask a running engine for its status")
    status.add_argument("--url", help="team engine, e.g. https://engine.example:8765 (default: the local socket)")
    status.add_argument("--socket", type=Path, metavar="PATH", help="local engine's socket")
    status.add_argument("--token-file", type=Path, metavar="FILE",
                        help="file holding a token (default: $CODEREV_ENGINE_TOKEN)")
    status.add_argument("--json", action="store_true", help="print the status as JSON")

    token = actions.add_parser("token", help="create, list or revoke team-mode tokens")
    token.add_argument("--tokens", type=Path, metavar="FILE", help="token file (default: the data dir's)")
    tokens = token.add_subparsers(dest="token_command", required=True)
    create = tokens.add_parser("create", help="create a token and print its secret (shown once)")
    create.add_argument("name")
    create.add_argument("--scope", choices=("user", "admin"), default="user",
                        help="user: fix, review, status, feedback; admin: also promote and demote")
    create.add_argument("--expires-days", type=float, metavar="N", help="expire after N days (default: never)")
    listed = tokens.add_parser("list", help="list the tokens (never their secrets)")
    listed.add_argument("--json", action="store_true")
    tokens.add_parser("revoke", help="revoke a token (a running engine refuses it at once)").add_argument("name")

    actions.add_parser("openapi", help="print the API's OpenAPI document (docs/openapi/engine-v1.json)")


def run(args: argparse.Namespace, version: str) -> int:
    try:
        if args.engine_command == "serve":
            return _serve(args, version)
        if args.engine_command == "status":
            from coderev.server.engine_api import client, shared

            path = None if args.url else (args.socket or shared.default_socket_path())
            return client.status(args.url, path, args.token_file, args.json)
        if args.engine_command == "token":
            return _token(args)
        from coderev.server.engine_api import openapi

        sys.stdout.write(openapi.render().decode("utf-8"))
        return EXIT_OK
    except CoderevError as exc:
        sys.stderr.write(f"coderev: {exc}\n")
        return EXIT_USAGE


def _serve(args: argparse.Namespace, version: str) -> int:
    from coderev.engine.runtime.api import EngineConfig
    from coderev.server.engine_api import serve, shared
    from coderev.server.engine_api.app import ApiSettings
    from coderev.server.engine_api.guard import Limits
    from coderev.server.engine_api.host import EngineHost
    from coderev.server.engine_api.tokens import TokenFile

    team = args.host is not None
    if team and args.socket is not None:
        raise CoderevError("SYS002", "--socket (local mode) and --host (team mode) exclude each other")
    if (args.tls_cert is None) != (args.tls_key is None) or (args.tls_cert is not None and not team):
        raise CoderevError("SYS002", "TLS needs both --tls-cert and --tls-key, in team mode (--host)")
    idle = args.idle_exit if args.idle_exit is not None else (0.0 if team else 900.0)
    tokens = TokenFile(args.tokens) if team else None
    if tokens is not None and not tokens.tokens():
        sys.stderr.write(f"coderev: warning: no token in {tokens.path}: every request will be refused "
                         "(AUTH002/AUTH003); create one with `coderev engine token create NAME`\n")
    config = EngineConfig(enabled=not args.no_model, store_path=args.store, device=args.device,
                          timeout_s=args.model_timeout_ms / 1000, shadow_sample=args.shadow_sample)
    settings = ApiSettings(mode="team" if team else "local", tokens=tokens, idle_exit_s=idle,
                           request_timeout_s=args.request_timeout, inject_latency_file=args.inject_latency_file,
                           limits=Limits(args.rate_limit, args.burst, args.max_concurrent, args.max_body_bytes))
    host = EngineHost(config, version=version, learning=_learning(args))
    tls = (args.tls_cert, args.tls_key) if args.tls_cert is not None else None
    if team:
        sock = serve.bind_tcp(args.host, args.port)
        bound_host, port = sock.getsockname()[:2]
        address = f"{'https' if tls else 'http'}://{bound_host}:{port}"
        return serve.serve(host, settings, sock=sock, address=address, tls=tls)
    path = (args.socket or shared.default_socket_path()).absolute()
    return serve.serve(host, settings, sock=serve.bind_unix(path), address=f"unix:{path}", socket_path=path)


def _learning(args: argparse.Namespace) -> Any:
    if not args.learn:
        if args.learn_rules:
            raise CoderevError("SYS002", "--learn-rules needs --learn")
        return None
    from coderev.engine.learning.scheduler import ScheduleSettings
    from coderev.server.engine_api.learning import EngineLearning

    settings = ScheduleSettings(idle_minutes=args.learn_idle_minutes, cpu_budget_s=args.learn_cpu_budget,
                                checkpoint_minutes=args.learn_checkpoint_minutes, method=args.learn_method)
    return EngineLearning(settings, tuple(path.resolve() for path in args.learn_rules))


def _token(args: argparse.Namespace) -> int:
    from coderev.server.engine_api.tokens import TokenFile

    store, action = TokenFile(args.tokens), str(args.token_command)
    if action == "create":
        expires = time.time() + args.expires_days * 86400 if args.expires_days is not None else None
        secret = store.create(args.name, args.scope, expires)
        sys.stderr.write(f"token {args.name!r} ({args.scope}) created in {store.path}; its secret is shown "
                         "once, on stdout:\n")
        print(secret)
        return EXIT_OK
    if action == "revoke":
        store.revoke(args.name)
        print(f"token {args.name!r} revoked")
        return EXIT_OK
    rows: list[dict[str, Any]] = [
        {"name": t.name, "scope": t.scope, "created": _when(t.created), "expires": _when(t.expires),
         "expired": t.expired(time.time())} for t in store.tokens()]
    if args.json:
        print(json.dumps({"file": str(store.path), "tokens": rows}, indent=2))
        return EXIT_OK
    print(f"tokens in {store.path}")
    for row in rows:
        state = " (expired)" if row["expired"] else ""
        print(f"{row['name']:<24} {row['scope']:<6} created {row['created']}  "
              f"expires {row['expires'] or 'never'}{state}")
    return EXIT_OK


def _when(stamp: float | None) -> str | None:
    return None if stamp is None else datetime.fromtimestamp(stamp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
