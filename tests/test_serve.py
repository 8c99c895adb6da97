"""``studio serve``: a real server subprocess on a free port, driven by the official ``openai`` client."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time

import httpx
import pytest
from conftest import ROOT

openai = pytest.importorskip("openai")

HI = [{"role": "user", "content": "你好"}]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(home, *extra: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "backend.chat_cli", "serve", "builtin:tiny-llama", "--port", str(port), *extra],
        cwd=ROOT, env={**os.environ, "STUDIO_HOME": str(home)}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True, start_new_session=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"server exited: {proc.stdout.read()}")
        try:
            httpx.get(f"{base}/models", timeout=2)
            return proc, base
        except httpx.TransportError:
            time.sleep(0.5)
    stop_server(proc)
    raise AssertionError("server did not answer within 180 s")


def stop_server(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=10)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


@pytest.fixture(scope="module")
def server(studio_home, tiny_model):
    proc, base = start_server(studio_home)
    yield base
    stop_server(proc)


@pytest.fixture(scope="module")
def client(server):
    return openai.OpenAI(base_url=server, api_key="unused", max_retries=0, timeout=120)


def test_models_lists_the_served_model(client):
    models = client.models.list().data
    assert [m.id for m in models] == ["tiny-llama"]


def test_non_streaming_completion(client):
    reply = client.chat.completions.create(model="tiny-llama", messages=HI, temperature=0, max_tokens=8)
    choice = reply.choices[0]
    assert choice.message.role == "assistant" and isinstance(choice.message.content, str)
    assert choice.finish_reason in ("stop", "length") and reply.usage.completion_tokens <= 8
    assert reply.usage.total_tokens == reply.usage.prompt_tokens + reply.usage.completion_tokens
    again = client.chat.completions.create(model="tiny-llama", messages=HI, temperature=0, max_tokens=8)
    assert again.choices[0].message.content == choice.message.content


def test_streaming_completion_matches_non_streaming(client):
    kw = dict(model="tiny-llama", messages=HI, temperature=0.8, seed=5, max_tokens=16)
    whole = client.chat.completions.create(**kw).choices[0].message.content
    chunks = list(client.chat.completions.create(**kw, stream=True, stream_options={"include_usage": True}))
    content = [c.choices[0].delta.content for c in chunks if c.choices and c.choices[0].delta.content]
    assert len(content) >= 3 and "".join(content) == whole
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    assert finishes in (["stop"], ["length"])
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens <= 16


def test_sse_wire_format_ends_with_done(server):
    body = {"model": "tiny-llama", "messages": HI, "stream": True, "max_tokens": 4, "temperature": 0}
    with httpx.stream("POST", f"{server}/chat/completions", json=body, timeout=60) as resp:
        assert resp.headers["content-type"].startswith("text/event-stream")
        lines = [line for line in resp.iter_lines() if line]
    assert all(line.startswith("data: ") for line in lines) and lines[-1] == "data: [DONE]"
    first = json.loads(lines[0][6:])
    assert first["object"] == "chat.completion.chunk" and first["choices"][0]["delta"]["role"] == "assistant"


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"messages": []}, "messages"),
        ({"messages": [{"role": "robot", "content": "x"}]}, "messages[0].role"),
        ({"messages": HI, "temperature": 5}, "temperature"),
        ({"messages": HI, "n": 2}, "n"),
        ({"messages": HI, "presence_penalty": 0.5}, "presence_penalty"),
    ],
)
def test_bad_requests_get_openai_errors(client, body, param):
    with pytest.raises(openai.BadRequestError) as err:
        client.chat.completions.create(model="tiny-llama", **body)
    assert err.value.status_code == 400
    assert err.value.body["type"] == "invalid_request_error" and err.value.body["param"] == param


def test_missing_messages_and_unknown_model(server, client):
    resp = httpx.post(f"{server}/chat/completions", json={"model": "tiny-llama"}, timeout=30)
    assert resp.status_code == 400 and resp.json()["error"]["param"] == "messages"
    with pytest.raises(openai.NotFoundError) as err:
        client.chat.completions.create(model="gpt-4o", messages=HI)
    assert err.value.body["code"] == "model_not_found"


def test_api_key_is_checked(studio_home, tiny_model):
    proc, base = start_server(studio_home, "--api-key", "s3cret", "--model-name", "mine")
    try:
        with pytest.raises(openai.AuthenticationError):
            openai.OpenAI(base_url=base, api_key="wrong", max_retries=0).models.list()
        good = openai.OpenAI(base_url=base, api_key="s3cret", max_retries=0)
        assert [m.id for m in good.models.list().data] == ["mine"]
    finally:
        stop_server(proc)


def test_non_loopback_bind_without_key_is_refused(studio_home):
    proc = subprocess.run(
        [sys.executable, "-m", "backend.chat_cli", "serve", "builtin:tiny-llama", "--host", "0.0.0.0"],
        cwd=ROOT, env={**os.environ, "STUDIO_HOME": str(studio_home), "STUDIO_API_KEY": ""},
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 2 and "--api-key" in proc.stderr and "Traceback" not in proc.stderr
