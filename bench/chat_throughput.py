"""Chat throughput: tokens/s through the chat engine and the chat worker vs bare ``model.generate``.

The model: a randomly initialised Llama of about 55M parameters (hidden 640, 10 layers, the builtin
tokenizer's 8k vocabulary), fp32, saved to a temporary folder. Every setup decodes greedily with a fixed
length (``min_new_tokens = max_new_tokens``, so end-of-turn tokens cannot cut a round short):

* bare:   ``model.generate`` on the engine's own model object (no streamer, no thread);
* engine: ``ChatEngine.stream`` in this process: template, tokenising, generation thread, streamer,
          stop-word handling, the interrupt check, as ``studio chat`` and ``studio serve`` run it;
* worker: ``ChatWorker.generate`` from this process to a ``backend.chat.worker`` subprocess that loaded
          the same folder, timed from the request to the ``done`` event (JSON lines per token included).

Rounds alternate the setups so that drift of the shared machine hits all alike; the best round of each
counts (the median is printed too). The target is engine and worker >= 0.95x bare. On a shared CPU,
``--threads 1`` (the default) keeps the figures stable: a 2-thread OpenMP team stalls whenever another
process takes one of two cores (rounds ten times slower were measured that way).

    python bench/chat_throughput.py [--tokens 128] [--rounds 5] [--threads 1] [--write]

``--write`` replaces the "Chat throughput" section of BENCHMARKS.md (or appends it).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

ARCH = dict(hidden_size=640, intermediate_size=1728, num_hidden_layers=10, num_attention_heads=10,
            num_key_value_heads=10, max_position_embeddings=2048, tie_word_embeddings=True)  # fmt: skip
MESSAGES = [
    {"role": "system", "content": "You are a helpful assistant."},
    {"role": "user", "content": "请用三句话介绍一下长江, then say the same in English."},
]


def build_model(home: Path, folder: Path) -> int:
    """Save the benchmark model (random weights, the builtin tokenizer) to ``folder``; its parameter count."""
    from transformers import AutoTokenizer

    from backend.builtin import build_tiny_model, ensure_tiny_tokenizer

    tok = AutoTokenizer.from_pretrained(ensure_tiny_tokenizer(home))
    model = build_tiny_model(tok, arch=ARCH)
    model.save_pretrained(folder)
    tok.save_pretrained(folder)
    return sum(p.numel() for p in model.parameters())


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--tokens", type=int, default=128, help="new tokens per round")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--threads", type=int, default=1, help="torch CPU threads in every setup (0: torch's default)")
    ap.add_argument("--write", action="store_true", help="update the Chat throughput section of BENCHMARKS.md")
    args = ap.parse_args(argv)
    if args.threads:
        # Before torch starts its thread pool; the worker inherits it through the environment.
        os.environ["OMP_NUM_THREADS"] = str(args.threads)

    import torch

    from backend.chat.engine import ChatEngine, GenerationOptions
    from backend.chat.worker import ChatWorker

    n = args.tokens
    with tempfile.TemporaryDirectory() as tmp:
        home, folder = Path(tmp) / "home", Path(tmp) / "model"
        params = build_model(home, folder)
        engine = ChatEngine.load(str(folder), home=home, dtype="float32")
        worker = ChatWorker(env={"STUDIO_HOME": str(home)})
        loaded = worker.load(str(folder), dtype="float32")
        assert loaded["event"] == "loaded", loaded
        opts = GenerationOptions(mode="greedy", max_new_tokens=n, min_new_tokens=n)
        ids = engine.tokenizer(engine.render(MESSAGES), return_tensors="pt", add_special_tokens=False)

        def bare() -> float:
            start = time.perf_counter()
            with torch.inference_mode():
                out = engine.model.generate(**ids, do_sample=False, max_new_tokens=n, min_new_tokens=n)
            seconds = time.perf_counter() - start
            assert out.shape[1] - ids["input_ids"].shape[1] == n
            return n / seconds

        def through_engine() -> float:
            start = time.perf_counter()
            gen = engine.stream(MESSAGES, opts)
            for _ in gen:
                pass
            seconds = time.perf_counter() - start
            assert gen.stats["tokens"] == n, gen.stats
            return n / seconds

        def through_worker() -> float:
            start = time.perf_counter()
            events = list(worker.generate(MESSAGES, vars(opts)))
            seconds = time.perf_counter() - start
            assert events[-1]["event"] == "done" and events[-1]["tokens"] == n, events[-1]
            return n / seconds

        setups = {"bare model.generate": bare, "ChatEngine.stream": through_engine, "ChatWorker": through_worker}
        for fn in setups.values():  # warm-up: first-call allocations, the worker's first generate
            fn()
        rates: dict[str, list[float]] = {name: [] for name in setups}
        for r in range(args.rounds):
            for name, fn in setups.items():
                rates[name].append(fn())
            print(f"round {r + 1}: " + ", ".join(f"{k} {v[-1]:.1f}" for k, v in rates.items()), flush=True)
        worker.close()

    best = {k: max(v) for k, v in rates.items()}
    med = {k: statistics.median(v) for k, v in rates.items()}
    ref = best["bare model.generate"]
    rows = [f"| {k} | {best[k]:.1f} | {med[k]:.1f} | {best[k] / ref:.3f}x |" for k in setups]
    table = "\n".join(["| setup | best tokens/s | median tokens/s | vs bare (best) |", "|---|---|---|---|", *rows])
    print(table)
    if args.write:
        import transformers

        from bench.benchmarks_md import machine_line, replace_section

        load = os.getloadavg()
        where = "CUDA" if torch.cuda.is_available() else f"CPU, {torch.get_num_threads()} torch thread(s)"
        replace_section(
            "## Chat throughput",
            f"## Chat throughput ({time.strftime('%Y-%m-%d')})\n\n"
            f"`python bench/chat_throughput.py --tokens {n} --rounds {args.rounds} --threads {args.threads} --write`: "
            f"greedy decoding of "
            f"{n} tokens (end-of-turn suppressed) with a random-init Llama of {params / 1e6:.0f}M parameters "
            f"(hidden {ARCH['hidden_size']}, {ARCH['num_hidden_layers']} layers), fp32, on "
            f"{where}. {machine_line()}; torch {torch.__version__}, "
            f"transformers {transformers.__version__}; load average {load[0]:.2f} (1 min). "
            f"Rounds alternate the setups; the best of {args.rounds} counts.\n\n{table}\n",
        )
        print("updated BENCHMARKS.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
