"""``studio chat`` and ``studio serve``: talk to a model in the terminal, or serve it as an OpenAI-style API.

    studio chat MODEL [--adapter DIR] [--template T] [--system S] [--bits 4|8] [--dtype D] [--mode M]
                [--max-new-tokens N] [--temperature T] [--top-k K] [--top-p P] [--repetition-penalty R]
                [--seed S] [--stop-words W ...] [--prompt TEXT]
    studio serve MODEL [--adapter DIR] [--host 127.0.0.1] [--port 8000] [--api-key KEY] [--model-name NAME]
                 [--max-body-bytes N] [--max-queue N] [--max-tokens N] [--max-stop-strings N] [--max-stop-chars N]

MODEL is a model folder, ``builtin:tiny-llama``, a run id or name (its adapter on its base, or its full
model), a checkpoint folder or an adapter folder. In the chat loop ``/reset`` clears the history, ``/exit``
(or Ctrl-D) quits, and Ctrl-C stops the answer being written. Torch is imported only once a command runs.
"""

from __future__ import annotations

import argparse
import os
import sys

from backend.chat.args import load_engine
from cli.errors import one_line_errors


def _model_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("model", help="model folder, builtin:tiny-llama, run id/name, checkpoint or adapter folder")
    p.add_argument("--adapter", help="LoRA adapter folder, run or checkpoint to put on MODEL")
    p.add_argument("--template", "--prompt-template", default="auto", help="chat template: auto or a named one")
    p.add_argument("--bits", type=int, choices=(4, 8), help="load the base quantised with bitsandbytes")
    p.add_argument("--dtype", default="auto", choices=("auto", "float32", "bfloat16", "float16"))
    p.add_argument("--trust-remote-code", action="store_true", help="run code shipped with the model (trusted only)")


def _options(args):
    from backend.chat.engine import GenerationOptions

    return GenerationOptions(
        max_new_tokens=args.max_new_tokens, mode=args.mode, temperature=args.temperature, top_p=args.top_p,
        top_k=args.top_k, repetition_penalty=args.repetition_penalty, num_beams=args.num_beams, seed=args.seed,
        stop=list(args.stop_words or []),
    ).validated()  # fmt: skip


def _answer(engine, history: list[dict], options, system: str | None, stats: bool) -> str:
    """Stream one answer to stdout; Ctrl-C stops it and keeps what was written."""
    gen = engine.stream(history, options, system)
    pieces = []
    try:
        for piece in gen:
            pieces.append(piece)
            print(piece, end="", flush=True)
    except KeyboardInterrupt:
        gen.stop()
        pieces.extend(gen)  # drain: the thread ends after the current token
    print()
    if stats and gen.stats:
        s = gen.stats
        print(f"[{s['tokens']} tokens, {s['tokens_per_s']:.1f} tokens/s, {s['finish_reason']}]", file=sys.stderr)
    return "".join(pieces)


def cmd_chat(args) -> int:
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    options = _options(args)
    engine = load_engine(args)
    if args.prompt is not None:
        _answer(engine, [{"role": "user", "content": args.prompt}], options, args.system, stats=False)
        return 0
    print(f"{engine.info['name']} on {engine.info['device']} ({engine.info['dtype']}). /reset clears, /exit quits.")
    history: list[dict] = []
    while True:
        try:
            text = input(">>> ").strip()
        except (EOFError, KeyboardInterrupt):
            print()
            return 0
        if text in ("/exit", "/quit", "exit", "quit"):
            return 0
        if text == "/reset":
            history = []
            print("(history cleared)")
            continue
        if not text:
            continue
        history.append({"role": "user", "content": text})
        history.append({"role": "assistant", "content": _answer(engine, history, options, args.system, True)})


def cmd_serve(args) -> int:
    from backend.chat.serve import serve

    return serve(args)


def _limit_args(p: argparse.ArgumentParser) -> None:
    """The limits of ``studio serve`` (``backend.chat.serve_limits.Limits``); each default comes from its
    $STUDIO_SERVE_* variable."""
    from backend.chat.serve_limits import Limits, env_default

    d = Limits()
    g = p.add_argument_group("limits (README: studio serve)")
    for name, help_text in LIMIT_HELP.items():
        g.add_argument(f"--{name.replace('_', '-')}", type=int, default=env_default(name, getattr(d, name)),
                       help=help_text)  # fmt: skip


LIMIT_HELP = {  # a Limits field -> its flag's help
    "max_body_bytes": "largest request body; more is a 413 (default %(default)s)",
    "max_queue": "requests waiting for or running on the model; more is a 429 (default %(default)s)",
    "max_tokens": "most tokens in one reply (default: what the model's context leaves after the prompt)",
    "max_stop_strings": "stop strings one request may give (default %(default)s)",
    "max_stop_chars": "characters of one stop string (default %(default)s)",
}


def add_chat(sub) -> None:
    """``studio chat MODEL ...``."""
    p = sub.add_parser("chat", help="chat with a model, run or adapter in the terminal")
    _model_args(p)
    p.add_argument("--system", help="system prompt")
    p.add_argument("--prompt", help="answer this one prompt and exit (non-interactive)")
    p.add_argument("--mode", default="sampling", choices=("greedy", "sampling", "beam"), help="decoding mode")
    p.add_argument("--max-new-tokens", type=int, default=512)
    p.add_argument("--temperature", type=float, default=0.7, help="0 decodes greedily")
    p.add_argument("--top-k", type=int, default=50)
    p.add_argument("--top-p", type=float, default=0.9)
    p.add_argument("--repetition-penalty", type=float, default=1.0)
    p.add_argument("--num-beams", type=int, default=4, help="beams of --mode beam")
    p.add_argument("--seed", type=int, help="random seed (reproducible sampling)")
    p.add_argument("--stop-words", nargs="+", metavar="WORD", help="end the answer at any of these strings")
    p.set_defaults(func=one_line_errors(cmd_chat))


def add_serve(sub) -> None:
    """``studio serve MODEL ...``."""
    p = sub.add_parser("serve", help="serve a model as an OpenAI-compatible API (/v1/chat/completions)")
    _model_args(p)
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default: this machine only)")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--api-key", default=os.environ.get("STUDIO_API_KEY"), help="bearer key; required off loopback")
    p.add_argument("--model-name", help="the model id clients use (default: the run or folder name)")
    _limit_args(p)
    p.set_defaults(func=one_line_errors(cmd_serve))
