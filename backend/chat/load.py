"""Where a chat model comes from and how it is loaded: base, base + LoRA adapter, or a merged/full model.

    resolve_source("runs/<id>")            -> Source(base=<the run's base>, adapter=runs/<id>/adapter, ...)
    resolve_source("builtin:tiny-llama", adapter="<run>/checkpoints/checkpoint-20")
    load_model_and_tokenizer(source, dtype="auto", bits=4)

A run's base comes from its job.yaml (``model.name_or_path``, resolved in the run's workspace); an adapter
folder outside a run names its base in adapter_config.json. The adapter's own tokenizer wins over the base's:
training saves it beside the adapter, with any tokens it added. Weights load from safetensors only and
modelling code shipped with a model runs only with ``trust_remote_code``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from backend.run.rundir import RunDir
from backend.workspace import workspace_home


class ChatError(ValueError):
    """A problem the user can fix (bad path, bad option, template error), as one human line."""


@dataclass
class Source:
    """What to load: a base (or full/merged) model folder, an optional adapter folder, and the tokenizer's folder."""

    base: Path
    adapter: Path | None
    tokenizer: Path
    name: str


def _run_dir_of(path: Path) -> Path | None:
    """The run folder holding ``path`` (itself, or a parent up to two levels: adapter/, checkpoints/checkpoint-N)."""
    from backend.models.resolve import run_of

    return run_of(path)


def _lookup(name: str, home: Path, field: str = "model") -> Path:
    """The weights folder ``name`` names (:func:`backend.models.resolve.resolve_ref`): a folder, a run's final output
    (``RUN@best``, ``RUN@N``: a checkpoint), ``builtin:``, or a hub id (downloaded now when it is not yet)."""
    from backend.models.ondemand import ensure_local
    from backend.models.resolve import RunNotFound, resolve_ref, weights_dir

    try:
        ref = resolve_ref(name, home)
        return weights_dir(ref, home) if ref.kind == "run" else ensure_local(ref, home, field)
    except RunNotFound:
        raise ChatError(f"{field}: {name!r} is not a folder, a builtin: model or a run of {home}") from None
    except (ValueError, FileNotFoundError) as exc:
        raise ChatError(str(exc)) from exc


def _base_of_adapter(adapter: Path, home: Path) -> Path:
    """The base model of an adapter: from its run's job.yaml, else from adapter_config.json."""
    import json

    from backend.safe_yaml import read_yaml_file

    run = _run_dir_of(adapter)
    if run is not None:
        spec = read_yaml_file(RunDir(run).job) or {}
        base = (spec.get("model") or {}).get("name_or_path")
        if base:
            run_home = Path((spec.get("output") or {}).get("workspace") or run.parent.parent)
            return _lookup(base, workspace_home(run_home))
    config = json.loads((adapter / "adapter_config.json").read_text(encoding="utf-8"))
    base = config.get("base_model_name_or_path")
    if not base:
        raise ChatError(f"{adapter / 'adapter_config.json'}: base_model_name_or_path is empty; pass the base as MODEL")
    return _lookup(base, home)


def resolve_source(model: str, adapter: str | None = None, home=None) -> Source:
    """Work out base, adapter and tokenizer from ``model`` (and ``adapter``), each a folder, run or builtin."""
    home = workspace_home(home)
    first = _lookup(str(model), home)
    if adapter:
        adapter_dir = _lookup(str(adapter), home, "--adapter")
        if not (adapter_dir / "adapter_config.json").is_file():
            raise ChatError(f"--adapter: no adapter_config.json in {adapter_dir}")
        base = first
    elif (first / "adapter_config.json").is_file():
        base, adapter_dir = _base_of_adapter(first, home), first
    else:
        base, adapter_dir = first, None
    if not (base / "config.json").is_file():
        raise ChatError(f"model: no config.json in {base} (not a Hugging Face model folder)")
    has_tok = adapter_dir is not None and any(
        (adapter_dir / f).is_file() for f in ("tokenizer.json", "tokenizer_config.json")
    )
    # The adapter's own tokenizer wins: training saves it beside the adapter (it may have grown the vocabulary).
    tokenizer = adapter_dir if has_tok else base
    name = (_run_dir_of(adapter_dir) or adapter_dir).name if adapter_dir else (_run_dir_of(base) or base).name
    return Source(base=base, adapter=adapter_dir, tokenizer=tokenizer, name=name)


