"""The chat engine: load a base, base + adapter, or merged model, and stream generated text.

    engine = ChatEngine.load("runs/<id>")                    # a run: its adapter on its base, or its model/
    engine = ChatEngine.load("builtin:tiny-llama", adapter="runs/<id>/checkpoints/checkpoint-20", bits=4)
    gen = engine.stream([{"role": "user", "content": "hi"}], GenerationOptions(temperature=0))
    for piece in gen: print(piece, end="")
    gen.stats   # {"tokens", "seconds", "tokens_per_s", "finish_reason", "text"}

:mod:`backend.chat.load` works out and loads the base, the adapter and the tokenizer. Prompts go
through the tokenizer's chat template (or a named one from :mod:`backend.data.chat_templates`); generation
is transformers' ``generate`` in a thread feeding a ``TextIteratorStreamer``. Contrastive search and DoLa
are not offered: transformers 5.23 moved them to Hub ``custom_generate`` repositories, which would mean
downloading and running remote code. Every failure a user can cause is a :class:`ChatError` with one line.
"""

from __future__ import annotations

import copy
import gc
import threading
import time
from dataclasses import dataclass, field
from typing import Literal

from backend.chat.load import ChatError, Source, load_model_and_tokenizer, resolve_source

MODES = ("greedy", "sampling", "beam")
ROLES = ("system", "user", "assistant")
# Limits every caller gets (``studio serve``, the Chat tab, ``studio chat``): a stop string is searched for in a
# window of the newest tokens on every step, so count x length bounds the work per token.
MAX_STOP_STRINGS = 16
MAX_STOP_CHARS = 200
MAX_SEED = 2**32 - 1  # numpy's and torch's seeding range (set_seed)
MAX_BEAMS = 16
__all__ = ["ChatEngine", "ChatError", "GenerationOptions", "Generation", "Source", "resolve_source", "memory_report"]


@dataclass
class GenerationOptions:
    """Decoding settings of one answer (the fields of ``studio chat`` and the OpenAI API)."""

    max_new_tokens: int = 512
    min_new_tokens: int = 0  # end-of-turn tokens are ignored until this many (benchmarks, fixed-length tests)
    mode: Literal["greedy", "sampling", "beam"] = "sampling"  # temperature 0 means greedy whatever the mode
    temperature: float = 0.7
    top_p: float = 0.9
    top_k: int = 50
    repetition_penalty: float = 1.0
    num_beams: int = 4
    seed: int | None = None
    stop: list[str] = field(default_factory=list)

    @classmethod
    def from_dict(cls, data: dict | None) -> GenerationOptions:
        """Options from a plain dict (a worker request), naming any unknown key."""
        data = dict(data or {})
        unknown = sorted(set(data) - set(cls.__dataclass_fields__))
        if unknown:
            raise ChatError(f"options: unknown field(s) {', '.join(unknown)}")
        return cls(**data).validated()

    def validated(self) -> GenerationOptions:
        checks = [
            ("max_new_tokens", isinstance(self.max_new_tokens, int) and self.max_new_tokens > 0, "an integer > 0"),
            ("min_new_tokens", isinstance(self.min_new_tokens, int) and self.min_new_tokens >= 0, "an integer >= 0"),
            ("mode", self.mode in MODES, f"one of {', '.join(MODES)}"),
            ("temperature", _num(self.temperature) and 0 <= self.temperature <= 100, "a number >= 0"),
            ("top_p", _num(self.top_p) and 0 < self.top_p <= 1, "a number in (0, 1]"),
            ("top_k", isinstance(self.top_k, int) and self.top_k >= 0, "an integer >= 0 (0: off)"),
            ("repetition_penalty", _num(self.repetition_penalty) and self.repetition_penalty > 0, "a number > 0"),
            ("num_beams", _int(self.num_beams) and 1 <= self.num_beams <= MAX_BEAMS, f"an integer in 1..{MAX_BEAMS}"),
            (
                "seed",
                self.seed is None or (_int(self.seed) and 0 <= self.seed <= MAX_SEED),
                f"an integer in 0..{MAX_SEED}",
            ),
            ("stop", isinstance(self.stop, list) and all(isinstance(s, str) for s in self.stop), "a list of strings"),
        ]
        for name, ok, expected in checks:
            if not ok:
                raise ChatError(f"options.{name} must be {expected}, got {getattr(self, name)!r:.80}")
        self.stop = [s for s in self.stop if s]
        return self

    def generate_kwargs(self) -> dict:
        """Keyword arguments of ``model.generate`` for this decoding mode (only the ones it uses)."""
        kw = dict(max_new_tokens=self.max_new_tokens, repetition_penalty=self.repetition_penalty)
        if self.min_new_tokens:
            kw["min_new_tokens"] = self.min_new_tokens
        if self.mode == "beam":
            kw.update(num_beams=self.num_beams, do_sample=False, early_stopping=True)
        elif self.mode == "greedy" or self.temperature == 0:
            kw.update(do_sample=False, num_beams=1)
        else:
            kw.update(do_sample=True, num_beams=1, temperature=self.temperature, top_p=self.top_p, top_k=self.top_k)
        return kw


