"""What the Chat tab shows and sends, computed without gradio or torch.

- ``model_choices``: the models a user can chat with (runs' adapters/models and checkpoints, exports under
  ``<workspace>/exports``, the builtin tiny model) as ``(label, value)`` pairs; a typed folder works too.
- ``template_choices``: ``auto`` and the named chat templates of :mod:`backend.data.chat_templates`.
- ``generation_options``: the form's decoding fields as the dict ``backend.chat.engine.GenerationOptions`` reads.
- ``loaded_line`` / ``stats_line``: the status line of a model slot (what is loaded, its memory, the last answer).
"""

from __future__ import annotations

from pathlib import Path

from backend.data.chat_templates import TEMPLATES
from backend.run.registry import Registry
from backend.run_best import best_checkpoint
from studio import runs_view

BUILTIN = "builtin:tiny-llama"
DTYPES = ("auto", "float32", "bfloat16", "float16")
QUANT = {"none": None, "8-bit": 8, "4-bit": 4}
MODES = ("sampling", "greedy", "beam")
EXPORTS_DIR = "exports"


class ChatTabError(ValueError):
    """A problem the user can fix, as one line for the page."""


def template_choices() -> list[str]:
    """``auto`` (the tokenizer's own template) and every named template, in the table's order."""
    return ["auto", *TEMPLATES]


def _is_model_dir(folder: Path) -> bool:
    return (folder / "config.json").is_file() or (folder / "adapter_config.json").is_file()


def model_choices(home: str) -> list[tuple[str, str]]:
    """``(label, folder)`` of everything loadable: runs' final weights and checkpoints (newest run first),
    exported models, then the builtin tiny model."""
    choices: list[tuple[str, str]] = []
    for run in Registry(home).list():
        tag = f"{run.name} · {run.id}"
        for folder in runs_view.outputs(run):
            path = Path(folder)
            if path.name != "checkpoints" and _is_model_dir(path):
                choices.append((f"{tag} · {path.name}", str(path)))
        best = best_checkpoint(run.path)  # train.keep_best: offered as "best" beside the final weights
        if best is not None and _is_model_dir(best):
            choices.append((f"{tag} · best ({best.name})", str(best)))
        for ckpt in reversed(runs_view.checkpoints(run)):  # the newest checkpoint first
            if _is_model_dir(Path(ckpt)):
                choices.append((f"{tag} · {Path(ckpt).name}", ckpt))
    exports = Path(home) / EXPORTS_DIR
    if exports.is_dir():
        for folder in sorted(p for p in exports.iterdir() if p.is_dir() and _is_model_dir(p)):
            choices.append((f"export · {folder.name}", str(folder)))
    from studio.models_view import downloaded_choices  # models downloaded from a hub (the Models tab)

    choices += downloaded_choices(home)
    choices.append((f"{BUILTIN} (the project's tiny model)", BUILTIN))
    return choices


def _int(value, name: str, minimum: int) -> int:
    if value is None or value == "":
        raise ChatTabError(f"{name}: a number is needed")
    if float(value) != int(value) or int(value) < minimum:
        raise ChatTabError(f"{name} must be a whole number >= {minimum}, got {value!r}")
    return int(value)


def generation_options(max_new_tokens, temperature, top_p, top_k, repetition_penalty, seed, stop, mode) -> dict:
    """The decoding fields as a ``GenerationOptions`` dict (the worker validates ranges and names the field)."""
    if mode not in MODES:
        raise ChatTabError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
    options = dict(
        max_new_tokens=_int(max_new_tokens, "max new tokens", 1),
        temperature=float(temperature),
        top_p=float(top_p),
        top_k=_int(top_k, "top-k", 0),
        repetition_penalty=float(repetition_penalty),
        mode=mode,
        stop=[str(s) for s in (stop or []) if str(s)],
    )
    if seed not in (None, "", -1):  # -1 (the form's default) or empty: a random seed each answer
        options["seed"] = _int(seed, "seed", 0)
    return options


def quant_bits(choice: str) -> int | None:
    """4, 8 or None from the quantisation radio."""
    if choice not in QUANT:
        raise ChatTabError(f"quantisation must be one of {', '.join(QUANT)}, got {choice!r}")
    return QUANT[choice]


def _mib(memory: dict | None) -> str:
    if not memory or "rss_mb" not in memory:
        return ""
    text = f"RSS {memory['rss_mb']:.0f} MiB"
    if memory.get("cuda_allocated_mb") is not None:
        text += f", GPU {memory['cuda_allocated_mb']:.0f} MiB allocated / {memory['cuda_reserved_mb']:.0f} reserved"
    return text


def loaded_line(info: dict, memory: dict | None, pid: int | None, template: str) -> str:
    """One line on what a slot holds: name, how it was loaded, its size and the worker's memory."""
    how = "LoRA merged into the base" if info.get("merged") else ("with LoRA adapter" if info.get("adapter") else "")
    quant = f"{info['bits']}-bit" if info.get("bits") else info.get("dtype", "")
    params = info.get("params") or 0
    size = f"{params / 1e9:.2f}B" if params >= 1e9 else f"{params / 1e6:.1f}M"
    parts = [f"loaded **{info.get('name', '?')}**", how, quant, info.get("device", ""), f"{size} params",
             f"template {template}", f"worker pid {pid}" if pid else "", _mib(memory)]  # fmt: skip
    return " · ".join(p for p in parts if p)


def stats_line(stats: dict | None) -> str:
    """The last answer's tokens, speed and why it ended ('' before any answer)."""
    if not stats:
        return ""
    return (
        f"last answer: {stats.get('tokens', 0)} tokens, {stats.get('tokens_per_s', 0):.1f} tokens/s, "
        f"{stats.get('finish_reason', '?')}"
    )
