"""The Export tab's work outside the page: which runs and checkpoints can be exported, where the export
goes, the exact ``studio export`` command, running it in a subprocess, and the summary of what it wrote.

Exports land in ``<workspace>/exports/<name>`` only: the name is reduced to one plain folder name (letters,
digits, ``.``, ``-``, ``_``; no separators, no leading dots) and the result must resolve inside that folder
(a symlink pointing elsewhere is refused). The export itself runs as ``python -m cli export`` in a
child process, so torch and transformers stay out of the UI process.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import unicodedata
from collections.abc import Iterator
from pathlib import Path

from backend.failures import human_bytes
from backend.models.hub import is_offline
from backend.run.registry import Registry
from backend.run_best import best_checkpoint
from backend.workspace import PROJECT_ROOT
from studio import runs_view
from studio.i18n import tr

EXPORTS_DIR = "exports"
DTYPES = ("auto", "fp32", "bf16", "fp16")
GGUF = ("none", "f16", "q8_0")  # none: no .gguf; f16/q8_0: studio export --gguf (llama and qwen2 families)
FINAL = "final"  # the run's final weights (adapter/ or model/), not a checkpoint
MAX_NAME = 100
SIZE = re.compile(r"^\d+(\.\d+)?\s*([KMGT]i?B|B)$", re.IGNORECASE)


class ExportTabError(ValueError):
    """A problem the user can fix, as one line."""


def run_choices(home: str) -> list[tuple[str, str]]:
    """``(label, run id)`` of runs with weights to export (final weights or checkpoints), newest first."""
    out = []
    for run in Registry(home).list():
        if any(not f.endswith("checkpoints") for f in runs_view.outputs(run)) or runs_view.checkpoints(run):
            out.append((f"{run.name} · {run.id} · {run.status}", run.id))
    return out


def checkpoint_choices(home: str, run_id: str | None) -> list[str]:
    """``final``, ``best`` (when the run kept one), ``latest`` and each checkpoint's step (newest first)."""
    if not run_id:
        return [FINAL]
    try:
        run = Registry(home).get(run_id)
    except (KeyError, LookupError):
        return [FINAL]
    steps = [Path(p).name.removeprefix("checkpoint-") for p in reversed(runs_view.checkpoints(run))]
    best = ["best"] if best_checkpoint(run.path) is not None else []  # train.keep_best kept one
    return [FINAL, *best, *(["latest"] if steps else []), *steps]


def default_name(home: str, run_id: str | None, checkpoint: str | None) -> str:
    """The run's name (plus ``-checkpoint-N``) as a folder name."""
    if not run_id:
        return ""
    try:
        name = Registry(home).get(run_id).name
    except (KeyError, LookupError):
        name = run_id
    suffix = f"-checkpoint-{checkpoint}" if checkpoint and checkpoint != FINAL else ""
    return safe_name(name + suffix)


def safe_name(raw: str) -> str:
    """One plain folder name from ``raw`` (unsafe characters become ``_``); ExportTabError when none is left."""
    name = unicodedata.normalize("NFC", str(raw or "")).strip()
    name = re.sub(r"[^\w.\-]+", "_", name).strip("._-")[:MAX_NAME]
    if not name:
        raise ExportTabError(f"output name {raw!r} leaves no folder name (use letters, digits, . - _)")
    return name


def out_dir(home: str, name: str) -> Path:
    """``<workspace>/exports/<safe name>``, checked to resolve inside ``<workspace>/exports``."""
    root = (Path(home) / EXPORTS_DIR).resolve()
    out = (root / safe_name(name)).resolve()
    if out.parent != root:
        raise ExportTabError(f"output folder {out} is outside {root} (a link pointing elsewhere?)")
    return out


LABELS = {
    "en": {
        "no_run": "run: pick a run to export (train one first, or refresh the list)",
        "force_ui": "(tick “Overwrite a non-empty folder” to replace it)",
    },
    "zh": {
        "no_run": "run：请选择要导出的运行（先训练一个，或刷新列表）",
        "force_ui": "（勾选“覆盖非空目录”即可替换）",
    },
}


