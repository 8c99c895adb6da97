"""``studio serve``: a real server subprocess on a free port, driven by the official ``openai`` client."""

from __future__ import annotations

import json
import os
import re
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
        [sys.executable, "-m", "cli", "serve", "builtin:tiny-llama", "--port", str(port), *extra],
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
        [sys.executable, "-m", "cli", "serve", "builtin:tiny-llama", "--host", "0.0.0.0"],
        cwd=ROOT, env={**os.environ, "STUDIO_HOME": str(studio_home), "STUDIO_API_KEY": ""},
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 2 and "--api-key" in proc.stderr and "Traceback" not in proc.stderr


# ------------------------------------------------------------------------------------ limits (issue 15)


def post(base: str, body, timeout: float = 60, **kw) -> httpx.Response:
    return httpx.post(f"{base}/chat/completions", json=body, timeout=timeout, **kw)


def error_of(resp: httpx.Response) -> tuple[int, str, str | None]:
    err = resp.json()["error"]
    return resp.status_code, err["message"], err["param"]


@pytest.mark.parametrize(
    ("extra", "param", "says"),
    [
        ({"seed": 2**32}, "seed", "less than or equal to 4294967295"),
        ({"seed": -1}, "seed", "greater than or equal to 0"),
        ({"seed": True}, "seed", "valid integer"),
        ({"temperature": "hot"}, "temperature", "valid number"),
        ({"top_p": 0}, "top_p", "greater than 0"),
        ({"max_tokens": 0}, "max_tokens", "greater than or equal to 1"),
        ({"max_tokens": "9"}, "max_tokens", "valid integer"),
        ({"n": 3}, "n", "only n=1"),
        ({"stop": 5}, "stop", "valid"),
        ({"stop": ["x"] * 17}, "stop", "stop: at most 16 stop strings, got 17"),
        ({"stop": ["ok", "y" * 201]}, "stop", "stop[1]: a stop string has at most 200 characters, got 201"),
    ],
)
def test_bad_values_are_400s_naming_the_field(server, extra, param, says):
    status, message, got = error_of(post(server, {"model": "tiny-llama", "messages": HI, **extra}))
    assert (status, got) == (400, param) and says in message and message.startswith(param)


def test_prompt_longer_than_the_context_is_a_400_with_the_numbers(server):
    resp = post(server, {"model": "tiny-llama", "messages": [{"role": "user", "content": "ab " * 3000}]})
    status, message, param = error_of(resp)
    assert status == 400 and param == "messages"
    assert re.fullmatch(
        r"messages: the prompt is (\d+) tokens but the model's context is 2048 tokens, which leaves no room for "
        r"a reply \(at least 1 token\); shorten the conversation by (\d+) token\(s\)",
        message,
    ), message
    n, over = map(int, re.search(r"is (\d+) tokens.*by (\d+)", message).groups())
    assert n > 2048 and over == n - 2047


def test_max_tokens_is_cut_to_what_the_context_leaves(server):
    body = {"model": "tiny-llama", "messages": HI, "max_tokens": 1_000_000_000, "temperature": 0, "stream": True}
    with httpx.stream("POST", f"{server}/chat/completions", json=body, timeout=60) as resp:
        assert resp.status_code == 200
        budget = int(resp.headers["x-studio-max-tokens"])  # known before the first token; then hang up
        assert resp.headers["x-studio-max-tokens-requested"] == "1000000000"
    small = post(server, {**body, "stream": False, "max_tokens": 3})
    usage = small.json()["usage"]
    assert usage["context_tokens"] == 2048 and budget == 2048 - usage["prompt_tokens"]
    assert usage["max_tokens"] == 3 and "x-studio-max-tokens-requested" not in small.headers


def test_body_over_the_limit_is_a_413(server):
    resp = post(server, {"model": "tiny-llama", "messages": [{"role": "user", "content": "x" * 1_100_000}]})
    assert resp.status_code == 413
    assert resp.json()["error"]["message"] == "the request body is over 1048576 bytes (--max-body-bytes)"


def test_host_header_must_name_this_machine(server):
    port = server.split(":")[2].split("/")[0]
    evil = httpx.post(f"{server}/chat/completions", json={"model": "tiny-llama", "messages": HI, "max_tokens": 1},
                      headers={"Host": f"evil.example:{port}"}, timeout=30)  # fmt: skip
    assert evil.status_code == 400 and evil.json()["error"]["message"] == f"Host 'evil.example:{port}' is not allowed"
    for host in (f"localhost:{port}", f"127.0.0.1:{port}", f"[::1]:{port}"):
        assert httpx.get(f"{server}/models", headers={"Host": host}, timeout=30).status_code == 200


