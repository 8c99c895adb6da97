"""The ``studio`` command: everything the UI does, from a terminal.

    studio train JOB.yaml [--set train.learning_rate=1e-4 ...] [--detach]
    studio runs list [--status running]
    studio runs show RUN_ID
    studio runs abort RUN_ID [--save]
    studio runs resume RUN_ID [--checkpoint DIR] [--detach]
    studio fields [PREFIX]          # every JobSpec field with its type, default and help
    studio presets                  # the shipped presets
    studio webui [--host H --port P --auth user:pass]
    studio viewer [--port 8001]     # the data-mix viewer (Streamlit)
    studio data inspect|shard|preview|clean ...   # see cli/data.py
    studio export RUN_OR_DIR --out DIR [--checkpoint N|latest] [--max-shard-size 2GB] [--no-merge]
    studio tokenizer train|extend|compare ...     # see cli/tokenizer.py
    studio eval MODEL --task ppl|choice|generate|reward --data PATH [--checkpoint N] [--few-shot N]
    studio chat MODEL [--adapter DIR] [--prompt TEXT] ...   # talk to a model, run or adapter
    studio serve MODEL [--host H --port P --api-key K]      # OpenAI-compatible API
    studio cluster [--user U]       # Slurm partitions and your jobs
    studio models pull|list|rm|token ...          # models from a hub: see cli/models.py

``--home DIR`` (or ``$STUDIO_HOME``) picks the workspace. Neither this package nor the backend it calls imports torch
in this process (training, chat and export run in child processes or import torch inside their functions).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable

from backend.failures import is_disk_error
from backend.spec import SpecError
from cli import chat, cluster, data, export, frontends, models, preflight, runs, tokenizer
from cli import eval as evaluate  # not `eval`: the builtin
from cli.errors import disk_line

# The one table of subcommands: name -> the function that adds its parser (and its ``func``) to ``studio``'s.
# The order is the order of ``studio --help``.
COMMANDS: dict[str, Callable[[argparse._SubParsersAction], None]] = {
    "train": runs.add_train,
    "runs": runs.add_runs,
    "fields": runs.add_fields,
    "presets": runs.add_presets,
    "data": data.add_parser,
    "export": export.add_parser,
    "eval": evaluate.add_parser,
    "preflight": preflight.add_parser,
    "tokenizer": tokenizer.add_parser,
    "chat": chat.add_chat,
    "serve": chat.add_serve,
    "cluster": cluster.add_parser,  # Slurm
    "models": models.add_parser,  # pull|list|rm|token|config
    "viewer": frontends.add_viewer,
    "webui": frontends.add_webui,
}


def build_parser() -> argparse.ArgumentParser:
    """``studio``'s parser: the global ``--home`` and every subcommand of :data:`COMMANDS`."""
    parser = argparse.ArgumentParser(prog="studio", description="Train, follow and manage LLM training runs.")
    parser.add_argument(
        "--home", default=None, help="workspace directory (default: $STUDIO_HOME or <project>/workspace)"
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for add in COMMANDS.values():
        add(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run ``studio ARGV``; the exit status (2 and one ``error:`` line for bad input, a full disk, Slurm's refusal)."""
    from backend.run.launchers.slurm import SlurmError

    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except SlurmError as exc:  # sbatch/scancel/squeue missing or refusing: Slurm's own words, one line
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except SpecError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyError as exc:
        print(f"error: {exc.args[0]}", file=sys.stderr)
        return 2
    except Exception as exc:  # noqa: BLE001 - a full disk is one line wherever it surfaces
        if not is_disk_error(exc) or os.environ.get("STUDIO_DEBUG"):
            raise
        print(f"error: {disk_line(exc, args.home)}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
