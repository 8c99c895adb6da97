"""``studio serve``: one model behind an OpenAI-compatible API (``/v1/models``, ``/v1/chat/completions``).

Generation runs in this process through :class:`backend.chat.engine.ChatEngine`: the server is already a process of
its own (the studio starts it as a subprocess and kills it to free the model), so a second hop through the
chat worker would only add a pipe per token. Requests are answered one at a time on the model (the engine's
lock) while the event loop stays free.

Limits (:class:`Limits`, each a flag of ``studio serve`` and an environment variable; README "studio serve"):
a request body over ``max_body_bytes`` is a 413; more than ``max_queue`` requests waiting or running is a
429; a prompt that leaves no room in the model's context is a 400 with the numbers; ``max_tokens`` is cut to
what the context leaves (and to ``max_tokens``), reported as ``usage.max_tokens`` and the
``X-Studio-Max-Tokens`` header; stop strings are limited in count and length; a client that disconnects,
streaming or not, ends its generation.

Binding anything but loopback needs ``--api-key`` (checked as ``Authorization: Bearer KEY``), the studio's
rule for anything that can run work on this machine. On loopback the ``Host`` header must name this machine
(127.0.0.1, localhost, [::1] or ``--host``): a web page whose name re-resolves to 127.0.0.1 (DNS rebinding)
is refused with 400 before anything runs. Errors are OpenAI's shape:
``{"error": {"message", "type", "param", "code"}}`` with 400, 401, 404, 413 or 429.
"""

from __future__ import annotations

import hmac
import json
import sys
import time
import uuid
from typing import Literal

import anyio
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, field_validator

from backend.chat.serve_limits import ENV, Limits
from backend.host_guard import HostGuard, allowed_hosts, is_loopback, send_response

DEFAULT_MAX_TOKENS = 1024  # a reply's budget when the request names none (then cut to what the context leaves)
MAX_SEED = 2**32 - 1


class TextPart(BaseModel):
    type: Literal["text"]
    text: str


class Message(BaseModel):
    role: Literal["system", "developer", "user", "assistant"]
    content: str | list[TextPart] | None = None

    def plain(self) -> dict:
        text = self.content if isinstance(self.content, str) else "".join(p.text for p in self.content or [])
        return {"role": "system" if self.role == "developer" else self.role, "content": text}


class ChatRequest(BaseModel):
    """The fields of OpenAI's chat completion request that a local model honours (others are ignored)."""

    # strict: "0.5" is not a temperature and true is not a seed; each is a 400 naming the field.
    model_config = ConfigDict(extra="ignore", strict=True)
    model: str
    messages: list[Message] = Field(min_length=1)
    stream: bool = False
    temperature: float | None = Field(None, ge=0, le=2)
    top_p: float | None = Field(None, gt=0, le=1)
    max_tokens: int | None = Field(None, ge=1)
    max_completion_tokens: int | None = Field(None, ge=1)
    stop: str | list[str] | None = None
    seed: int | None = Field(None, ge=0, le=MAX_SEED)
    n: int = 1
    presence_penalty: float = 0
    frequency_penalty: float = 0
    stream_options: dict | None = None
    # Extensions that vLLM and others accept too.
    top_k: int | None = Field(None, ge=0)
    repetition_penalty: float | None = Field(None, gt=0)

    @field_validator("n")
    @classmethod
    def _one_choice(cls, v: int) -> int:
        if v != 1:
            raise ValueError("only n=1 is supported (one choice per request)")
        return v

    @field_validator("presence_penalty", "frequency_penalty")
    @classmethod
    def _no_penalty(cls, v: float) -> float:
        if v:
            raise ValueError("is not supported by this server; use repetition_penalty (e.g. 1.1) instead")
        return v

    def stops(self) -> list[str]:
        return [self.stop] if isinstance(self.stop, str) else list(self.stop or [])

    def options(self, limits: Limits):
        from backend.chat.engine import GenerationOptions

        asked = self.max_completion_tokens or self.max_tokens or DEFAULT_MAX_TOKENS
        return GenerationOptions(
            max_new_tokens=min(asked, limits.max_tokens or asked), stop=self.stops(),
            mode="sampling", temperature=1.0 if self.temperature is None else self.temperature,
            top_p=1.0 if self.top_p is None else self.top_p, top_k=self.top_k or 0,
            repetition_penalty=self.repetition_penalty or 1.0, seed=self.seed,
        ).validated()  # fmt: skip


def error_body(message: str, type_: str = "invalid_request_error", param: str | None = None, code=None) -> dict:
    return {"error": {"message": message, "type": type_, "param": param, "code": code}}


def _host_refused(host: str) -> bytes:
    return json.dumps(error_body(f"Host {host!r} is not allowed")).encode()


async def _send_json(send, status: int, body: bytes) -> None:
    await send_response(send, status, body)