def export_argv(
    home: str,
    run_id,
    checkpoint,
    name,
    max_shard_size,
    dtype,
    merge: bool,
    force: bool,
    gguf: str = "none",
    base: str | None = None,
) -> list[str]:
    """The arguments of ``studio`` (``python -m cli``) for this export; ExportTabError when one is bad.
    ``base`` (``--base``): a folder, builtin or hub id (downloaded first) in place of the run's own base."""
    if not run_id:
        raise ExportTabError(tr(LABELS, "no_run"))
    size = str(max_shard_size or "").strip().replace(" ", "")
    if not SIZE.match(size):
        raise ExportTabError(f"max shard size {max_shard_size!r} is not a size such as 2GB, 500MB or 100KB")
    if dtype not in DTYPES:
        raise ExportTabError(f"dtype must be one of {', '.join(DTYPES)}, got {dtype!r}")
    gguf = gguf or "none"
    if gguf not in GGUF:
        raise ExportTabError(f"GGUF must be one of {', '.join(GGUF)}, got {gguf!r}")
    argv = ["--home", str(home), "export", str(run_id), "--out", str(out_dir(home, name))]
    if checkpoint and checkpoint != FINAL:
        argv += ["--checkpoint", str(checkpoint)]
    argv += ["--max-shard-size", size, "--dtype", dtype]
    argv += ["--gguf", gguf] if gguf != "none" else []
    argv += ["--base", str(base).strip()] if base and str(base).strip() else []
    return argv + (["--no-merge"] if not merge else []) + (["--force"] if force else [])


def command_text(argv: list[str]) -> str:
    """The command as a shell line (``studio`` is ``python -m cli``)."""
    return shlex.join(["studio", *argv])


def run_export(argv: list[str]) -> Iterator[str]:
    """Run the export in a subprocess, yielding its output lines (stdout and stderr as they come); the last
    item is ``exit <code>``. The process is killed if the consumer goes away first."""
    env = os.environ | {"HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false", "PYTHONIOENCODING": "utf-8"}
    env["STUDIO_HUB_OFFLINE"] = "1" if is_offline() else "0"  # the studio's setting: a --base hub id downloads
    env["PYTHONUNBUFFERED"] = "1"  # lines arrive as they are printed, not when the process ends
    proc = subprocess.Popen(
        [sys.executable, "-m", "cli", *argv],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        encoding="utf-8",
        errors="replace",
        start_new_session=True,
    )
    try:
        for line in proc.stdout:
            yield line.rstrip("\n")
        yield f"exit {proc.wait()}"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()


FORCE_CLI = "(use --force to overwrite)"
FORCE_UI = LABELS["en"]["force_ui"]  # the tab's force checkbox, by its label (tr(LABELS, "force_ui") when shown)


def error_line(lines: list[str], code: int) -> str:
    """The one line that says why an export failed (its ``error:`` line, else the last line), without the
    CLI's ``error:`` prefix (the tab shows its own) and with the CLI's ``--force`` advice given as the tab's
    Overwrite checkbox."""
    errors = [line for line in lines if line.startswith("error:")]
    last = next((line for line in reversed(lines) if line.strip()), "")
    line = (errors[-1] if errors else last or f"studio export exited with status {code}").strip()
    return line.removeprefix("error:").strip().replace(FORCE_CLI, tr(LABELS, "force_ui"))


def summary(out: Path, lines: list[str]) -> str:
    """Markdown: where the export is, its files with sizes, the shards, and the Modelfile (or why there is none)."""
    files = sorted(p for p in out.iterdir() if p.is_file()) if out.is_dir() else []
    shards = [p for p in files if p.name.endswith(".safetensors")]
    total = sum(p.stat().st_size for p in shards)
    ollama = next((line.split("ollama", 1)[1].strip() for line in lines if line.strip().startswith("ollama")), "")
    weights = next((line.split("weights", 1)[1].strip() for line in lines if line.strip().startswith("weights")), "")
    rows = "\n".join(f"| `{p.name}` | {human_bytes(p.stat().st_size)} |" for p in files)  # KiB: not "0.00 MB"
    modelfile = "written (`ollama create NAME -f Modelfile`)" if (out / "Modelfile").is_file() else "none"
    ggufs = [p for p in files if p.suffix == ".gguf"]
    gguf = "".join(f"- GGUF (llama.cpp, Ollama): `{p.name}`, {human_bytes(p.stat().st_size)}\n" for p in ggufs)
    note = f": {ollama}" if ollama and modelfile == "none" else ""
    return (
        f"**Exported to** `{out}`\n\n- weights: {weights or '?'}\n"
        f"- shards: {len(shards)} safetensors file(s), {human_bytes(total)}\n{gguf}- Modelfile: {modelfile}{note}\n\n"
        f"| file | size |\n|---|---|\n{rows}"
    )
