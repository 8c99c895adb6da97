"""Logits memory at a real vocabulary: the studio's loss (output head only at labelled positions) vs the
stock causal-LM loss (every position projected onto the whole vocabulary), forward + backward of the head.

Each loss runs in a fresh child process: hidden states of one row of ``--seq`` tokens (half of them
labelled, like an SFT row) go through a ``hidden × vocab`` head and the loss, then backward; the figure
is the growth of the process's peak RSS (VmHWM) over its peak before the step, fp32, on CPU.

    python bench/logits_memory.py [--vocab 151936] [--hidden 896] [--seq 2048]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = """
import json, sys, torch
sys.path.insert(0, sys.argv[5])
from backend.memory import peak_rss_mb
mode, vocab, hidden, seq = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
torch.manual_seed(0)
head = torch.nn.Linear(hidden, vocab, bias=False)
h = torch.randn(1, seq, hidden, requires_grad=True)
labels = torch.randint(0, vocab, (1, seq))
labels[:, : seq // 2] = -100  # the prompt half carries no label
before = peak_rss_mb()
if mode == "stock":
    from transformers.loss.loss_utils import ForCausalLMLoss
    loss = ForCausalLMLoss(head(h), labels, vocab_size=vocab)
else:
    targets = labels[:, 1:]
    keep = targets.ne(-100)
    logits = head(h[:, :-1][keep]).float()
    loss = torch.nn.functional.cross_entropy(logits, targets[keep], reduction="sum") / keep.sum()
loss.backward()
print(json.dumps({"mode": mode, "step_peak_mb": peak_rss_mb() - before}))
"""


def run(mode: str, vocab: int, hidden: int, seq: int) -> float:
    cmd = [sys.executable, "-c", CHILD, mode, str(vocab), str(hidden), str(seq), str(ROOT)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=1800, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])["step_peak_mb"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vocab", type=int, default=151936)
    parser.add_argument("--hidden", type=int, default=896)
    parser.add_argument("--seq", type=int, default=2048)
    args = parser.parse_args()
    stock = run("stock", args.vocab, args.hidden, args.seq)
    studio = run("studio", args.vocab, args.hidden, args.seq)
    print(json.dumps({"vocab": args.vocab, "seq": args.seq, "stock_mb": stock, "studio_mb": studio}))
    print(f"| {args.vocab:,} | {args.seq} | {stock:.0f} MiB | {studio:.0f} MiB | {stock / studio:.2f}x |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
