"""Loading what a run produced as one plain Hugging Face model, ready to ``save_pretrained``.

Three kinds of input:

* ``adapter``: a peft LoRA/DoRA adapter. The base is loaded in fp32 (never quantised, also after a
  QLoRA run), the adapter applied and merged with ``merge_and_unload``.
* ``model``: a full/freeze model directory, loaded as it is.
* ``zero``: a DeepSpeed ZeRO checkpoint (``latest`` + ``global_stepN/``), consolidated to fp32 with
  ``deepspeed.utils.zero_to_fp32`` (what XTuner's ``pth_to_hf`` does) and loaded into the
  architecture of the checkpoint's ``config.json`` (or the base's), or into base + adapter.

A reward model (an ``rm`` run) stays a sequence classifier throughout: a full one is loaded with the
class its ``config.json`` names, and the base of a SEQ_CLS adapter is loaded as
``AutoModelForSequenceClassification`` so that the adapter's trained head (peft's ``modules_to_save``,
saved as ``base_model.model.score.weight``) replaces the new one; a causal-LM base would drop it.

Everything is loaded in fp32 and cast to the export dtype at the end. trust_remote_code is only on
when the caller passes it (the run's spec asked for it, or the user did).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
from pathlib import Path

DTYPES = {"fp32": "float32", "bf16": "bfloat16", "fp16": "float16"}
PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".pkl", ".pickle", ".ckpt")


class ExportError(ValueError):
    """An export cannot go on; the message is one line meant for the user."""


def export_dtype(choice: str, config) -> str:
    """``fp32``/``bf16``/``fp16``; ``auto`` keeps the dtype the base (or model) was stored in."""
    if choice != "auto":
        return choice
    stored = str(getattr(config, "dtype", None) or getattr(config, "torch_dtype", None) or "float32")
    stored = stored.removeprefix("torch.")
    return {v: k for k, v in DTYPES.items()}.get(stored, "fp32")


def is_seq_cls(folder: Path | None) -> bool:
    """Whether ``folder/config.json`` names a ``*ForSequenceClassification`` architecture (a reward model)."""
    import json

    config = folder / "config.json" if folder is not None else None
    if config is None or not config.is_file():
        return False
    architectures = json.loads(config.read_text(encoding="utf-8")).get("architectures") or []
    return any(str(a).endswith("ForSequenceClassification") for a in architectures)


def adapter_head_labels(adapter: Path | None) -> int | None:
    """The number of outputs of the head a SEQ_CLS adapter trained (None for any other adapter or folder).

    peft saves a SEQ_CLS adapter's new head in full (``modules_to_save``) beside the LoRA matrices; an
    adapter that claims the task but holds no head cannot be scored, and says so.
    """
    import json

    config = adapter / "adapter_config.json" if adapter is not None else None
    if config is None or not config.is_file():
        return None
    if json.loads(config.read_text(encoding="utf-8")).get("task_type") != "SEQ_CLS":
        return None
    from safetensors import safe_open

    for file in sorted(adapter.glob("adapter_model*.safetensors")):
        with safe_open(file, "pt") as f:
            for key in f.keys():  # noqa: SIM118 (safe_open is not iterable)
                if key.endswith(("score.weight", "classifier.weight")):
                    return int(f.get_slice(key).get_shape()[0])
    raise ExportError(f"{adapter} is a SEQ_CLS (reward) adapter without its trained score head (modules_to_save)")


def causal_or_seq_cls(folder: Path | None):
    """``AutoModelForSequenceClassification`` for a reward model folder, else ``AutoModelForCausalLM``."""
    from transformers import AutoModelForCausalLM, AutoModelForSequenceClassification

    return AutoModelForSequenceClassification if is_seq_cls(folder) else AutoModelForCausalLM


@contextlib.contextmanager
def _quiet_new_head():
    """Silence transformers' load report while a base grows a new head that the adapter's trained one replaces."""
    from transformers.utils import logging as hf_logging

    level = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()
    try:
        yield
    finally:
        hf_logging.set_verbosity(level)


def _load_base(base: Path | None, trust_remote_code: bool, n_tokens: int | None, num_labels: int | None = None):
    """The base in fp32; with ``num_labels`` as a sequence classifier, for a reward adapter's head to replace."""
    import torch
    from transformers import AutoModelForCausalLM, AutoModelForSequenceClassification

    if base is None or not (base / "config.json").exists():
        raise ExportError(f"base model: no config.json in {base}; pass --base DIR (a local Hugging Face model)")
    kwargs = dict(dtype=torch.float32, trust_remote_code=trust_remote_code)
    if num_labels:
        with _quiet_new_head():
            model = AutoModelForSequenceClassification.from_pretrained(base, num_labels=num_labels, **kwargs)
    else:
        model = AutoModelForCausalLM.from_pretrained(base, **kwargs)
    if getattr(model.config, "quantization_config", None):
        raise ExportError(f"base model {base} is itself quantised; merging needs a full-precision base (--base DIR)")
    # Training grew the embedding the same way when the tokenizer had more tokens than the model.
    if n_tokens and n_tokens > model.get_input_embeddings().num_embeddings:
        model.resize_token_embeddings(n_tokens, pad_to_multiple_of=64)
    return model


