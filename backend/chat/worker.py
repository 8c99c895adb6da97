"""A chat model in its own process, spoken to in JSON lines; :class:`ChatWorker` is the client side.

    python -m backend.chat.worker        # reads requests on stdin, writes events on stdout

Requests (one JSON object a line; ``id`` is echoed on every event the request causes):

    {"id": "1", "op": "load", "model": "runs/<id>", "adapter": null, "template": "auto", "bits": null,
     "dtype": "auto", "trust_remote_code": false, "home": null}           -> loaded {info} | error
    {"id": "2", "op": "generate", "messages": [...], "system": null, "options": {GenerationOptions}}
                                                                          -> token {text}* then done {stats} | error
    {"id": "3", "op": "stop"}      interrupt the running generation       -> ok (the generation ends with done)
    {"id": "4", "op": "unload"}    drop the model                         -> unloaded
    {"id": "5", "op": "memory"}    RSS (and CUDA) of the worker           -> memory {rss_mb, cuda_*}
    {"op": "shutdown"}

The worker answers ``{"event": "ready", "pid": N}`` first. Errors are ``{"event": "error", "message": one line}``.
One worker holds one model (side by side = two workers); ``close()`` kills its process group, which is the only
way to hand all of a model's memory back. The client imports neither torch nor transformers.
"""

from __future__ import annotations

import collections
import itertools
import json
import os
import queue
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator

from backend.workspace import PROJECT_ROOT


class ChatWorker:
    """Client of one ``backend.chat.worker`` process (started in its own process group)."""

    def __init__(self, python: str = sys.executable, env: dict | None = None, start_timeout: float = 120):
        self.proc = subprocess.Popen(
            [python, "-m", "backend.chat.worker"],
            cwd=PROJECT_ROOT,
            env={**os.environ, "TOKENIZERS_PARALLELISM": "false", **(env or {})},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            bufsize=1,
            start_new_session=True,  # its own process group: close() ends it and anything it started
        )
        self.pid = self.proc.pid
        self._ids = itertools.count(1)
        self._queues: dict[str, queue.Queue] = {"": queue.Queue()}
        self._lock = threading.Lock()
        self.stderr_tail: collections.deque[str] = collections.deque(maxlen=20)
        threading.Thread(target=self._read_stdout, daemon=True).start()
        threading.Thread(target=self._read_stderr, daemon=True).start()
        ready = self._next("", start_timeout)
        if ready.get("event") != "ready":
            self.close()
            raise RuntimeError(f"the chat worker did not start: {ready.get('message')}")

    # -- plumbing ---------------------------------------------------------------------------------

    def _read_stdout(self) -> None:
        for line in self.proc.stdout:
            try:
                event = json.loads(line)
            except ValueError:
                continue
            self._route(event)
        code = self.proc.wait()
        last = self.stderr_tail[-1] if self.stderr_tail else ""
        died = {"event": "error", "message": f"the chat worker exited (code {code}){': ' + last if last else ''}"}
        with self._lock:
            for q in self._queues.values():
                q.put(died)
            self._dead = died

    def _read_stderr(self) -> None:
        for line in self.proc.stderr:
            if line.strip():
                self.stderr_tail.append(line.rstrip())

    def _route(self, event: dict) -> None:
        with self._lock:
            q = self._queues.get(str(event.get("id") or ""))
        if q is not None:
            q.put(event)

    def _next(self, rid: str, timeout: float | None) -> dict:
        try:
            return self._queues[rid].get(timeout=timeout)
        except queue.Empty:
            return {"event": "error", "message": f"no answer from the chat worker within {timeout:g} s"}

    def _send(self, op: str, **fields) -> str:
        rid = str(next(self._ids))
        with self._lock:
            dead = getattr(self, "_dead", None)
            self._queues[rid] = queue.Queue()
            if dead:
                self._queues[rid].put(dead)
                return rid
        try:
            self.proc.stdin.write(json.dumps({"id": rid, "op": op, **fields}, ensure_ascii=False) + "\n")
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError, ValueError):
            self._queues[rid].put({"event": "error", "message": "the chat worker is not running"})
        return rid

    def _request(self, op: str, timeout: float | None = None, **fields) -> dict:
        rid = self._send(op, **fields)
        try:
            return self._next(rid, timeout)
        finally:
            with self._lock:
                self._queues.pop(rid, None)

    # -- API --------------------------------------------------------------------------------------

    def load(self, model: str, adapter: str | None = None, timeout: float | None = None, **kwargs) -> dict:
        """Load a model: returns the ``loaded`` event (with ``info``) or an ``error`` event."""
        return self._request("load", timeout, model=model, adapter=adapter, **kwargs)

    def generate(self, messages: list[dict], options: dict | None = None, system: str | None = None) -> Iterator[dict]:
        """Yield ``token`` events, then one ``done`` (tokens, tokens_per_s, finish_reason, text) or ``error``."""
        rid = self._send("generate", messages=messages, options=options or {}, system=system)
        try:
            while True:
                event = self._next(rid, None)
                yield event
                if event.get("event") in ("done", "error"):
                    return
        finally:
            with self._lock:
                self._queues.pop(rid, None)

    def stop(self) -> dict:
        """Interrupt the running generation (its stream then ends with ``done``, finish_reason interrupted)."""
        return self._request("stop", 30)

    def unload(self) -> dict:
        return self._request("unload", 60)

    def memory(self) -> dict:
        """``{"rss_mb": ..., "cuda_allocated_mb": ..., "cuda_reserved_mb": ...}`` of the worker process."""
        return self._request("memory", 30)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def close(self, grace_s: float = 3.0) -> None:
        """End the worker and its process group; its memory goes back to the system."""
        if self.proc.poll() is None:
            try:
                self.proc.stdin.write(json.dumps({"op": "shutdown"}) + "\n")
                self.proc.stdin.flush()
                self.proc.wait(timeout=grace_s)
            except (OSError, ValueError, subprocess.TimeoutExpired):
                pass
        try:
            os.killpg(self.pid, signal.SIGKILL)  # also whatever the worker started, if anything
        except (ProcessLookupError, PermissionError):
            pass
        self.proc.wait()
        for stream in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            try:
                stream.close()
            except (OSError, ValueError):
                pass

    def __enter__(self) -> ChatWorker:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


