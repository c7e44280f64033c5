"""OpenAI-compatible routes: ``/v1/models``, ``/v1/completions``, ``/v1/chat/completions``.

They let anything that speaks the OpenAI API, and in particular another coderev engine whose slot
names this one as its remote provider (``coderev.engine.runtime.provider``), use this engine's
production slot. They answer in OpenAI's shapes with the slot's greedy answer to the prompt as it
is (``completions``: each ``prompt``; ``chat``: the content of the last ``user`` message): no
finding is looked for and no fix is checked here, since the asking side does that. Fields of
OpenAI's requests that do not apply (``temperature``, ``stop``, ``n``...) are accepted and ignored:
decoding is always greedy. Errors are the API's usual catalogue errors (not OpenAI's error shape).
"""

from __future__ import annotations

import itertools
import time

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from coderev.analyzers.errors import CoderevError
from coderev.server.engine_api.responses import ApiError
from coderev.server.engine_api.routes import Context, body, bounded

DEFAULT_MAX_TOKENS = 256


def completion_routes(ctx: Context) -> list[Route]:
    ids = itertools.count(1)

    def model_id() -> str:
        return ctx.host.status().production_id or "none"

    async def answers(prompts: list[str], max_tokens: int) -> list[str]:
        engine = ctx.host.require_engine()
        return await bounded(engine.generate(prompts, max_tokens), ctx.request_timeout_s, "model answer")

    async def models(request: Request) -> Response:
        # A model is listed once it can answer: a provider slot pointed here waits for it.
        status = ctx.host.status()
        serving = status.production_id if status.mode == "ready" else None
        data = [{"id": serving, "object": "model", "owned_by": "coderev"}] if serving else []
        return JSONResponse({"object": "list", "data": data})

    async def completions(request: Request) -> Response:
        wanted = await body(request, "CompletionRequest")
        prompt = wanted["prompt"]
        prompts = [prompt] if isinstance(prompt, str) else list(prompt)
        texts = await answers(prompts, int(wanted.get("max_tokens", DEFAULT_MAX_TOKENS)))
        return JSONResponse({"id": f"cmpl-{next(ids)}", "object": "text_completion", "created": int(time.time()),
                             "model": model_id(), "choices": [
                                 {"index": i, "text": text, "finish_reason": "stop", "logprobs": None}
                                 for i, text in enumerate(texts)]})

    async def chat(request: Request) -> Response:
        wanted = await body(request, "ChatCompletionRequest")
        users = [m["content"] for m in wanted["messages"] if m.get("role") == "user"]
        if not users:
            raise ApiError(CoderevError("SYS011", "messages: no message with role 'user'"))
        [text] = await answers([users[-1]], int(wanted.get("max_tokens", DEFAULT_MAX_TOKENS)))
        return JSONResponse({"id": f"chatcmpl-{next(ids)}", "object": "chat.completion", "created": int(time.time()),
                             "model": model_id(), "choices": [{"index": 0, "finish_reason": "stop", "message": {
                                 "role": "assistant", "content": text}}]})

    return [
        Route("/models", models, methods=["GET"]),
        Route("/completions", completions, methods=["POST"]),
        Route("/chat/completions", chat, methods=["POST"]),
    ]
