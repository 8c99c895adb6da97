"""What ``studio eval`` evaluates, and where its results go.

The model is named as ``studio export`` names it (:func:`backend.export.source.resolve_source`): a run
(id, name or folder; its final adapter or model), one of its checkpoints, an adapter, model or export
folder, or ``builtin:tiny-llama``; ``--adapter`` puts an adapter (folder or run) on a base. The chat
template is the one named, else the one the run trained with, else the tokenizer's own. Loading itself
is :func:`backend.chat.engine.load_model_and_tokenizer` (dtype, 4/8-bit, adapter merge), so chat and evaluation
see the same model. Results of a run are stored under ``runs/<id>/eval/``, of anything else under
``<workspace>/eval/<name>/``, as ``<task>-<timestamp>.json``, so evaluations compare across runs.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from pathlib import Path

from backend.export.source import Source, base_dir_of, resolve_source
from backend.export.weights import ExportError
from backend.workspace import is_builtin, workspace_home

_TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json")


@dataclass
class Target:
    """The resolved model: base folder, adapter folder (or None), tokenizer folder, template name, run."""

    base: Path
    adapter: Path | None
    tokenizer: Path
    template: str
    run_dir: Path | None
    label: str
    checkpoint: str | None = None


def _source(name: str, home: Path, checkpoint: str | None) -> Source:
    source = resolve_source(name, home, checkpoint)  # the one resolver: runs, folders, builtin, hub ids
    if source.kind == "zero":
        raise ExportError(f"{source.weights} holds only DeepSpeed ZeRO states; `studio export --from-zero` it first")
    return source


def resolve_target(model: str, adapter: str | None = None, *, home=None, checkpoint: str | None = None,
                   template: str = "auto") -> Target:  # fmt: skip
    """Resolve ``model`` (and ``adapter``) to folders; raises ExportError with one line when it cannot."""
    home = workspace_home(home)
    source = _source(model, home, checkpoint)
    if adapter:
        if source.kind != "model":
            raise ExportError(f"--adapter needs a full model as MODEL; {source.label} is an {source.kind}")
        extra = _source(adapter, home, None)
        if extra.kind != "adapter":
            raise ExportError(f"--adapter: {extra.label} is not a LoRA adapter (no adapter_config.json)")
        base, adapter_dir, owner = source.weights, extra.weights, extra
    elif source.kind == "adapter":
        base, adapter_dir, owner = base_dir_of(source, None), source.weights, source
    else:
        base, adapter_dir, owner = source.weights, None, source
    if not (base / "config.json").is_file():
        raise ExportError(f"no config.json in {base} (not a Hugging Face model folder)")
    tokenizer = next((d for d in (adapter_dir, base) if d and any((d / f).is_file() for f in _TOKENIZER_FILES)), None)
    if tokenizer is None:
        raise ExportError(f"no tokenizer files in {adapter_dir or base}")
    spec = owner.spec
    if template == "auto" and spec is not None and spec.stage in ("sft", "rm"):
        template = spec.data.template  # what the run rendered its samples with (checkpoints may lack it)
    label = model if is_builtin(model) and not adapter else owner.label
    return Target(base, adapter_dir, tokenizer, template, owner.run_dir, label, owner.checkpoint)


def load_causal_lm(target: Target, *, dtype: str = "auto", bits: int | None = None, trust_remote_code: bool = False):
    """(model, tokenizer, template text, info) for a causal LM target, on the GPU when there is one."""
    from backend.chat.engine import Source as ChatSource
    from backend.chat.engine import load_model_and_tokenizer

    source = ChatSource(base=target.base, adapter=target.adapter, tokenizer=target.tokenizer, name=target.label)
    template = "auto" if target.template == "none" else target.template
    model, tok, tmpl, info = load_model_and_tokenizer(
        source, dtype=dtype, bits=bits, template=template, trust_remote_code=trust_remote_code
    )
    if tok.pad_token_id is None:
        tok.pad_token = tok.eos_token
    return model, tok, ("none" if target.template == "none" else tmpl), info


def load_reward_model(target: Target, *, trust_remote_code: bool = False):
    """(model, tokenizer) of a sequence-classification reward model, on the GPU when there is one.

    A reward model is a ``*ForSequenceClassification`` folder (a full ``rm`` run or its export), or a
    base with a SEQ_CLS adapter (a LoRA ``rm`` run): the base is then loaded as a sequence classifier in
    fp32, the adapter's trained head replaces the new one and the adapter is merged, exactly as
    ``studio export`` does, so the run and its export score alike.
    """
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from backend.export.weights import adapter_head_labels, is_seq_cls, load_adapter

    tok = AutoTokenizer.from_pretrained(target.tokenizer, trust_remote_code=trust_remote_code)
    if target.adapter is not None and adapter_head_labels(target.adapter) is not None:
        model = load_adapter(target.adapter, target.base, trust_remote_code, len(tok), merge=True)
        if tok.pad_token_id is not None:  # as the rm stage (and the export) set it: rows end at the last non-pad
            model.config.pad_token_id = tok.pad_token_id
    elif is_seq_cls(target.base):
        model = AutoModelForSequenceClassification.from_pretrained(target.base, trust_remote_code=trust_remote_code)
        if target.adapter is not None:
            from peft import PeftModel

            model = PeftModel.from_pretrained(model, target.adapter).merge_and_unload()
    else:
        config = json.loads((target.base / "config.json").read_text(encoding="utf-8"))
        what = f"{target.base} is not a reward model (its architectures are {config.get('architectures')}"
        what += f" and the adapter {target.adapter} is not of task type SEQ_CLS" if target.adapter else ""
        raise ExportError(what + "; expected a *ForSequenceClassification head, as the rm stage trains)")
    if torch.cuda.is_available():
        model = model.to("cuda")
    return model.eval(), tok


def results_dir(target: Target, home=None) -> Path:
    """``runs/<id>/eval`` for a run, else ``<workspace>/eval/<name>``."""
    if target.run_dir is not None:
        return target.run_dir / "eval"
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", target.base.name if target.adapter is None else target.adapter.name)
    return workspace_home(home) / "eval" / name


def result_path(folder: Path, task: str, suffix: str = ".json") -> Path:
    """``<task>-<YYYYmmdd-HHMMSS>.json`` in ``folder``, with a counter when one is already there."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    path, n = folder / f"{task}-{stamp}{suffix}", 1
    while path.exists():
        n += 1
        path = folder / f"{task}-{stamp}-{n}{suffix}"
    return path


def list_results(folder: Path) -> list[dict]:
    """The stored results of a run (its ``eval/`` folder), oldest first, each with its ``file``."""
    out = []
    for path in sorted(Path(folder).glob("*.json"), key=lambda p: p.stat().st_mtime):
        try:
            out.append(json.loads(path.read_text(encoding="utf-8")) | {"file": str(path)})
        except (OSError, json.JSONDecodeError):
            continue  # a half-written or foreign file is not a result
    return out


def all_results(home=None, task: str | None = None) -> list[dict]:
    """Every stored result of the workspace (runs and other models), oldest first, optionally of one task:
    the rows an Evaluate tab compares across runs."""
    root = workspace_home(home)
    folders = [*sorted((root / "runs").glob("*/eval")), *sorted((root / "eval").glob("*"))]
    rows = [r for f in folders if f.is_dir() for r in list_results(f) if task in (None, r.get("task"))]
    return sorted(rows, key=lambda r: r.get("time") or 0)