def _merge(peft_model):
    """``merge_and_unload`` of a PeftModel, checked to leave no LoRA layer behind."""
    merged = peft_model.merge_and_unload()
    left = [n for n, _ in merged.named_modules() if n.endswith(("lora_A", "lora_B"))]
    if left:
        raise ExportError(f"merging left adapter layers in the model ({left[0]} ...)")
    return merged


def load_adapter(adapter: Path, base: Path | None, trust_remote_code: bool, n_tokens: int | None, merge: bool):
    """Base + adapter; merged into a plain model unless ``merge`` is false (then the PeftModel).

    A SEQ_CLS (reward) adapter goes on the base loaded as a sequence classifier, so its head is kept.
    """
    from peft import PeftModel

    model = _load_base(base, trust_remote_code, n_tokens, adapter_head_labels(adapter))
    peft_model = PeftModel.from_pretrained(model, adapter, is_trainable=False)
    return _merge(peft_model) if merge else peft_model


def load_model_dir(path: Path, trust_remote_code: bool):
    """A full model folder with the class its config names (a reward model keeps its score head)."""
    import torch

    auto = causal_or_seq_cls(path)
    return auto.from_pretrained(path, dtype=torch.float32, trust_remote_code=trust_remote_code)


def zero_state_dict(checkpoint: Path) -> dict:
    """The fp32 weights of a DeepSpeed ZeRO-1/2/3 checkpoint folder (the one holding ``latest``)."""
    os.environ.setdefault("DS_ACCELERATOR", "cpu")  # consolidation runs on CPU; no GPU is needed
    try:
        from deepspeed.utils.zero_to_fp32 import get_fp32_state_dict_from_zero_checkpoint
    except ImportError as exc:
        raise ExportError(f"converting a ZeRO checkpoint needs deepspeed ({exc})") from None
    # DeepSpeed's own files are pickles (torch.load); they come from the user's own run. Its progress
    # lines go to stderr so that stdout keeps only the export summary.
    with contextlib.redirect_stdout(sys.stderr):
        return get_fp32_state_dict_from_zero_checkpoint(str(checkpoint))


