"""The inference worker process: one loaded model slot answering generate requests.

Started by the parent (:class:`coderev.engine.runtime.worker.InferenceWorker`) in isolated mode
through :mod:`coderev.engine.runtime.boot` (``--slot DIR [--device ...]``), never with ``-m`` from
the workspace. The parent talks to it in JSON lines:

* after loading and one warm-up generation (:meth:`coderev.engine.model.slot.ModelSlot.warm_up`), the child
  writes ``{"hello": {"device", "compute_type", "load_s", "warm_up_s", "pid"}}``, or
  ``{"hello": null, "error": {"code", "message", "fault"}}`` and exits with status 1 when it cannot
  load. ``fault`` is ``"slot"`` only when the slot's own files are at fault (hashes, manifest,
  prompt format, files the runtime cannot read as a model: the parent quarantines it) and
  ``"environment"`` otherwise (the runtime does not import, the device or compute type cannot be
  used, the warm-up fails: the slot is left alone);
* ``{"id": 7, "prompts": [...], "max_new_tokens": 64}`` is answered with ``{"id": 7, "answers":
  [...], "tokens": [...]}`` (``tokens``: how many tokens were generated for each answer; a parent
  that does not know the key ignores it) or ``{"id": 7, "error": {"code", "message"}}``;
* ``{"id": 8, "ping": true}`` is answered with ``{"id": 8, "pong": true}``.

Native libraries (CTranslate2, OpenMP, CUDA) sometimes print to file descriptor 1. If they wrote
into the protocol stream the parent would read garbage, so the very first thing the child does is
keep a private duplicate of the original stdout for the protocol and point fd 1 (and
``sys.stdout``) at stderr. Requests are served one at a time, in order; batching is the parent's
job. Answers contain the user's code, so they go to the protocol stream only, never to a log.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

from coderev.analyzers.errors import CoderevError

PROTOCOL_VERSION = 1
# Codes that put the blame on the slot's own files (see the module docstring).
SLOT_FAULTS = frozenset({"PRV002", "PRV008", "DAT003"})


def _claim_stdout() -> IO[str]:
    """A text stream on a private copy of fd 1; fd 1 itself is redirected to stderr."""
    protocol_fd = os.dup(1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return os.fdopen(protocol_fd, "w", encoding="utf-8", buffering=1)


def _send(stream: IO[str], message: dict[str, Any]) -> None:
    stream.write(json.dumps(message, ensure_ascii=False) + "\n")
    stream.flush()


def _error(code: str, message: str) -> dict[str, str]:
    return {"code": code, "message": message}


def _load_failure(exc: BaseException, stage: str) -> dict[str, str]:
    """The ``hello`` error for a failure while loading, with whose fault it is."""
    if isinstance(exc, CoderevError):
        fault = "slot" if stage == "slot" and exc.code in SLOT_FAULTS else "environment"
        return {**_error(exc.code, exc.detail), "fault": fault}
    what = "importing the model runtime" if stage == "import" else "loading the model"
    return {**_error("PRV001", f"{what} failed in the model worker: {type(exc).__name__}: {exc}"),
            "fault": "environment"}


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="coderev-model-worker")
    parser.add_argument("--slot", type=Path, required=True, help="slot directory")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--compute-type", default="auto")
    parser.add_argument("--intra-threads", type=int, default=1)
    parser.add_argument("--inter-threads", type=int, default=1)
    parser.add_argument("--skip-hash-check", action="store_true",
                        help="the parent verified the slot's hashes just before starting us")
    return parser.parse_args(argv)


def _handle(slot: Any, request: dict[str, Any]) -> dict[str, Any]:
    """The answer to one request line (already decoded)."""
    request_id = request.get("id")
    if request.get("ping"):
        return {"id": request_id, "pong": True}
    prompts = request.get("prompts")
    max_new_tokens = request.get("max_new_tokens", 256)
    if not isinstance(prompts, list) or not all(isinstance(p, str) for p in prompts) \
            or not isinstance(max_new_tokens, int) or max_new_tokens < 1:
        return {"id": request_id, "error": _error("SYS004", "a request needs a list of prompt strings and a "
                                                             "positive integer max_new_tokens")}
    try:
        answers, tokens = slot.generate_counted(prompts, max_new_tokens)
    except Exception as exc:  # the worker must survive any one bad request
        code = exc.code if isinstance(exc, CoderevError) else "PRV005"
        return {"id": request_id, "error": _error(code,
                                                  f"generation failed: {type(exc).__name__}: {exc}")}
    return {"id": request_id, "answers": answers, "tokens": tokens}


def serve(slot: Any, requests: IO[str], replies: IO[str]) -> None:
    """Answer request lines from ``requests`` until EOF (the parent closed our stdin)."""
    for line in requests:
        if not line.strip():
            continue
        try:
            request = json.loads(line)
            if not isinstance(request, dict):
                raise ValueError("not an object")
        except ValueError as exc:
            _send(replies, {"id": None, "error": _error("SYS004", f"unreadable request line: {exc}")})
            continue
        _send(replies, _handle(slot, request))


def main(argv: Sequence[str] | None = None) -> int:
    protocol = _claim_stdout()
    args = _parse_args(argv)
    start = time.perf_counter()
    stage = "import"
    try:
        from coderev.engine.model.slot import ModelSlot

        stage = "slot"
        slot = ModelSlot(
            args.slot,
            device=args.device,
            compute_type=None if args.compute_type == "auto" else args.compute_type,
            intra_threads=args.intra_threads,
            inter_threads=args.inter_threads,
            verify_hashes=not args.skip_hash_check,
        )
        stage = "warm-up"
        warm_up_s = slot.warm_up()
    except Exception as exc:
        _send(protocol, {"hello": None, "error": _load_failure(exc, stage)})
        return 1
    _send(protocol, {"hello": {
        "device": slot.device, "compute_type": slot.compute_type, "pid": os.getpid(),
        "load_s": round(time.perf_counter() - start, 4), "warm_up_s": round(warm_up_s, 4),
        "protocol": PROTOCOL_VERSION,
    }})
    serve(slot, sys.stdin, protocol)
    return 0


if __name__ == "__main__":
    sys.exit(main())