def _pick_dtype(dtype: str, cuda: bool):
    import torch

    names = {"float32": torch.float32, "fp32": torch.float32, "bfloat16": torch.bfloat16, "bf16": torch.bfloat16,
             "float16": torch.float16, "fp16": torch.float16}  # fmt: skip
    if dtype in names:
        return names[dtype]
    if dtype != "auto":
        raise ChatError(f"dtype must be auto, float32, bfloat16 or float16, got {dtype!r}")
    if not cuda:
        return torch.float32  # CPUs without native bf16 run it several times slower (FINDINGS.md)
    return torch.bfloat16 if torch.cuda.get_device_capability(0)[0] >= 8 else torch.float16


def _avoid_bnb_cpu_packing(model) -> None:
    """bitsandbytes 0.50 repacks 4-bit weights for its AVX512-bf16 CPU kernel at the first eval forward and
    fails unless out_features is a multiple of 32 and in_features of the block size (64); builtin:tiny-llama's 688
    is neither (measured). Those layers
    take the generic dequantising path instead; every other layer keeps the fast kernel."""
    from bitsandbytes.nn import Linear4bit

    for module in model.modules():
        state = getattr(module.weight, "quant_state", None) if isinstance(module, Linear4bit) else None
        if state is not None and (module.out_features % 32 or module.in_features % state.blocksize):
            module.support_avx512bf16_for_cpu = False


def load_model_and_tokenizer(source: Source, *, dtype="auto", bits=None, template="auto", trust_remote_code=False,
                             device="auto", merge=True):  # fmt: skip
    """(model, tokenizer, template text, info) for ``source``; the model is in eval mode on its device."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer, BitsAndBytesConfig

    from backend.data.chat_templates import TEMPLATES
    from backend.data.formats import DataError
    from backend.data.templates import resolve_template

    if bits not in (None, 4, 8):
        raise ChatError(f"bits must be 4 or 8, got {bits!r}")
    cuda = torch.cuda.is_available() and device != "cpu"
    torch_dtype = _pick_dtype(dtype, cuda)
    tok = AutoTokenizer.from_pretrained(source.tokenizer, trust_remote_code=trust_remote_code)
    try:
        tmpl = resolve_template(tok, template)
    except DataError as exc:
        raise ChatError(str(exc).replace("data.template", "template")) from exc
    # safetensors only: a pickled checkpoint (.bin) can run code when it is loaded.
    kwargs = dict(dtype=torch_dtype, trust_remote_code=trust_remote_code, use_safetensors=True)
    if bits == 4:
        kwargs["quantization_config"] = BitsAndBytesConfig(
            load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True,
            bnb_4bit_compute_dtype=torch_dtype,
        )  # fmt: skip
    elif bits == 8:
        kwargs["quantization_config"] = BitsAndBytesConfig(load_in_8bit=True)
        # bitsandbytes logs "inputs will be cast to float16" on every 8-bit matmul of fp32 inputs (every token).
        logging.getLogger("bitsandbytes.autograd._functions").setLevel(logging.ERROR)
    if bits and cuda:
        kwargs["device_map"] = {"": 0}
    model = AutoModelForCausalLM.from_pretrained(source.base, **kwargs)
    if bits == 4 and not cuda:
        _avoid_bnb_cpu_packing(model)
    if len(tok) > model.get_input_embeddings().num_embeddings:  # the same growth as training (backend.train)
        model.resize_token_embeddings(len(tok), pad_to_multiple_of=64)
    if source.adapter is not None:
        from peft import PeftModel

        if not (source.adapter / "adapter_model.safetensors").is_file():
            raise ChatError(f"adapter: no adapter_model.safetensors in {source.adapter} (pickled .bin is not loaded)")
        model = PeftModel.from_pretrained(model, source.adapter)
        if merge and not bits:
            model = model.merge_and_unload()
    if cuda and not bits:
        model = model.to("cuda")
    model.eval()
    # A named template's end-of-turn token ends the answer even when the model's generation config omits it.
    gen = model.generation_config
    eos = gen.eos_token_id if isinstance(gen.eos_token_id, list) else [i for i in [gen.eos_token_id] if i is not None]
    named = TEMPLATES.get(template)
    ends = [m for m in (named.eot.strip(), *named.stops) if m != "{eos}"] if named else []
    for extra in (tok.eos_token_id, *(tok.convert_tokens_to_ids(m) for m in ends)):
        if extra is not None and extra != tok.unk_token_id and extra not in eos:
            eos.append(extra)
    gen.eos_token_id = eos
    if gen.pad_token_id is None:
        gen.pad_token_id = tok.pad_token_id if tok.pad_token_id is not None else (eos[0] if eos else None)
    params = sum(p.numel() for p in model.parameters())
    info = dict(name=source.name, base=str(source.base), adapter=str(source.adapter) if source.adapter else None,
                dtype=str(torch_dtype).removeprefix("torch."), bits=bits, device=str(model.device),
                merged=bool(source.adapter and merge and not bits), params=params)  # fmt: skip
    return model, tok, tmpl, info
