"""Write a random-init model folder of a named real shape (see backend.shapes), for tests and benchmarks.

    python tools/make_random_model.py qwen2.5-0.5b OUT_DIR [--dtype bfloat16|float32] [--vocab N]

The tokenizer is the builtin tiny tokenizer (built in the workspace on first use) with its vocabulary
padded to the model's. Peak memory stays near one fp32 tensor, so even the 8B shape fits a laptop.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from backend.shapes import SHAPE_NAMES  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("shape", choices=SHAPE_NAMES)
    parser.add_argument("out", type=Path)
    parser.add_argument("--dtype", choices=("bfloat16", "float32", "float16"), default="bfloat16")
    parser.add_argument("--vocab", type=int, help="override the vocabulary size (a narrower test model)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--home", type=Path, help="workspace of the tiny tokenizer (default: STUDIO_HOME)")
    args = parser.parse_args(argv)
    from backend.builtin import ensure_tiny_tokenizer
    from backend.shapes import write_random_model
    from backend.workspace import workspace_home

    if args.out.exists() and any(args.out.iterdir()):
        print(f"error: {args.out} exists and is not empty", file=sys.stderr)
        return 2
    tok = ensure_tiny_tokenizer(workspace_home(args.home))
    write_random_model(args.shape, args.out, tok, dtype=args.dtype, vocab=args.vocab, seed=args.seed)
    print(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
