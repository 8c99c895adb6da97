"""``studio export``: merge a run's adapter (or take its full model) into a standalone Hugging Face folder.

    studio export RUN_OR_DIR --out DIR [--checkpoint N|latest] [--max-shard-size 2GB]
                  [--dtype auto|fp32|bf16|fp16] [--no-merge] [--force] [--base DIR] [--from-zero]
                  [--trust-remote-code] [--gguf f16|q8_0 [--gguf-only]]

RUN_OR_DIR is a run id (or unique prefix), a run name (the newest run of that name), a run directory,
an adapter or model directory, or a checkpoint folder of a run. Exit status 2 with one ``error:`` line
when the export cannot be done. Also runnable as ``python -m cli [--home H] export ...``.
"""

from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path

from cli.errors import one_line_errors


def cmd_export(args) -> int:
    from backend.models.hub import offline_intent

    with offline_intent():  # a hub id is downloaded on demand unless the studio itself is offline
        return _cmd_export(args)


def _cmd_export(args) -> int:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # exports read local folders only
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    from backend.quiet import quiet_library_noise

    quiet_library_noise()  # library deprecation noise stays out of the export log
    from backend.export.run import export, render_summary

    argv = sys.argv[1:]
    command = "studio " + shlex.join(argv[argv.index("export") :] if "export" in argv else ["export", args.target])
    result = export(
        args.target,
        args.out,
        home=args.home,
        checkpoint=args.checkpoint,
        max_shard_size=args.max_shard_size,
        dtype=args.dtype,
        merge=not args.no_merge,
        force=args.force,
        base=args.base,
        from_zero=args.from_zero,
        trust_remote_code=args.trust_remote_code,
        command=command,
        gguf=args.gguf,
        gguf_only=args.gguf_only,
    )
    print(render_summary(result))
    return 0


def add_parser(sub) -> None:
    """Add the ``export`` command to the ``studio`` sub-parsers."""
    p = sub.add_parser("export", help="merge and export a run as a Hugging Face folder (+ model card, Modelfile)")
    p.add_argument("target", metavar="RUN_OR_DIR", help="run id/name, run directory, adapter/model dir or checkpoint")
    p.add_argument("--out", required=True, type=Path, help="output directory (must be empty unless --force)")
    p.add_argument(
        "--checkpoint",
        help="export checkpoint N of the run, 'latest' or 'best' (train.keep_best), instead of the final weights",
    )
    p.add_argument("--max-shard-size", default="2GB", help="largest safetensors shard, e.g. 2GB, 500MB")
    p.add_argument(
        "--dtype",
        default="auto",
        choices=("auto", "fp32", "bf16", "fp16"),
        help="dtype of the saved weights; auto keeps the base model's stored dtype",
    )
    p.add_argument("--no-merge", action="store_true", help="export a LoRA adapter as an adapter, without merging")
    p.add_argument("--force", action="store_true", help="write into a non-empty --out (replaces earlier weights)")
    p.add_argument("--base", help="base model directory (default: the run's model.name_or_path)")
    p.add_argument(
        "--from-zero",
        action="store_true",
        help="rebuild the weights from the DeepSpeed ZeRO states (fp32 masters) even when safetensors exist",
    )
    p.add_argument(
        "--trust-remote-code",
        action="store_true",
        help="run modelling code shipped inside the base folder (only for models you trust)",
    )
    p.add_argument(
        "--gguf",
        choices=("f16", "q8_0"),
        help="also write one .gguf file for llama.cpp/Ollama (llama and qwen2 families); the Modelfile uses it",
    )
    p.add_argument("--gguf-only", action="store_true", help="with --gguf: write the .gguf without the safetensors")
    p.set_defaults(func=one_line_errors(cmd_export))
