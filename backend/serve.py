"""``studio serve``: one model behind an OpenAI-compatible API (``/v1/models``, ``/v1/chat/completions``).

Generation runs in this process through :class:`backend.chat.ChatEngine`: the server is already a process of
its own (the studio starts it as a subprocess and kills it to free the model), so a second hop through the
chat worker would only add a pipe per token. Requests are answered one at a time on the model (the engine's
lock) while the event loop stays free; a streaming client that disconnects stops its generation.

Binding anything but loopback needs ``--api-key`` (checked as ``Authorization: Bearer KEY``), the studio's
rule for anything that can run work on this machine. Errors are OpenAI's shape:
``{"error": {"message", "type", "param", "code"}}`` with 400 (bad request), 401 (key) or 404 (model).
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import sys
import time
import uuid
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

DEFAULT_MAX_TOKENS = 1024


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

    model_config = ConfigDict(extra="ignore")
    model: str
    messages: list[Message] = Field(min_length=1)
    stream: bool = False
    temperature: float | None = Field(None, ge=0, le=2)
    top_p: float | None = Field(None, gt=0, le=1)
    max_tokens: int | None = Field(None, ge=1)
    max_completion_tokens: int | None = Field(None, ge=1)
    stop: str | list[str] | None = None
    seed: int | None = None
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

    def options(self):
        from backend.chat import GenerationOptions

        stop = [self.stop] if isinstance(self.stop, str) else list(self.stop or [])
        return GenerationOptions(
            max_new_tokens=self.max_completion_tokens or self.max_tokens or DEFAULT_MAX_TOKENS,
            mode="sampling", temperature=1.0 if self.temperature is None else self.temperature,
            top_p=1.0 if self.top_p is None else self.top_p, top_k=self.top_k or 0,
            repetition_penalty=self.repetition_penalty or 1.0, seed=self.seed, stop=stop,
        ).validated()  # fmt: skip


def error_body(message: str, type_: str = "invalid_request_error", param: str | None = None, code=None) -> dict:
    return {"error": {"message": message, "type": type_, "param": param, "code": code}}


def is_loopback(host: str) -> bool:
    """Whether ``host`` only accepts connections from this machine (the same rule as the web UI's)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a hostname may resolve to a public address


def build_app(engine, model_name: str, api_key: str | None = None):
    """The FastAPI app serving ``engine`` under the id ``model_name``."""
    import anyio
    from fastapi import FastAPI, Request
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import JSONResponse, StreamingResponse

    from backend.chat import ChatError

    app = FastAPI(title="studio serve", docs_url=None, redoc_url=None)
    created = int(time.time())

    def fail(status: int, message: str, param=None, code=None, type_="invalid_request_error"):
        return JSONResponse(error_body(message, type_, param, code), status_code=status)

    @app.exception_handler(RequestValidationError)
    async def bad_request(request, exc: RequestValidationError):
        err = exc.errors()[0]
        loc = [str(p) for p in err["loc"] if p != "body"]
        param = "".join(f"[{p}]" if p.isdigit() else f".{p}" for p in loc).lstrip(".") or None
        return fail(400, f"{param or 'body'}: {err['msg'].removeprefix('Value error, ')}", param)

    @app.middleware("http")
    async def check_key(request: Request, call_next):
        if api_key is not None:
            given = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
            if not hmac.compare_digest(given.encode(), api_key.encode()):
                return fail(401, "Incorrect API key provided.", code="invalid_api_key")
        return await call_next(request)

    @app.get("/v1/models")
    async def models():
        return {"object": "list", "data": [{"id": model_name, "object": "model", "created": created,
                                             "owned_by": "studio"}]}  # fmt: skip

    @app.post("/v1/chat/completions")
    async def completions(req: ChatRequest):
        if req.model != model_name:
            return fail(404, f"The model `{req.model}` does not exist; this server has `{model_name}`.", "model",
                        "model_not_found")  # fmt: skip
        try:
            gen = engine.stream([m.plain() for m in req.messages], req.options())
        except ChatError as exc:
            return fail(400, str(exc), "messages" if "messages" in str(exc) else None)
        meta = {"id": f"chatcmpl-{uuid.uuid4().hex}", "created": int(time.time()), "model": model_name}
        if req.stream:
            usage = bool((req.stream_options or {}).get("include_usage"))
            return StreamingResponse(_sse(gen, meta, usage, anyio), media_type="text/event-stream")
        try:
            text = await anyio.to_thread.run_sync(lambda: "".join(gen))
        except ChatError as exc:
            return fail(500, str(exc), type_="server_error")
        finally:
            gen.stop()
        s = gen.stats
        return {**meta, "object": "chat.completion", "usage": _usage(s),
                "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                             "finish_reason": _finish(s)}]}  # fmt: skip

    return app


def _usage(stats: dict) -> dict:
    return {"prompt_tokens": stats["prompt_tokens"], "completion_tokens": stats["tokens"],
            "total_tokens": stats["prompt_tokens"] + stats["tokens"]}  # fmt: skip


def _finish(stats: dict) -> str:
    return "length" if stats["finish_reason"] == "length" else "stop"


async def _sse(gen, meta: dict, include_usage: bool, anyio):
    """``data: {chunk}`` events, a last chunk with finish_reason, then ``data: [DONE]``."""
    from backend.chat import ChatError

    def chunk(delta: dict, finish=None, **extra) -> str:
        body = {**meta, "object": "chat.completion.chunk",
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], **extra}  # fmt: skip
        return f"data: {json.dumps(body, ensure_ascii=False)}\n\n"

    end = object()
    pieces = iter(gen)
    try:
        yield chunk({"role": "assistant", "content": ""})
        while (piece := await anyio.to_thread.run_sync(next, pieces, end)) is not end:
            yield chunk({"content": piece})
        yield chunk({}, _finish(gen.stats))
        if include_usage:
            body = {**meta, "object": "chat.completion.chunk", "choices": [], "usage": _usage(gen.stats)}
            yield f"data: {json.dumps(body)}\n\n"
        yield "data: [DONE]\n\n"
    except ChatError as exc:
        yield f"data: {json.dumps(error_body(str(exc), 'server_error'))}\n\n"
    finally:
        gen.stop()  # the client went away (or we are done): free the model for the next request


def serve(args) -> int:
    """Check the bind, load the model, serve until interrupted."""
    if not is_loopback(args.host) and not args.api_key:
        print(
            f"error: --host {args.host} accepts connections from other machines; serving a model there needs "
            "--api-key KEY (or $STUDIO_API_KEY). Pass one, or bind 127.0.0.1.",
            file=sys.stderr,
        )
        return 2
    import uvicorn

    from backend.chat_cli import _load

    engine = _load(args)
    name = args.model_name or engine.info["name"]
    app = build_app(engine, name, args.api_key or None)
    shown = {"0.0.0.0": "127.0.0.1", "::": "[::1]"}.get(args.host, args.host)
    print(f"serving {name} at http://{shown}:{args.port}/v1 (OpenAI-compatible; Ctrl-C stops)", flush=True)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    return 0
