"""Where an export's weights come from: a run (by id, name or directory), one of its checkpoints,
an adapter or model folder, or a DeepSpeed ZeRO checkpoint; and the base model, tokenizer and
metrics that belong with them. Every dead end is an :class:`ExportError` with one line for the user.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from backend.export.weights import ExportError
from backend.run.rundir import RunDir
from backend.spec import JobSpec, load_spec


@dataclass
class Source:
    """What is exported: ``kind`` is adapter, model or zero; ``weights`` the folder holding it."""

    kind: str
    weights: Path
    run_dir: Path | None = None
    spec: JobSpec | None = None
    checkpoint: str | None = None

    @property
    def label(self) -> str:
        where = f"run {self.run_dir.name}" if self.run_dir else str(self.weights)
        return where + (f", {self.checkpoint}" if self.checkpoint else "") + f" ({self.kind})"


def _kind(folder: Path, from_zero: bool) -> str:
    zero = (folder / "latest").is_file() and any(folder.glob("global_step*"))
    if from_zero:
        if not zero:
            raise ExportError(f"--from-zero: {folder} holds no DeepSpeed ZeRO checkpoint ('latest' + global_step*/)")
        return "zero"
    if (folder / "adapter_config.json").exists():
        return "adapter"
    if (folder / "config.json").exists() and any(folder.glob("*.safetensors")):
        return "model"
    if zero:
        return "zero"
    raise ExportError(
        f"{folder} holds no adapter (adapter_config.json), model (config.json + safetensors) or ZeRO checkpoint"
    )


def resolve_source(target: str, home=None, checkpoint: str | None = None, from_zero: bool = False) -> Source:
    """Find what ``target`` names (:func:`backend.models.resolve.resolve_ref`); ``checkpoint`` (``N``, ``latest``
    or ``best``) picks a checkpoint of a run."""
    from backend.models.resolve import RunNotFound, resolve_ref, weights_dir
    from backend.workspace import workspace_home

    home = workspace_home(home)
    try:
        ref = resolve_ref(target, home, checkpoint)
        if ref.kind != "run" and checkpoint:
            raise ExportError(f"--checkpoint picks a checkpoint of a run; {target} is already a weights folder")
        weights = weights_dir(ref, home) if ref.kind == "run" else require_model(ref, home)
    except RunNotFound:
        raise ExportError(f"no run or directory {target!r} (see `studio runs list`)") from None
    except (ValueError, FileNotFoundError) as exc:  # RefError, an unknown builtin, a hub model not downloaded
        raise ExportError(str(exc)) from None
    run_dir = ref.run_dir
    spec = load_spec(RunDir(run_dir).job) if run_dir else None
    ckpt = weights.name if weights.parent.name == "checkpoints" else None
    return Source(_kind(weights, from_zero), weights, run_dir, spec, ckpt)


def require_model(ref, home: Path, field: str = "model") -> Path:
    """The local folder of a folder, builtin or hub reference; a hub model not downloaded yet is downloaded now
    (progress on stderr and in the Models tab), or refused in one line when the studio is offline."""
    from backend.models.ondemand import ensure_local

    return ensure_local(ref, home, field)


def base_dir_of(source: Source, base: str | None) -> Path | None:
    """The base model folder: ``--base``, the run's model.name_or_path, or the adapter's own record."""
    from backend.models.ondemand import NotDownloaded, ensure_local
    from backend.models.ref import RefError
    from backend.workspace import workspace_home

    if base:  # a folder, builtin, or a hub id (downloaded now when it is not yet)
        try:
            return ensure_local(base, workspace_home(source.spec.output.workspace if source.spec else None), "--base")
        except NotDownloaded as exc:
            raise ExportError(str(exc)) from None
        except (ValueError, FileNotFoundError, RefError) as exc:
            raise ExportError(f"--base: {exc}") from None
    spec = source.spec
    if spec is not None and not spec.model.from_scratch and spec.model.name_or_path:
        try:
            return ensure_local(spec.model.name_or_path, workspace_home(spec.output.workspace), "model.name_or_path")
        except (ValueError, FileNotFoundError) as exc:
            raise ExportError(str(exc)) from None
    cfg = source.weights / "adapter_config.json"
    if cfg.exists():
        recorded = json.loads(cfg.read_text(encoding="utf-8")).get("base_model_name_or_path")
        if recorded and Path(recorded).is_dir():
            return Path(recorded)
        raise ExportError(f"the adapter's base model {recorded!r} is not a local folder; pass --base DIR")
    return None


def load_tokenizer(source: Source, base: Path | None, trust_remote_code: bool):
    """The tokenizer saved with the weights (else the base's), carrying the template the run trained with."""
    from transformers import AutoTokenizer

    from backend.data.templates import resolve_template

    has = [
        d
        for d in (source.weights, base)
        if d and ((d / "tokenizer.json").exists() or (d / "tokenizer_config.json").exists())
    ]
    if not has:
        raise ExportError(f"no tokenizer files in {source.weights} or the base model")
    tok = AutoTokenizer.from_pretrained(has[0], trust_remote_code=trust_remote_code)
    if source.spec is not None and source.spec.stage in ("sft", "rm"):
        # SFT and the reward model rendered every sample with this template, so the export must carry it.
        tok.chat_template = resolve_template(tok, source.spec.data.template)
    return tok


def run_metrics(source: Source) -> tuple[dict, dict]:
    """The run's final metrics (its result event) and the last logged figures at the checkpoint."""
    from backend.events import EVENTS_FILE, read_events

    final: dict = {}
    if source.run_dir and (source.run_dir / EVENTS_FILE).exists():
        results = [e for e in read_events(source.run_dir / EVENTS_FILE) if e["type"] == "result"]
        final = dict(results[-1].get("metrics") or {}) if results else {}
    at_ckpt: dict = {}
    state = source.weights / "trainer_state.json"
    if source.checkpoint and state.exists():
        history = json.loads(state.read_text(encoding="utf-8")).get("log_history", [])
        logged = [h for h in history if "loss" in h]
        at_ckpt = dict(logged[-1]) if logged else {}
    return final, at_ckpt


def is_reward(source: Source) -> bool:
    """Whether ``source`` is a reward model: an ``rm`` run, a SEQ_CLS adapter or a sequence-classifier folder."""
    from backend.export.weights import adapter_head_labels, is_seq_cls

    if source.spec is not None and source.spec.stage == "rm":
        return True
    if source.kind == "adapter":
        return adapter_head_labels(source.weights) is not None
    config = source.weights / "adapter_config.json"  # a ZeRO checkpoint of a LoRA run
    if config.is_file():
        return json.loads(config.read_text(encoding="utf-8")).get("task_type") == "SEQ_CLS"
    return is_seq_cls(source.weights)