def _num(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def _int(x) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def check_stop(stop: list[str], field: str, max_count: int = MAX_STOP_STRINGS, max_chars: int = MAX_STOP_CHARS):
    """ChatError naming ``field`` when ``stop`` holds more than ``max_count`` strings or one over ``max_chars``."""
    if len(stop) > max_count:
        raise ChatError(f"{field}: at most {max_count} stop strings, got {len(stop)}")
    for i, text in enumerate(stop):
        if len(text) > max_chars:
            raise ChatError(f"{field}[{i}]: a stop string has at most {max_chars} characters, got {len(text)}")


def context_length(model, tokenizer) -> int | None:
    """The most tokens (prompt + reply) the model attends to: its config's position limit, else the tokenizer's
    ``model_max_length`` when that is a real number (transformers uses ~1e30 for "unknown"); None if neither."""
    config = getattr(model, "config", None)
    for name in ("max_position_embeddings", "n_positions", "max_sequence_length", "seq_length"):
        value = getattr(config, name, None)
        if isinstance(value, int) and value > 0:
            return value
    value = getattr(tokenizer, "model_max_length", None)
    return value if isinstance(value, int) and 0 < value < 10**7 else None


def memory_report() -> dict:
    """This process's resident memory and, when CUDA is initialised, its allocated/reserved GPU memory (MiB)."""
    import psutil

    report = {"rss_mb": round(psutil.Process().memory_info().rss / 2**20, 1)}
    import sys

    torch = sys.modules.get("torch")  # no torch import just to say that nothing is on a GPU
    if torch is not None and torch.cuda.is_available() and torch.cuda.is_initialized():
        report["cuda_allocated_mb"] = round(torch.cuda.memory_allocated() / 2**20, 1)
        report["cuda_reserved_mb"] = round(torch.cuda.memory_reserved() / 2**20, 1)
    return report


class ChatEngine:
    """A loaded model + tokenizer + chat template; one generation at a time."""

    def __init__(self, model, tokenizer, template: str, source: Source, info: dict):
        self.model, self.tokenizer, self.template, self.source, self.info = model, tokenizer, template, source, info
        self._lock = threading.Lock()
        # Every caller (studio serve, the Chat tab's worker, studio chat) gets these; studio serve sets its flags'.
        self.max_stop_strings, self.max_stop_chars = MAX_STOP_STRINGS, MAX_STOP_CHARS

    @classmethod
    def load(
        cls,
        model: str,
        adapter: str | None = None,
        *,
        home=None,
        dtype: str = "auto",
        bits: int | None = None,
        template: str = "auto",
        trust_remote_code: bool = False,
        device: str = "auto",
        merge: bool = True,
    ) -> ChatEngine:
        """Load ``model`` (a folder, ``builtin:tiny-llama``, a run id/folder, a checkpoint or an adapter folder),
        optionally with ``adapter``; ``bits`` 4/8 quantise the base with bitsandbytes. LoRA weights are merged
        into an unquantised base (same logits, no adapter overhead per token)."""
        source = resolve_source(model, adapter, home)
        mdl, tok, tmpl, info = load_model_and_tokenizer(
            source, dtype=dtype, bits=bits, template=template, trust_remote_code=trust_remote_code,
            device=device, merge=merge,
        )  # fmt: skip
        return cls(mdl, tok, tmpl, source, info)

    def max_token_chars(self) -> int:
        """The most characters one token of this tokenizer spells (its longest vocabulary entry; byte-level and
        byte-fallback entries are at least as long as the text they decode to). Worked out once."""
        if getattr(self, "_max_token_chars", None) is None:
            self._max_token_chars = max((len(t) for t in self.tokenizer.get_vocab()), default=1) or 1
        return self._max_token_chars

    def render(self, messages: list[dict], system: str | None = None) -> str:
        """The prompt text of a conversation, ending with the assistant's generation prompt."""
        from backend.data.templates import render

        check_messages(messages)
        if system and not (messages and messages[0]["role"] == "system"):
            messages = [{"role": "system", "content": system}, *messages]
        try:
            return render(self.tokenizer, messages, self.template, add_generation_prompt=True)
        except Exception as exc:  # jinja raises its own errors (raise_exception in templates)
            raise ChatError(f"the chat template cannot render this conversation: {exc}") from exc

    def stream(self, messages: list[dict], options: GenerationOptions | None = None, system: str | None = None):
        """A :class:`Generation` of the assistant's answer (iterate it for text pieces)."""
        options = (options or GenerationOptions()).validated()
        check_stop(options.stop, "options.stop", self.max_stop_strings, self.max_stop_chars)
        prompt = self.render(messages, system)
        return Generation(self, prompt, options)

    def chat(self, messages: list[dict], options: GenerationOptions | None = None, system: str | None = None) -> str:
        """The whole answer at once."""
        return "".join(self.stream(messages, options, system))

    def close(self) -> None:
        """Drop the weights and give cached GPU memory back (the process itself keeps its RSS high-water)."""
        import torch

        self.model = None
        gc.collect()
        if torch.cuda.is_available():
            torch.cuda.empty_cache()


def check_messages(messages) -> None:
    if not isinstance(messages, list) or not messages:
        raise ChatError("messages must be a non-empty list of {role, content}")
    for i, m in enumerate(messages):
        if not isinstance(m, dict) or m.get("role") not in ROLES or not isinstance(m.get("content"), str):
            raise ChatError(f"messages[{i}] must be {{role: {'|'.join(ROLES)}, content: text}}, got {m!r:.80}")


class Generation:
    """One answer being generated in a background thread; iterate for text, ``stop()`` to interrupt.

    Stop words are removed from the text (as in the OpenAI API): text that could be the start of a stop
    word is held back until it is clear that it is not.
    """

    def __init__(self, engine: ChatEngine, prompt: str, options: GenerationOptions):
        from transformers import TextIteratorStreamer

        self.stats = None
        self._interrupt = threading.Event()
        self._engine, self._error = engine, None
        tok = engine.tokenizer
        context = context_length(engine.model, tok)
        if context is not None:
            # A token spells at most max_token_chars() characters, so a prompt that long in characters cannot fit:
            # refused before tokenising it (a megabyte takes seconds; the server must say no at once).
            at_least = -(-len(prompt) // engine.max_token_chars())
            if at_least >= context:
                raise ChatError(_too_long(f"at least {at_least} tokens ({len(prompt)} characters)", context, at_least))
        self._inputs = tok(prompt, return_tensors="pt", add_special_tokens=False).to(engine.model.device)
        self.prompt_tokens = n_prompt = int(self._inputs["input_ids"].shape[1])
        self.requested_max_tokens = options.max_new_tokens
        if context is not None:
            room = context - n_prompt
            if room < 1:
                raise ChatError(_too_long(f"{n_prompt} tokens", context, n_prompt))
            if options.max_new_tokens > room:  # a copy: the caller's options stay as they were asked
                options = copy.copy(options)
                options.max_new_tokens = room
                options.min_new_tokens = min(options.min_new_tokens, room)
        self.options = options
        self.context = context
        # Beam search cannot stream in transformers 5.23; its answer arrives in one piece at the end.
        self._streamer = None if options.mode == "beam" else TextIteratorStreamer(tok, True, skip_special_tokens=True)
        self._pieces = _StopTrimmer(options.stop)
        self._started = time.perf_counter()
        self._thread = threading.Thread(target=self._run, name="chat-generate", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Interrupt: generation ends after the current token."""
        self._interrupt.set()

    def _run(self) -> None:
        import torch
        from transformers import StoppingCriteria, StoppingCriteriaList, set_seed

        interrupt, engine, opts = self._interrupt, self._engine, self.options
        stops = _StopWindow(opts.stop, engine.tokenizer, self.prompt_tokens) if opts.stop else None

        class Interrupt(StoppingCriteria):
            """Ends every row when the consumer went away or asked to stop; a row that shows a stop string."""

            def __call__(self, input_ids, scores, **kwargs):
                done = torch.full((input_ids.shape[0],), interrupt.is_set(), dtype=torch.bool, device=input_ids.device)
                if stops is not None and not interrupt.is_set():
                    done |= torch.tensor(stops.hits(input_ids), dtype=torch.bool, device=input_ids.device)
                return done

        config = copy.deepcopy(engine.model.generation_config)
        config.update(**opts.generate_kwargs())
        try:
            with engine._lock, torch.inference_mode():
                self._started = time.perf_counter()  # time on the model, not waiting for another request
                if interrupt.is_set():  # abandoned while it waited for the model: nothing to generate
                    self._out = self._inputs["input_ids"][0, :0]
                    self._seconds = 0.0
                    if self._streamer is not None:
                        self._streamer.on_finalized_text("", stream_end=True)
                    return
                if opts.seed is not None:
                    set_seed(opts.seed)
                out = engine.model.generate(
                    **self._inputs,
                    generation_config=config,
                    streamer=self._streamer,
                    stopping_criteria=StoppingCriteriaList([Interrupt()]),
                )
            self._out = out[0, self._inputs["input_ids"].shape[1] :]
        except Exception as exc:  # reported to the consumer as one line, never lost in a thread
            self._error = exc
            if self._streamer is not None:
                self._streamer.on_finalized_text("", stream_end=True)
        self._seconds = time.perf_counter() - self._started

    def __iter__(self):
        text = []
        if self._streamer is not None:
            for piece in self._streamer:
                out = self._pieces.feed(piece)
                if out:
                    text.append(out)
                    yield out
        self._thread.join()
        if self._error is not None:
            raise ChatError(f"generation failed: {type(self._error).__name__}: {self._error}") from self._error
        if self._streamer is None:  # beam search: the whole answer now
            out = self._pieces.feed(self._engine.tokenizer.decode(self._out, skip_special_tokens=True))
            if out:
                text.append(out)
                yield out
        tail = self._pieces.flush()
        if tail:
            text.append(tail)
            yield tail
        self.stats = self._finish("".join(text))

    def _finish(self, text: str) -> dict:
        n = int(self._out.shape[0])
        eos = self._engine.model.generation_config.eos_token_id
        eos = set(eos if isinstance(eos, list) else [eos])
        if self._interrupt.is_set():
            reason = "interrupted"
        elif self._pieces.hit or (n and int(self._out[-1]) in eos) or n < self.options.max_new_tokens:
            reason = "stop"
        else:
            reason = "length"
        rate = n / self._seconds if self._seconds > 0 else 0.0
        return dict(tokens=n, seconds=round(self._seconds, 4), tokens_per_s=round(rate, 2), finish_reason=reason,
                    text=text, prompt_tokens=self.prompt_tokens, max_tokens=self.options.max_new_tokens,
                    max_tokens_requested=self.requested_max_tokens, context=self.context)  # fmt: skip


def _too_long(size: str, context: int, n: int) -> str:
    return (
        f"messages: the prompt is {size} but the model's context is {context} tokens, which leaves no room for a "
        f"reply (at least 1 token); shorten the conversation by {n - context + 1} token(s)"
    )


class _StopWindow:
    """Whether each row's newest generated tokens show a stop string, decoding only a bounded window per step.

    transformers' own ``stop_strings`` builds per-string token tables (1,000 strings of 100 characters took
    minutes and gigabytes); here each step decodes at most ``4 x longest + 4`` of the newest generated tokens (a
    character can take 4 byte-fallback tokens) and searches that short text, so the cost per token is bounded by
    the stop limits, not by the length of the answer. A stop string seen earlier would already have ended the row.
    """

    def __init__(self, stops: list[str], tokenizer, prompt_len: int):
        self.stops, self.tokenizer, self.prompt_len = stops, tokenizer, prompt_len
        self.window = 4 * max(len(s) for s in stops) + 4

    def hits(self, input_ids) -> list[bool]:
        start = max(self.prompt_len, input_ids.shape[1] - self.window)
        rows = self.tokenizer.batch_decode(input_ids[:, start:].tolist(), skip_special_tokens=True)
        return [any(s in text for s in self.stops) for text in rows]


class _StopTrimmer:
    """Cuts a text stream at the first stop word, holding back what may be a stop word's beginning."""

    def __init__(self, stops: list[str]):
        self.stops, self.buf, self.hit = stops, "", False

    def feed(self, piece: str) -> str:
        if self.hit:
            return ""
        self.buf += piece
        if not self.stops:
            out, self.buf = self.buf, ""
            return out
        found = [i for i in (self.buf.find(s) for s in self.stops) if i >= 0]
        if found:
            out, self.buf, self.hit = self.buf[: min(found)], "", True
            return out
        keep = max((k for s in self.stops for k in range(1, len(s)) if self.buf.endswith(s[:k])), default=0)
        cut = len(self.buf) - keep
        out, self.buf = self.buf[:cut], self.buf[cut:]
        return out

    def flush(self) -> str:
        out, self.buf = ("" if self.hit else self.buf), ""
        return out