# ------------------------------------------------------------------------------------ worker side


def _serve(out) -> int:
    """The worker loop: requests are read here; load/generate/unload run one at a time in a job thread,
    so ``stop`` and ``memory`` are answered while a generation runs."""
    from backend.chat.engine import ChatEngine, ChatError, GenerationOptions, memory_report

    write_lock = threading.Lock()
    state = {"engine": None, "generation": None}
    jobs: queue.Queue = queue.Queue()

    def emit(rid, event: str, **fields) -> None:
        with write_lock:
            out.write(json.dumps({"id": rid, "event": event, **fields}, ensure_ascii=False) + "\n")
            out.flush()

    def run_job(req: dict) -> None:
        rid, op = req.get("id"), req.get("op")
        if op == "load":
            if state["engine"] is not None:
                state["engine"].close()
                state["engine"] = None
            kw = {k: req[k] for k in ("dtype", "bits", "template", "trust_remote_code", "home", "merge") if k in req}
            state["engine"] = ChatEngine.load(req["model"], req.get("adapter"), **kw)
            emit(rid, "loaded", info=state["engine"].info)
        elif op == "generate":
            engine = state["engine"]
            if engine is None:
                raise ChatError("no model is loaded; send load first")
            gen = engine.stream(req.get("messages"), GenerationOptions.from_dict(req.get("options")), req.get("system"))
            state["generation"] = gen
            try:
                for piece in gen:
                    emit(rid, "token", text=piece)
            finally:
                state["generation"] = None
            emit(rid, "done", **gen.stats)
        elif op == "unload":
            if state["engine"] is not None:
                state["engine"].close()
                state["engine"] = None
            emit(rid, "unloaded", memory=memory_report())

    def job_loop() -> None:
        while True:
            req = jobs.get()
            try:
                run_job(req)
            except ChatError as exc:
                emit(req.get("id"), "error", message=str(exc))
            except Exception as exc:  # anything else: one line for the user, the traceback on stderr
                import traceback

                traceback.print_exc()
                first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
                emit(req.get("id"), "error", message=f"{type(exc).__name__}: {first}")

    threading.Thread(target=job_loop, daemon=True, name="chat-jobs").start()
    emit(None, "ready", pid=os.getpid())
    for line in sys.stdin:
        try:
            req = json.loads(line)
            op = req["op"]
        except (ValueError, KeyError, TypeError):
            emit(None, "error", message=f"not a request: {line.strip()[:80]!r}")
            continue
        rid = req.get("id")
        if op == "shutdown":
            break
        if op == "stop":
            gen = state["generation"]
            if gen is not None:
                gen.stop()
            emit(rid, "ok", stopped=gen is not None)
        elif op == "memory":
            emit(rid, "memory", **memory_report())
        elif op in ("load", "generate", "unload"):
            jobs.put(req)
        else:
            emit(rid, "error", message=f"unknown op {op!r}; expected load, generate, stop, unload, memory, shutdown")
    return 0


def main() -> int:
    # The protocol owns the real stdout; anything else printed (libraries, warnings) goes to stderr.
    out = os.fdopen(os.dup(sys.stdout.fileno()), "w", encoding="utf-8", buffering=1)
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    return _serve(out)


if __name__ == "__main__":
    sys.exit(main())
