"""The Chat tab's handlers with real chat workers (no browser): load the builtin tiny model, stream an answer,
stop one, regenerate, side by side, unload (the worker process is gone), and one-line errors."""

from __future__ import annotations

import os
import threading

import gradio as gr
import pytest

from studio import chat_session
from studio.chat_session import ChatSession
from studio.tabs import chat

BUILTIN = "builtin:tiny-llama"


def options(**changes) -> list:
    """The decoding fields in the order the handlers take them (the form's defaults, with ``changes``)."""
    values = chat.DEFAULT_OPTIONS | changes
    return [values[name] for name in chat.OPTION_NAMES]


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def loaded(session: ChatSession, slot: int = 0, model: str = BUILTIN, **kw) -> list[str]:
    lines = [line for line, _ in chat.load(session, model, kw.get("dtype", "auto"), "none", "auto", slot)]
    assert lines[-1].startswith("loaded **"), lines
    return lines


@pytest.fixture
def session(studio_home, tiny_model):
    s = ChatSession(str(studio_home))
    yield s
    s.close()


def test_load_stream_stop_regenerate_unload(session):
    lines = loaded(session)
    assert lines[0].startswith("starting a worker") and "RSS" in lines[-1] and "template auto" in lines[-1]
    worker = session.slots[0].worker
    assert worker.alive() and f"worker pid {worker.pid}" in lines[-1]

    updates = list(chat.send(session, " Hello there ", False, "Be brief.", *options(max_new_tokens=24, seed=1)))
    answers = [a[-1]["content"] for a, *_ in updates[:-1]]
    assert len(updates) >= 4, "the answer streams in several chunks"
    assert updates[0][2] == "", "the prompt box is emptied"
    assert all(answers[k] == answers[-1][: len(answers[k])] or answers[k] == "…" for k in range(len(answers)))
    final, _, _, status, _ = updates[-1]
    assert [m["role"] for m in final] == ["user", "assistant"] and final[0]["content"] == "Hello there"
    assert final[1]["content"] == answers[-1] and answers[-1]
    assert "last answer:" in status and "tokens/s" in status

    # Stop interrupts a long answer; what was written so far is kept as the answer.
    seen = []

    def stop_after_chunks():
        while len(seen) < 3:
            threading.Event().wait(0.05)
        chat.stop(session)

    threading.Thread(target=stop_after_chunks, daemon=True).start()
    for update in chat.send(session, "Tell me more", False, "", *options(max_new_tokens=4000, temperature=1.0)):
        seen.append(update)
    assert session.slots[0].stats["finish_reason"] == "interrupted"
    assert session.slots[0].stats["tokens"] < 4000
    assert len(session.slots[0].history) == 4

    # Regenerate replaces the last answer (greedy twice gives the same text), Clear forgets the turns.
    first = list(chat.regenerate(session, False, "", *options(mode="greedy", max_new_tokens=16)))[-1][0]
    again = list(chat.regenerate(session, False, "", *options(mode="greedy", max_new_tokens=16)))[-1][0]
    assert len(first) == len(again) == 4 and first[-2]["content"] == "Tell me more"
    assert first[-1]["content"] == again[-1]["content"]
    with pytest.raises(gr.Error, match="options.top_p"):  # a failed regeneration keeps the previous answer
        list(chat.regenerate(session, False, "", *options(top_p=0)))
    assert session.slots[0].history == again
    assert chat.clear(session) == ([], []) and session.slots[0].history == []

    pid = worker.pid
    assert "ended" in chat.unload(session, 0)
    assert gone(pid) and session.slots[0].worker is None
    assert chat.unload(session, 0) == "no model loaded"


def test_side_by_side_streams_two_answers(session, studio_home):
    loaded(session, 0)
    loaded(session, 1, dtype="float32")
    pids = [s.worker.pid for s in session.slots]
    assert pids[0] != pids[1], "each slot has its own worker"
    updates = list(chat.send(session, "你好", True, "", *options(max_new_tokens=32, seed=3)))
    a, b, _, status_a, status_b = updates[-1]
    assert a[0]["content"] == b[0]["content"] == "你好"
    assert a[1]["content"] and b[1]["content"]
    assert "last answer:" in status_a and "last answer:" in status_b
    # Both answers grew in the same stream of updates (not one after the other).
    assert any(u[0] and u[1] and u[0][-1]["content"] != "…" and u[1][-1]["content"] != "…" for u in updates[:-1])
    # Only model A: B's conversation is left as it was.
    list(chat.send(session, "again", False, "", *options(max_new_tokens=4)))
    assert len(session.slots[0].history) == 4 and len(session.slots[1].history) == 2

    # The end of the browser session ends both workers.
    chat_session.remember("browser-session-1", session)
    chat._end_session(gr.Request(session_hash="browser-session-1"))
    assert all(gone(pid) for pid in pids)


def test_errors_are_one_line(session):
    with pytest.raises(gr.Error) as err:
        list(chat.send(session, "hi", False, "", *options()))
    assert "no model is loaded" in err.value.message
    with pytest.raises(gr.Error) as err:
        list(chat.load(session, "/no/such/model", "auto", "none", "auto"))
    message = err.value.message
    assert "/no/such/model" in message and "\n" not in message and "Traceback" not in message
    assert session.slots[0].worker is None, "a failed load leaves no worker behind"

    loaded(session)
    with pytest.raises(gr.Error) as err:
        list(chat.send(session, "hi", False, "", *options(max_new_tokens=0)))
    assert err.value.message == "max new tokens must be a whole number >= 1, got 0"
    with pytest.raises(gr.Error) as err:
        list(chat.send(session, "hi", False, "", *options(top_p=0)))
    assert "options.top_p" in err.value.message and "\n" not in err.value.message
    with pytest.raises(gr.Error, match="type a message first"):
        list(chat.send(session, "  ", False, "", *options()))
    with pytest.raises(gr.Error, match="model B: no model is loaded"):
        list(chat.send(session, "hi", True, "", *options()))
    assert session.slots[0].history == [], "a failed turn is not kept"
    with pytest.raises(gr.Error, match="nothing to regenerate"):
        list(chat.regenerate(session, False, "", *options()))


def test_form_values_become_generation_options_and_choices(studio_home, tiny_model):
    from studio.chat_view import generation_options, model_choices, template_choices

    values = dict(zip(chat.OPTION_NAMES, options(top_k=0.0, stop=["###", ""], max_new_tokens=64.0), strict=True))
    assert generation_options(**values) == dict(max_new_tokens=64, temperature=0.7, top_p=0.9, top_k=0,
                                                repetition_penalty=1.0, mode="sampling", stop=["###"])  # fmt: skip
    assert generation_options(**values | {"seed": 7})["seed"] == 7  # -1 (the default) means a random seed
    with pytest.raises(ValueError, match="top-k must be a whole number >= 0, got 1.5"):
        generation_options(**values | {"top_k": 1.5})
    assert template_choices()[0] == "auto" and "chatml" in template_choices()
    assert model_choices(str(studio_home))[-1] == (
        "builtin:tiny-llama (the project's tiny model)",
        "builtin:tiny-llama",
    )