def test_stop_strings_are_matched_on_the_new_text(client):
    """A stop string ends the answer early and is cut from it (the engine's bounded-window matching)."""
    kw = dict(model="tiny-llama", messages=HI, temperature=0.8, seed=11, max_tokens=40)
    whole = client.chat.completions.create(**kw).choices[0].message.content
    stop = whole[len(whole) // 2 : len(whole) // 2 + 2]
    assert len(whole) > 10 and stop.strip()
    reply = client.chat.completions.create(**kw, stop=[stop, "never-appears"])
    assert reply.choices[0].message.content == whole[: whole.find(stop)]
    assert reply.choices[0].finish_reason == "stop" and reply.usage.completion_tokens < 40


def vm_rss_kb(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))


def test_abuse_normal_requests_keep_answering(studio_home, tiny_model):
    """20 concurrent small requests all answer while an oversized prompt (900 kB) is refused at once, and the
    server's RSS stays within 1.5x of its idle RSS (after one warm-up answer)."""
    import concurrent.futures as cf

    proc, base = start_server(studio_home)
    try:
        body = {"model": "tiny-llama", "messages": HI, "max_tokens": 4, "temperature": 0}
        post(base, body)  # warm: the first generation allocates what every later one reuses
        idle = vm_rss_kb(proc.pid)
        huge = {"model": "tiny-llama", "messages": [{"role": "user", "content": "ab " * 300_000}]}
        with cf.ThreadPoolExecutor(21) as pool:
            normal = [pool.submit(post, base, {**body, "max_tokens": 16, "seed": i, "temperature": 1}) for i in
                      range(20)]  # fmt: skip
            time.sleep(0.3)
            t0 = time.monotonic()
            refused = post(base, huge)
            refused_s = time.monotonic() - t0
            answers = [f.result(timeout=120) for f in normal]
            answered_s = time.monotonic() - t0
        peak = vm_rss_kb(proc.pid)
        print(f"\nabuse: oversized refused in {refused_s:.2f} s, 20 answered within {answered_s:.1f} s, "
              f"RSS idle {idle / 1024:.0f} MiB -> {peak / 1024:.0f} MiB ({peak / idle:.2f}x)")  # fmt: skip
        assert refused.status_code == 400 and "context is 2048 tokens" in refused.json()["error"]["message"]
        assert refused_s < 5, f"the oversized prompt took {refused_s:.1f} s to refuse"
        assert [a.status_code for a in answers] == [200] * 20
        assert all(a.json()["choices"][0]["message"]["content"] is not None for a in answers)
        assert peak < 1.5 * idle, f"RSS {peak} kB vs idle {idle} kB"
    finally:
        stop_server(proc)


def until_answered(base: str, body: dict, within: float) -> float:
    """Seconds until ``body`` gets a 200 (asking every 0.2 s); fails after ``within`` seconds."""
    t0 = time.monotonic()
    while (resp := post(base, body)).status_code != 200:
        assert resp.status_code == 429, resp.text
        assert time.monotonic() - t0 < within, f"still busy after {within} s"
        time.sleep(0.2)
    return time.monotonic() - t0


def test_queue_bound_and_disconnect(studio_home, tiny_model):
    """With --max-queue 1 a second request is a 429 while the first runs; a first whose client disconnects
    (streaming or not) stops its generation and frees the place within a few tokens."""
    proc, base = start_server(studio_home, "--max-queue", "1")
    try:
        # seed 1 samples 722 tokens before its end of turn (measured): over a minute on this CPU
        long = {"model": "tiny-llama", "messages": HI, "max_tokens": 2000, "temperature": 1, "seed": 1}
        one = {**long, "max_tokens": 1}
        with pytest.raises(httpx.ReadTimeout):
            post(base, long, timeout=httpx.Timeout(60, read=2.0))  # gives up after 2 s and closes its connection
        assert until_answered(base, one, within=15) < 15
        with httpx.stream("POST", f"{base}/chat/completions", json={**long, "stream": True}, timeout=60) as s:
            lines = s.iter_lines()  # kept: a dropped iterator closes the response, which frees the place
            next(lines)
            busy = post(base, one)
        code, message, _ = error_of(busy)
        assert code == 429 and busy.headers["retry-after"] == "1"
        assert message == "the server is busy: 1 requests are waiting for the model (at most 1, --max-queue); " \
            "retry later"  # fmt: skip
        assert until_answered(base, one, within=15) < 15  # the stream's client went away: its place is free
    finally:
        stop_server(proc)


def test_limit_flags_and_variables_are_checked(studio_home):
    def serve(*extra, **env):
        return subprocess.run(
            [sys.executable, "-m", "cli", "serve", "builtin:tiny-llama", *extra],
            cwd=ROOT, env={**os.environ, "STUDIO_HOME": str(studio_home), **env},
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip

    zero = serve("--max-queue", "0")
    assert zero.returncode == 2 and "Traceback" not in zero.stderr
    assert zero.stderr.strip() == "error: --max-queue (or $STUDIO_SERVE_MAX_QUEUE) must be an integer >= 1, got 0"
    bad_env = serve(STUDIO_SERVE_MAX_STOP_CHARS="lots")
    assert bad_env.returncode == 2 and "--max-stop-chars: invalid int value: 'lots'" in bad_env.stderr
