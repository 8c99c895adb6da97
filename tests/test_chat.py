"""The chat engine, the chat worker subprocess and ``studio chat``, on the builtin tiny model and a tiny LoRA run."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
from conftest import ROOT

from backend.chat.engine import ChatEngine, ChatError, GenerationOptions, _StopTrimmer, resolve_source
from backend.chat.worker import ChatWorker

HI = [{"role": "user", "content": "你好, tell me about the weather."}]


@pytest.fixture(scope="module")
def lora_run(lora6):
    """The session's six-step tiny LoRA run (conftest ``lora6``): its folder."""
    return lora6.path


@pytest.fixture(scope="module")
def base_engine(tiny_model):
    return ChatEngine.load(str(tiny_model))


def test_greedy_is_deterministic_and_equals_bare_generate(base_engine, tiny_tokenizer):
    import torch

    opts = GenerationOptions(mode="greedy", max_new_tokens=12, min_new_tokens=12)
    first = base_engine.stream(HI, opts)
    text = "".join(first)
    assert text == base_engine.chat(HI, opts)
    assert first.stats["tokens"] == 12 and first.stats["finish_reason"] == "length"
    prompt = tiny_tokenizer.apply_chat_template(HI, tokenize=False, add_generation_prompt=True)
    ids = tiny_tokenizer(prompt, return_tensors="pt", add_special_tokens=False)
    with torch.inference_mode():
        out = base_engine.model.generate(**ids, do_sample=False, max_new_tokens=12, min_new_tokens=12)
    bare = tiny_tokenizer.decode(out[0, ids["input_ids"].shape[1] :], skip_special_tokens=True)
    assert text == bare


def test_seeded_sampling_repeats_and_stop_words_end_the_answer(base_engine):
    opts = GenerationOptions(mode="sampling", temperature=1.0, seed=7, max_new_tokens=40, min_new_tokens=40)
    full = base_engine.chat(HI, opts)
    assert full == base_engine.chat(HI, opts), "same seed, same text"
    stop = next(
        full[i : i + 2] for i in range(8, len(full) - 2) if full[i : i + 2].strip() and "\ufffd" not in full[i : i + 2]
    )
    opts.stop = [stop]
    gen = base_engine.stream(HI, opts)
    cut = "".join(gen)
    assert cut == full[: full.find(stop)]
    assert stop not in cut and gen.stats["finish_reason"] == "stop" and gen.stats["tokens"] < 40


def test_stop_word_split_across_pieces_is_held_back():
    trim = _StopTrimmer(["<|end|>", "###"])
    out = [trim.feed(p) for p in ("ab", "c<", "|e", "nd|>tail")]
    assert "".join(out) == "abc" and out[1] == "c" and trim.hit and trim.flush() == ""
    trim = _StopTrimmer(["###"])
    assert trim.feed("x#") == "x" and trim.feed("y") == "#y" and trim.flush() == ""


def test_bad_options_and_messages_name_the_field(base_engine):
    with pytest.raises(ChatError, match="options.top_p"):
        base_engine.stream(HI, GenerationOptions(top_p=0))
    with pytest.raises(ChatError, match=r"messages\[0\]"):
        base_engine.stream([{"role": "robot", "content": "x"}])
    with pytest.raises(ChatError, match="unknown field"):
        GenerationOptions.from_dict({"temprature": 1})


def test_limits_every_caller_gets(base_engine):
    """Stop strings are limited in count and length, seeds to 0..2**32-1, and the reply budget to what the
    model's context leaves (studio serve, the Chat tab's worker and studio chat all go through here)."""
    with pytest.raises(ChatError) as err:
        base_engine.stream(HI, GenerationOptions(stop=["x"] * 17))
    assert str(err.value) == "options.stop: at most 16 stop strings, got 17"
    with pytest.raises(ChatError) as err:
        base_engine.stream(HI, GenerationOptions(stop=["ok", "y" * 201]))
    assert str(err.value) == "options.stop[1]: a stop string has at most 200 characters, got 201"
    with pytest.raises(ChatError, match=r"options.seed must be an integer in 0..4294967295, got 4294967296"):
        base_engine.stream(HI, GenerationOptions(seed=2**32))
    long = [{"role": "user", "content": "ab " * 3000}]
    with pytest.raises(ChatError, match=r"^messages: the prompt is \d+ tokens but the model's context is 2048 tokens"):
        base_engine.stream(long)
    huge = [{"role": "user", "content": "ab " * 100_000}]  # refused from its length alone, before tokenising
    with pytest.raises(ChatError, match=r"^messages: the prompt is at least \d+ tokens \(3000\d\d characters\)"):
        base_engine.stream(huge)
    options = GenerationOptions(mode="greedy", max_new_tokens=10**9, min_new_tokens=10**9)
    gen = base_engine.stream(HI, options)
    gen.stop()  # only the budget matters here
    "".join(gen)
    room = 2048 - gen.prompt_tokens
    assert gen.options.max_new_tokens == gen.stats["max_tokens"] == room and gen.options.min_new_tokens == room
    assert gen.stats["max_tokens_requested"] == 10**9 and options.max_new_tokens == 10**9  # the caller's kept