class BodyLimit:
    """ASGI middleware: a request body over ``limit`` bytes is a 413 before the app reads any of it (the body is
    read here, counted, and handed on whole; later ``receive`` calls still report a client's disconnect)."""

    def __init__(self, app, limit: int):
        self.app, self.limit = app, limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        too_big = json.dumps(error_body(f"the request body is over {self.limit} bytes (--max-body-bytes)",
                                        code="request_too_large")).encode()  # fmt: skip
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            return await _send_json(send, 413, too_big)
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away while sending
            size += len(message.get("body", b""))
            if size > self.limit:
                return await _send_json(send, 413, too_big)
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        whole = {"type": "http.request", "body": b"".join(chunks), "more_body": False}

        async def replay():
            nonlocal whole
            if whole is not None:
                message, whole = whole, None
                return message
            return await receive()

        await self.app(scope, replay, send)


def _param(loc) -> str | None:
    """``messages[0].role`` from a pydantic error location (union member tags such as ``str`` dropped)."""
    parts = [p for p in loc if p != "body" and not (isinstance(p, str) and ("[" in p or p in _TAGS))]
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in parts).lstrip(".") or None


_TAGS = {"str", "int", "float", "bool", "list", "dict", "none", "function-after", "function-before"}


def build_app(engine, model_name: str, api_key: str | None = None, limits: Limits | None = None,
              hosts: frozenset[str] | None = None):  # fmt: skip
    """The ASGI app serving ``engine`` under the id ``model_name``, within ``limits``; ``hosts``: the ``Host``
    names it answers to (None: any)."""
    from backend.chat.engine import ChatError, check_stop

    limits = limits or Limits()

    class _Stream(StreamingResponse):
        """A streaming response that calls ``on_close`` once however it ends: done, failed, or client gone
        (also when the body was never started, where the generator's own ``finally`` would not run)."""

        def __init__(self, content, on_close, **kw):
            super().__init__(content, **kw)
            self.on_close = on_close

        async def __call__(self, scope, receive, send):
            try:
                await super().__call__(scope, receive, send)
            finally:
                self.on_close()

    engine.max_stop_strings, engine.max_stop_chars = limits.max_stop_strings, limits.max_stop_chars
    app = FastAPI(title="studio serve", docs_url=None, redoc_url=None, openapi_url=None)
    created = int(time.time())
    busy = {"pending": 0}  # requests holding a place in the queue (touched on the event loop only)
    waiters = anyio.CapacityLimiter(max(1, limits.max_queue))  # threads blocked on an answer: one per place

    def fail(status: int, message: str, param=None, code=None, type_="invalid_request_error", headers=None):
        return JSONResponse(error_body(message, type_, param, code), status_code=status, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def bad_request(request, exc: RequestValidationError):
        err = exc.errors()[0]
        param = _param(err["loc"])
        if err["type"] == "json_invalid":
            return fail(400, f"the body is not valid JSON: {err.get('ctx', {}).get('error', err['msg'])}")
        return fail(400, f"{param or 'body'}: {err['msg'].removeprefix('Value error, ')}", param)

    @app.get("/v1/models")
    async def models():
        return {"object": "list", "data": [{"id": model_name, "object": "model", "created": created,
                                             "owned_by": "studio"}]}  # fmt: skip

    @app.post("/v1/chat/completions")
    async def completions(req: ChatRequest, request: Request):
        if req.model != model_name:
            return fail(404, f"The model `{req.model}` does not exist; this server has `{model_name}`.", "model",
                        "model_not_found")  # fmt: skip
        try:
            check_stop(req.stops(), "stop", limits.max_stop_strings, limits.max_stop_chars)
            options = req.options(limits)
        except ChatError as exc:
            return fail(400, str(exc), "stop" if str(exc).startswith("stop") else None)
        if busy["pending"] >= limits.max_queue:
            return fail(429, f"the server is busy: {busy['pending']} requests are waiting for the model (at most "
                        f"{limits.max_queue}, --max-queue); retry later", code="rate_limit_exceeded",
                        type_="rate_limit_error", headers={"Retry-After": "1"})  # fmt: skip
        busy["pending"] += 1
        held = True
        try:
            # Rendering and tokenising a long prompt takes a while: off the event loop, before any queueing, so a
            # prompt too long for the context is refused at once however many requests are waiting.
            messages = [m.plain() for m in req.messages]
            gen = await anyio.to_thread.run_sync(engine.stream, messages, options)
        except ChatError as exc:
            busy["pending"] -= 1
            return fail(400, str(exc), "messages" if "messages" in str(exc) else None)
        except BaseException:
            busy["pending"] -= 1
            raise
        asked = req.max_completion_tokens or req.max_tokens or DEFAULT_MAX_TOKENS
        headers = {"X-Studio-Max-Tokens": str(gen.options.max_new_tokens)}
        if gen.options.max_new_tokens < asked:
            headers["X-Studio-Max-Tokens-Requested"] = str(asked)
        meta = {"id": f"chatcmpl-{uuid.uuid4().hex}", "created": int(time.time()), "model": model_name}
        try:
            if req.stream:
                usage = bool((req.stream_options or {}).get("include_usage"))

                def release():
                    gen.stop()  # the client went away (or we are done): free the model for the next request
                    busy["pending"] -= 1

                held = False  # the stream gives its place back when it ends (or its client goes)
                body = _sse(gen, meta, usage, waiters)
                return _Stream(body, release, media_type="text/event-stream", headers=headers)
            text = await _answer(gen, request, waiters)
        except ChatError as exc:
            return fail(500, str(exc), type_="server_error")
        finally:
            if held:
                gen.stop()
                busy["pending"] -= 1
        s = gen.stats
        return JSONResponse(
            {**meta, "object": "chat.completion", "usage": _usage(s),
             "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                          "finish_reason": _finish(s)}]}, headers=headers,
        )  # fmt: skip

    return BodyLimit(HostGuard(_KeyCheck(app, api_key), hosts, _host_refused), limits.max_body_bytes)


class _KeyCheck:
    """ASGI middleware: ``Authorization: Bearer KEY`` must match ``key`` (when one is set), else 401."""

    def __init__(self, app, key: str | None):
        self.app, self.key = app, key

    async def __call__(self, scope, receive, send):
        if self.key is None or scope["type"] != "http":
            return await self.app(scope, receive, send)
        auth = dict(scope.get("headers") or []).get(b"authorization", b"").decode("latin-1")
        given = auth.removeprefix("Bearer ").strip()
        if hmac.compare_digest(given.encode(), self.key.encode()):
            return await self.app(scope, receive, send)
        await _send_json(send, 401, json.dumps(error_body("Incorrect API key provided.", code="invalid_api_key"))
                         .encode())  # fmt: skip


async def _answer(gen, request, waiters) -> str:
    """The whole answer; a client that disconnects meanwhile stops the generation (its place is freed)."""
    result = {}
    async with anyio.create_task_group() as tg:

        async def watch():
            while (await request.receive())["type"] != "http.disconnect":
                pass
            gen.stop()

        tg.start_soon(watch)
        result["text"] = await anyio.to_thread.run_sync(lambda: "".join(gen), limiter=waiters)
        tg.cancel_scope.cancel()
    return result["text"]


def _usage(stats: dict) -> dict:
    """OpenAI's usage plus the reply budget this request ran with (after the context's and the server's cap)."""
    return {"prompt_tokens": stats["prompt_tokens"], "completion_tokens": stats["tokens"],
            "total_tokens": stats["prompt_tokens"] + stats["tokens"], "max_tokens": stats["max_tokens"],
            "context_tokens": stats["context"]}  # fmt: skip


def _finish(stats: dict) -> str:
    return "length" if stats["finish_reason"] == "length" else "stop"


async def _sse(gen, meta: dict, include_usage: bool, waiters):
    """``data: {chunk}`` events, a last chunk with finish_reason, then ``data: [DONE]``."""
    from backend.chat.engine import ChatError

    def chunk(delta: dict, finish=None, **extra) -> str:
        body = {**meta, "object": "chat.completion.chunk",
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], **extra}  # fmt: skip
        return f"data: {json.dumps(body, ensure_ascii=False)}\n\n"

    end = object()
    pieces = iter(gen)
    try:
        yield chunk({"role": "assistant", "content": ""})
        while (
            piece := await anyio.to_thread.run_sync(next, pieces, end, limiter=waiters, abandon_on_cancel=True)
        ) is not end:
            yield chunk({"content": piece})
        yield chunk({}, _finish(gen.stats))
        if include_usage:
            body = {**meta, "object": "chat.completion.chunk", "choices": [], "usage": _usage(gen.stats)}
            yield f"data: {json.dumps(body)}\n\n"
        yield "data: [DONE]\n\n"
    except ChatError as exc:
        yield f"data: {json.dumps(error_body(str(exc), 'server_error'))}\n\n"


def limits_from(args) -> Limits:
    """:class:`Limits` from parsed ``studio serve`` flags (whose defaults come from the environment)."""
    return Limits(**{name: getattr(args, name) for name in ENV})


def serve(args) -> int:
    """Check the bind, load the model, serve until interrupted."""
    if not is_loopback(args.host) and not args.api_key:
        print(
            f"error: --host {args.host} accepts connections from other machines; serving a model there needs "
            "--api-key KEY (or $STUDIO_API_KEY). Pass one, or bind 127.0.0.1.",
            file=sys.stderr,
        )
        return 2
    limits = limits_from(args)
    for name, value in vars(limits).items():
        if value is not None and value < 1:
            flag = "--" + name.replace("_", "-")
            print(f"error: {flag} (or ${ENV[name]}) must be an integer >= 1, got {value}", file=sys.stderr)
            return 2
    import uvicorn

    from backend.chat.args import load_engine

    engine = load_engine(args)
    name = args.model_name or engine.info["name"]
    app = build_app(engine, name, args.api_key or None, limits, allowed_hosts(args.host))
    shown = {"0.0.0.0": "127.0.0.1", "::": "[::1]"}.get(args.host, args.host)
    print(f"serving {name} at http://{shown}:{args.port}/v1 (OpenAI-compatible; Ctrl-C stops)", flush=True)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    return 0
