"""One browser session's chat models: up to two slots, each a :class:`backend.chat.worker.ChatWorker`.

A slot's model lives in its own worker process, so Unload (and the end of the browser session) kills that
process and all of its memory goes back to the system; the UI process never imports torch. A new Load
also starts a fresh worker, as a process keeps its memory high-water mark after a model is dropped.
``stream`` sends the same turn to every chosen slot at once and yields their growing answers together,
which is what side-by-side mode shows. No gradio here: the tab wraps these calls.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

from backend.chat.worker import ChatWorker
from studio.chat_view import ChatTabError, loaded_line, stats_line
from studio.i18n import tr

LABELS = {"en": {"no_model": "no model loaded"}, "zh": {"no_model": "未加载模型"}}

LOAD_POLL_S = 0.5


@dataclass
class Slot:
    """A model slot: its worker (None when unloaded), what is loaded, the conversation and the last stats."""

    worker: ChatWorker | None = None
    info: dict | None = None
    template: str = "auto"
    history: list[dict] = field(default_factory=list)
    stats: dict | None = None
    busy: bool = False

    def status(self) -> str:
        """The slot's status line (with the worker's memory now)."""
        if self.worker is None or self.info is None:
            return tr(LABELS, "no_model")
        memory = self.worker.memory() if self.worker.alive() and not self.busy else None
        line = loaded_line(self.info, memory if memory and "rss_mb" in memory else None, self.worker.pid, self.template)
        return line + (f" · {stats_line(self.stats)}" if self.stats else "")


class ChatSession:
    """The models and conversations of one browser session."""

    def __init__(self, home: str | None = None, slots: int = 2):
        self.home = home
        self.slots = [Slot() for _ in range(slots)]
        self._lock = threading.Lock()

    # -- loading ----------------------------------------------------------------------------------

    def load(self, i: int, model: str, dtype="auto", bits=None, template="auto") -> Iterator[str]:
        """Load ``model`` into slot ``i`` in a fresh worker, yielding progress lines; ChatTabError on failure."""
        model = (model or "").strip()
        if not model:
            raise ChatTabError("model: pick a run, an export or builtin:tiny-llama, or type a model folder")
        slot = self.slots[i]
        if slot.busy:
            raise ChatTabError("an answer is being written in this slot; Stop it first")
        self.unload(i)
        yield f"starting a worker for {model} …"
        env = {"STUDIO_HOME": str(self.home)} if self.home else None
        slot.worker = worker = ChatWorker(env=env)
        result: dict = {}
        kwargs = dict(dtype=dtype, bits=bits, template=template, home=str(self.home) if self.home else None)
        loader = threading.Thread(target=lambda: result.update(worker.load(model, **kwargs)), daemon=True)
        start = time.monotonic()
        loader.start()
        while loader.is_alive():
            loader.join(LOAD_POLL_S)
            if loader.is_alive():
                yield f"loading {model} … {time.monotonic() - start:.0f} s (worker pid {worker.pid})"
        if slot.worker is not worker:  # Unload, or the end of the page's session, came first
            worker.close()
            raise ChatTabError(f"loading {model} was cancelled: the model was unloaded")
        if result.get("event") != "loaded":
            self.unload(i)  # a failed load leaves nothing behind (torch may already be imported there)
            raise ChatTabError(result.get("message") or f"loading {model} failed")
        slot.info, slot.template, slot.history, slot.stats = result["info"], template, [], None
        yield slot.status()

    def unload(self, i: int) -> int | None:
        """End slot ``i``'s worker (its process group); the pid that ended, or None when none ran."""
        slot = self.slots[i]
        worker, slot.worker, slot.info, slot.stats = slot.worker, None, None, None
        if worker is None:
            return None
        if slot.busy:
            worker.stop()
        worker.close()
        return worker.pid

    def close(self) -> None:
        """End every worker of the session (Unload of all slots)."""
        for i in range(len(self.slots)):
            self.unload(i)

    def loaded(self, i: int) -> bool:
        return self.slots[i].worker is not None and self.slots[i].info is not None

    # -- chatting ---------------------------------------------------------------------------------

    def stop(self) -> list[int]:
        """Interrupt the answers being written; the slots that were stopped."""
        stopped = []
        for i, slot in enumerate(self.slots):
            if slot.busy and slot.worker is not None:
                slot.worker.stop()
                stopped.append(i)
        return stopped

    def clear(self) -> None:
        for slot in self.slots:
            slot.history, slot.stats = [], None

    def pop_last_turn(self, i: int) -> str | None:
        """Remove slot ``i``'s last user turn (and its answer) and return its text, for Regenerate."""
        history = self.slots[i].history
        while history and history[-1]["role"] == "assistant":
            history.pop()
        return history.pop()["content"] if history else None

    def stream(self, turns: dict[int, str], options: dict, system: str | None) -> Iterator[dict[int, str]]:
        """Send ``turns[i]`` to slot ``i`` (all at once) and yield ``{slot: answer so far}`` as tokens arrive.

        When all are done the turns and answers join the slots' histories; a slot whose generation failed
        keeps its history as it was and the failure is raised (as one line) after the others finished.
        """
        for i in turns:
            if not self.loaded(i):
                raise ChatTabError(f"model {'AB'[i]}: no model is loaded; press Load first")
            if self.slots[i].busy:
                raise ChatTabError(f"model {'AB'[i]}: an answer is still being written; Stop it first")
        events: queue.Queue = queue.Queue()
        answers = {i: "" for i in turns}
        finals: dict[int, dict] = {}
        for i, text in turns.items():
            slot = self.slots[i]
            slot.busy = True
            messages = [*slot.history, {"role": "user", "content": text}]
            stream = slot.worker.generate(messages, options, system or None)
            threading.Thread(target=_pump, args=(i, stream, events), daemon=True).start()
        try:
            while len(finals) < len(turns):
                batch = [events.get()]
                while not events.empty():  # coalesce what has arrived, so a fast model does not flood the page
                    batch.append(events.get_nowait())
                for i, event in batch:
                    if event["event"] == "token":
                        answers[i] += event["text"]
                    else:
                        finals[i] = event
                yield dict(answers)
        finally:
            if len(finals) < len(turns):  # the consumer went away (page closed, event cancelled): stop the rest
                for i in turns:
                    if i not in finals and self.slots[i].worker is not None:
                        self.slots[i].worker.stop()
            for i in turns:
                self.slots[i].busy = False
        errors = []
        for i, text in turns.items():
            slot, final = self.slots[i], finals[i]
            if final["event"] == "done":
                slot.history += [{"role": "user", "content": text}, {"role": "assistant", "content": answers[i]}]
                slot.stats = final
            else:
                errors.append(f"model {'AB'[i]}: {final.get('message', 'generation failed')}")
        if errors:
            raise ChatTabError("; ".join(errors))


def _pump(i: int, stream, out: queue.Queue) -> None:
    """Move one worker's events into the shared queue (one thread per slot, so both stream at once)."""
    for event in stream:
        out.put((i, event))


# ---------------------------------------------------------------- sessions by browser session id

_SESSIONS: dict[str, ChatSession] = {}
_SESSIONS_LOCK = threading.Lock()


def remember(session_hash: str | None, session: ChatSession) -> None:
    """Note which browser session owns ``session``, so the end of that session can close its workers."""
    if session_hash:
        with _SESSIONS_LOCK:
            _SESSIONS[session_hash] = session


def end(session_hash: str | None) -> None:
    """The browser session ended (tab closed or reloaded): end its workers."""
    with _SESSIONS_LOCK:
        session = _SESSIONS.pop(session_hash, None) if session_hash else None
    if session is not None:
        session.close()


def close_all() -> None:
    """End the workers of every session (the server is shutting down)."""
    with _SESSIONS_LOCK:
        sessions = list(_SESSIONS.values())
        _SESSIONS.clear()
    for session in sessions:
        session.close()