def load_zero(checkpoint: Path, base: Path | None, trust_remote_code: bool, n_tokens: int | None, merge: bool):
    """A model rebuilt from a ZeRO checkpoint: full weights, or base + adapter (then merged)."""
    import torch
    from transformers import AutoConfig

    state = zero_state_dict(checkpoint)
    if (checkpoint / "adapter_config.json").exists():
        from peft import PeftConfig, get_peft_model

        config = PeftConfig.from_pretrained(checkpoint)
        # The rm stage's head has one output; its trained weights are among the ZeRO states loaded below.
        labels = 1 if config.task_type == "SEQ_CLS" else None
        model = get_peft_model(_load_base(base, trust_remote_code, n_tokens, labels), config)
        missing, _ = model.load_state_dict(state, strict=False)
        lost = [k for k in missing if "lora_" in k or "modules_to_save" in k]
        if lost:
            raise ExportError(f"the ZeRO checkpoint lacks adapter weights, e.g. {lost[0]}")
        return _merge(model) if merge else model
    source = checkpoint if (checkpoint / "config.json").exists() else base
    if source is None or not (source / "config.json").exists():
        raise ExportError(f"no config.json in {checkpoint} or the base model; pass --base DIR")
    config = AutoConfig.from_pretrained(source, trust_remote_code=trust_remote_code)
    auto = causal_or_seq_cls(source)
    model = auto.from_config(config, dtype=torch.float32, trust_remote_code=trust_remote_code)
    embed = state.get("model.embed_tokens.weight")
    if embed is not None and embed.shape[0] != model.get_input_embeddings().num_embeddings:
        model.resize_token_embeddings(embed.shape[0])
    missing, unexpected = model.load_state_dict(state, strict=False)
    tied = {k for k in missing if k.endswith("lm_head.weight") and model.config.tie_word_embeddings}
    if set(missing) - tied or unexpected:
        bad = sorted(set(missing) - tied) or sorted(unexpected)
        raise ExportError(f"the ZeRO checkpoint does not fit the model of {source}: {bad[0]} ({len(bad)} keys)")
    model.tie_weights()
    return model


def cast(model, dtype: str):
    import torch

    return model.to(getattr(torch, DTYPES[dtype]))


def custom_code_files(base: Path | None) -> list[Path]:
    """The ``*.py`` modelling/tokenizer files a base folder's ``auto_map`` refers to (Qwen-style remote code)."""
    import json

    if base is None:
        return []
    names: set[str] = set()
    for cfg in ("config.json", "tokenizer_config.json"):
        path = base / cfg
        if not path.exists():
            continue
        auto_map = json.loads(path.read_text(encoding="utf-8")).get("auto_map") or {}
        for ref in auto_map.values():
            for item in ref if isinstance(ref, list) else [ref]:
                if item:  # "modeling_qwen.QWenLMHeadModel" or "org/repo--modeling_qwen.QWenLMHeadModel"
                    names.add(item.split("--")[-1].rsplit(".", 1)[0] + ".py")
    return sorted(base / n for n in names if (base / n).is_file())


def copy_custom_code(base: Path | None, out: Path) -> list[str]:
    copied = []
    for path in custom_code_files(base):
        shutil.copy2(path, out / path.name)
        copied.append(path.name)
    return copied


def pickles_in(folder: Path) -> list[str]:
    """Files of ``folder`` that are (or may be) pickles: an export must have none."""
    return sorted(p.name for p in folder.iterdir() if p.suffix in PICKLE_SUFFIXES)


def check_shard_size(size: str) -> None:
    """Reject a --max-shard-size transformers cannot read (``2GB``, ``500MB``, ``100KB``)."""
    from transformers.utils.hub import convert_file_size_to_int

    try:
        if convert_file_size_to_int(size) <= 0:
            raise ValueError
    except (ValueError, TypeError):
        raise ExportError(f"--max-shard-size: {size!r} is not a size such as 2GB, 500MB or 100KB") from None


def base_config(base: Path, trust_remote_code: bool):
    from transformers import AutoConfig

    return AutoConfig.from_pretrained(base, trust_remote_code=trust_remote_code)


def check_template(tokenizer, saved: Path, messages: list[dict], trust_remote_code: bool = False) -> None:
    """The saved tokenizer must render a conversation exactly as the in-memory one does."""
    from transformers import AutoTokenizer

    if not tokenizer.chat_template:
        return
    reloaded = AutoTokenizer.from_pretrained(saved, trust_remote_code=trust_remote_code)
    for gen in (False, True):
        a = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=gen)
        b = reloaded.apply_chat_template(messages, tokenize=False, add_generation_prompt=gen)
        if a != b:
            raise ExportError(f"the exported tokenizer renders the chat template differently ({saved})")