def test_run_adapter_and_checkpoint_resolve_to_the_same_base(lora_run, tiny_model, studio_home):
    by_id = resolve_source(lora_run.name, home=studio_home)
    assert by_id.base == tiny_model and by_id.adapter == lora_run / "adapter" and by_id.tokenizer == by_id.adapter
    assert resolve_source("lora6", home=studio_home) == by_id  # the run name
    assert resolve_source(str(lora_run / "adapter"), home=studio_home).base == tiny_model
    explicit = resolve_source("builtin:tiny-llama", adapter=str(lora_run), home=studio_home)
    assert (explicit.base, explicit.adapter) == (by_id.base, by_id.adapter)
    with pytest.raises(ChatError, match="not a folder"):
        resolve_source("no-such-run", home=studio_home)


def test_lora_is_merged_into_the_base(lora_run, base_engine, studio_home):
    engine = ChatEngine.load(lora_run.name, home=studio_home)
    assert engine.info["merged"] and engine.info["adapter"].endswith("adapter")
    merged = dict(engine.model.named_parameters())
    base = dict(base_engine.model.named_parameters())
    name = "model.layers.0.self_attn.q_proj.weight"
    assert merged[name].shape == base[name].shape and not merged[name].equal(base[name])


def test_four_bit_base_generates_on_cpu(lora_run, studio_home):
    engine = ChatEngine.load(lora_run.name, home=studio_home, bits=4)
    assert engine.info["bits"] == 4 and not engine.info["merged"]
    gen = engine.stream(HI, GenerationOptions(mode="greedy", max_new_tokens=6, min_new_tokens=6))
    list(gen)
    assert gen.stats["tokens"] == 6


# ------------------------------------------------------------------------------------------ worker


@pytest.fixture(scope="module")
def worker(lora_run, studio_home):
    w = ChatWorker(env={"STUDIO_HOME": str(studio_home)})
    yield w
    w.close()


def test_worker_streams_tokens_then_done(worker, lora_run):
    assert worker.memory()["rss_mb"] < 200, "the idle worker has not imported torch"
    loaded = worker.load(lora_run.name)
    assert loaded["event"] == "loaded", loaded
    events = list(worker.generate(HI, {"mode": "greedy", "max_new_tokens": 10, "min_new_tokens": 10}))
    tokens, done = events[:-1], events[-1]
    assert len(tokens) >= 3 and all(e["event"] == "token" for e in tokens)
    assert done["event"] == "done" and done["tokens"] == 10 and done["tokens_per_s"] > 0
    assert "".join(e["text"] for e in tokens) == done["text"]
    assert worker.memory()["rss_mb"] > 200


def test_worker_stop_interrupts(worker, lora_run):
    assert worker.load(lora_run.name)["event"] == "loaded"
    stream = worker.generate(HI, {"mode": "sampling", "seed": 0, "max_new_tokens": 4000, "min_new_tokens": 4000})
    seen, start = 0, time.monotonic()
    for event in stream:
        if event["event"] == "token":
            seen += 1
            if seen == 3:
                assert worker.stop()["stopped"] is True
            continue
        break
    assert event["event"] == "done" and event["finish_reason"] == "interrupted", event
    assert event["tokens"] < 4000 and time.monotonic() - start < 60


def test_worker_bad_model_is_an_error_event_and_the_worker_lives_on(worker):
    event = worker.load("/no/such/model")
    assert event["event"] == "error" and "/no/such/model" in event["message"] and "\n" not in event["message"]
    assert worker.alive()
    # A load replaces the model (the old one goes first, to make room), so a failed load leaves none.
    event = list(worker.generate(HI))[-1]
    assert event["event"] == "error" and "no model is loaded" in event["message"]
    assert worker.load("builtin:tiny-llama")["event"] == "loaded"
    event = list(worker.generate(HI, {"max_new_tokens": -1}))[-1]
    assert event["event"] == "error" and "options.max_new_tokens" in event["message"]
    event = list(worker.generate(HI, {"stop": ["x"] * 17}))[-1]  # the Chat tab's path: the same limits
    assert event == {"id": event["id"], "event": "error", "message": "options.stop: at most 16 stop strings, got 17"}
    assert worker.memory()["event"] == "memory"


def test_close_leaves_no_process(studio_home, tiny_model):
    w = ChatWorker(env={"STUDIO_HOME": str(studio_home)})
    assert w.load("builtin:tiny-llama")["event"] == "loaded"
    pid = w.pid
    w.close()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    assert list(w.generate(HI))[-1]["event"] == "error", "a closed worker answers with an error, not a hang"


# --------------------------------------------------------------------------------------------- CLI


def test_cli_prompt_answers_for_a_trained_lora_run(lora_run, studio_home):
    proc = subprocess.run(
        [sys.executable, "-m", "cli", "chat", lora_run.name, "--prompt", HI[0]["content"],
         "--temperature", "1", "--seed", "3", "--max-new-tokens", "12"],
        cwd=ROOT, env={**os.environ, "STUDIO_HOME": str(studio_home)}, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    engine = ChatEngine.load(lora_run.name, home=studio_home)
    # Seeded sampling: greedy decoding of a six-step model answers only newlines, which prove little.
    expected = engine.chat(HI, GenerationOptions(temperature=1.0, seed=3, max_new_tokens=12))
    assert proc.stdout == expected + "\n" and proc.stdout.strip()


def test_cli_bad_model_is_one_line(studio_home):
    proc = subprocess.run(
        [sys.executable, "-m", "cli", "chat", "no-such-run", "--prompt", "hi"],
        cwd=ROOT, env={**os.environ, "STUDIO_HOME": str(studio_home)}, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert (
        proc.returncode == 2
        and proc.stderr.startswith("error: model: 'no-such-run'")
        and "Traceback" not in proc.stderr
    )
