"""What every stage shares: precision, tokenizer and model loading, the update method, trainer
arguments, and a Trainer whose loss only computes logits where a label needs them.
"""

from __future__ import annotations

import importlib.util
import math
import os
from pathlib import Path

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer, Trainer, TrainingArguments

from backend.data.packing import IGNORE_INDEX
from backend.spec import JobSpec, SpecError
from backend.workspace import resolve_model_path, workspace_home


def resolve_precision(spec: JobSpec) -> str:
    """bf16/fp16/fp32 for this process's GPUs: the one rule (:func:`backend.launch.resolve_precision` and its
    bf16 rule :func:`backend.launch.native_bf16`) on what torch sees here."""
    from backend.launch import Hardware, native_bf16
    from backend.launch import resolve_precision as rule

    n = torch.cuda.device_count() if torch.cuda.is_available() else 0
    majors = [torch.cuda.get_device_capability(i)[0] for i in range(n)]
    return rule(spec, Hardware(gpu_count=n, bf16_supported=native_bf16(majors)))


def load_tokenizer(spec: JobSpec):
    """The tokenizer of the job, with a pad token (the end-of-text token when it has none)."""
    home = workspace_home(spec.output.workspace)
    field = "model.tokenizer" if spec.model.tokenizer else "model.name_or_path"
    path = resolve_model_path(spec.model.tokenizer or spec.model.name_or_path, home, field)
    if not (Path(path) / "tokenizer_config.json").exists() and not (Path(path) / "tokenizer.json").exists():
        raise FileNotFoundError(f"model.tokenizer: no tokenizer files in {path}")
    tokenizer = AutoTokenizer.from_pretrained(path, trust_remote_code=spec.model.trust_remote_code)
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def torch_dtype_of(spec: JobSpec, precision: str) -> torch.dtype:
    if spec.model.dtype != "auto":
        return getattr(torch, spec.model.dtype)
    # Frozen weights (LoRA/QLoRA/freeze) can live in the compute dtype; fully trained weights stay
    # fp32 masters and the Trainer autocasts.
    if spec.method.type in ("lora", "qlora") and precision in ("bf16", "fp16"):
        return torch.bfloat16 if precision == "bf16" else torch.float16
    return torch.float32


def load_model(spec: JobSpec, tokenizer, precision: str, *, auto_class=None, peft_by_trainer: bool = False, **kwargs):
    """The one model loader of every stage: the model of the job, built or loaded, with its update method.

    Contract, for every stage: ``train.seed`` is set first (LoRA's A matrices, resized embedding rows and a
    new head are drawn here, before any Trainer seeds); ``model.from_scratch`` builds the architecture, else
    ``model.name_or_path`` is loaded (``FileNotFoundError`` ``model.name_or_path: no config.json in …`` when the
    folder holds no model) in :func:`torch_dtype_of`, quantised for qlora (:func:`bnb_config`), with the spec's
    attention and ``trust_remote_code``; the KV cache is off; embeddings grow (to a multiple of 64) when the
    tokenizer has more tokens.

    The stages differ only in the arguments:

    * ``auto_class`` (default ``AutoModelForCausalLM``): another head, e.g. ``AutoModelForSequenceClassification``
      with ``num_labels=1`` (``kwargs`` go to ``from_pretrained``) for the reward model;
    * ``peft_by_trainer``: lora/qlora stay bare because the TRL trainer wraps them itself from
      :func:`lora_config` (and then uses the adapter-disabled base as the reference); full and freeze are
      applied here either way. The config then also carries the tokenizer's pad id, which TRL and a
      classification head read. Without it (SFT, PT, PPO) the adapter is applied here (:func:`apply_method`).
    """
    from transformers import set_seed

    # train.seed covers initialisation: LoRA's A matrices (and any resized embedding rows, and a reward model's
    # new head) are drawn here, before the Trainer seeds anything; unseeded, two runs of one job (or a run and
    # its resumed attempt's reference) trained different adapters.
    set_seed(spec.train.seed)
    dtype = torch_dtype_of(spec, precision)
    if spec.model.from_scratch and spec.model.architecture.shape:
        from backend.shapes import build_shape_model

        model = build_shape_model(tokenizer, spec.model.architecture.shape, seed=spec.train.seed)
        model.config._attn_implementation = spec.model.attn_implementation
    elif spec.model.from_scratch:
        from backend.builtin import build_tiny_model

        arch = spec.model.architecture.model_dump()
        family = arch.pop("family")
        if arch["num_key_value_heads"] is None:
            arch["num_key_value_heads"] = arch["num_attention_heads"]
        model = build_tiny_model(tokenizer, arch=arch, family=family, seed=spec.train.seed)
        model.config._attn_implementation = spec.model.attn_implementation
    else:
        home = workspace_home(spec.output.workspace)
        path = resolve_model_path(spec.model.name_or_path, home, "model.name_or_path")
        if not (Path(path) / "config.json").exists():
            raise FileNotFoundError(f"model.name_or_path: no config.json in {path}")
        kwargs.update(dtype=dtype, attn_implementation=spec.model.attn_implementation)
        if spec.method.type == "qlora":
            kwargs["quantization_config"] = bnb_config(spec, precision)
        cls = auto_class or AutoModelForCausalLM
        model = cls.from_pretrained(path, trust_remote_code=spec.model.trust_remote_code, **kwargs)
    # Packed rows are recognised from position ids only without a KV cache; training never needs one.
    model.config.use_cache = False
    if peft_by_trainer:
        model.config.pad_token_id = tokenizer.pad_token_id
    if len(tokenizer) > model.get_input_embeddings().num_embeddings:
        model.resize_token_embeddings(len(tokenizer), pad_to_multiple_of=64)
    if peft_by_trainer and spec.method.type in ("lora", "qlora"):
        return model
    return apply_method(model, spec)


def bnb_config(spec: JobSpec, precision: str):
    from transformers import BitsAndBytesConfig

    q = spec.method.quant
    compute = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(precision, torch.float32)
    if q.bits == 8:
        return BitsAndBytesConfig(load_in_8bit=True)
    return BitsAndBytesConfig(
        load_in_4bit=True,
        bnb_4bit_quant_type=q.quant_type,
        bnb_4bit_use_double_quant=q.double_quant,
        bnb_4bit_compute_dtype=compute,
        bnb_4bit_quant_storage=compute if compute != torch.float32 else torch.uint8,
    )


def decoder_layers(model) -> torch.nn.ModuleList:
    """The stack of decoder layers of a causal LM (Llama/Qwen/Mistral… keep it at ``model.layers``)."""
    for path in ("model.layers", "transformer.h", "model.decoder.layers", "gpt_neox.layers"):
        obj = model
        for part in path.split("."):
            obj = getattr(obj, part, None)
        if isinstance(obj, torch.nn.ModuleList):
            return obj
    raise ValueError("method.freeze: cannot find the decoder layers of this model")


def lora_config(spec: JobSpec, task_type: str = "CAUSAL_LM"):
    """The ``peft.LoraConfig`` of ``method.lora`` for the trainer to apply; None unless lora/qlora."""
    from peft import LoraConfig

    if spec.method.type not in ("lora", "qlora"):
        return None
    lora = spec.method.lora
    return LoraConfig(
        r=lora.rank,
        lora_alpha=lora.alpha,
        lora_dropout=lora.dropout,
        target_modules=lora.target_modules,
        use_rslora=lora.use_rslora,
        use_dora=lora.use_dora,
        # SEQ_CLS: peft adds the new head (score/classifier) to these, trains it in full and saves it.
        modules_to_save=lora.modules_to_save or None,
        task_type=task_type,
    )


def apply_method(model, spec: JobSpec):
    """Freeze or wrap the model as ``method.type`` says."""
    method = spec.method
    if method.type == "full":
        return model
    if method.type == "freeze":
        model.requires_grad_(False)
        layers = decoder_layers(model)
        n = method.freeze.trainable_layers
        for layer in list(layers)[len(layers) - n :] if n else []:
            layer.requires_grad_(True)
        for name, param in model.named_parameters():
            if any(key in name for key in method.freeze.extra_modules):
                param.requires_grad_(True)
        if not any(p.requires_grad for p in model.parameters()):
            raise ValueError(
                "method.freeze: no parameter is left trainable; raise trainable_layers or add extra_modules"
            )
        return model
    from peft import get_peft_model, prepare_model_for_kbit_training

    if method.type == "qlora":
        model = prepare_model_for_kbit_training(
            model,
            use_gradient_checkpointing=spec.train.gradient_checkpointing,
            gradient_checkpointing_kwargs={"use_reentrant": False},
        )
    return get_peft_model(model, lora_config(spec))


def report_to(trackers: list[str]) -> list[str] | str:
    """The trackers of ``train.report_to`` that are installed; a named one that is not is a config error.

    The studio's own events always flow; trackers are extra. wandb and swanlab never run unless listed.
    """
    missing = [t for t in trackers if importlib.util.find_spec(t) is None]
    if missing:
        raise SpecError([("train.report_to", f"{', '.join(missing)} is not installed (pip install {missing[0]})")])
    return list(trackers) or "none"


def training_arguments(spec: JobSpec, run_dir: Path, precision: str, has_eval: bool) -> TrainingArguments:
    """``TrainingArguments`` from the spec (events, not tqdm, report progress)."""
    t = spec.train
    # keep_best saves a checkpoint at each new best (backend.train.best), which the Trainer protects from
    # rotation only under a "steps" strategy; 10**9 then means "no periodic saves besides those".
    save = "steps" if t.save_steps or t.keep_best else "no"
    if t.use_liger_kernel and importlib.util.find_spec("liger_kernel") is None:
        raise SpecError([("train.use_liger_kernel", "needs the liger-kernel package (pip install liger-kernel)")])
    kwargs = dict(
        output_dir=str(run_dir / "checkpoints"),
        per_device_train_batch_size=t.per_device_batch_size,
        per_device_eval_batch_size=t.per_device_batch_size,
        gradient_accumulation_steps=t.gradient_accumulation_steps,
        learning_rate=t.learning_rate,
        num_train_epochs=t.num_epochs,
        max_steps=t.max_steps,
        lr_scheduler_type=t.lr_scheduler,
        lr_scheduler_kwargs={"min_lr_rate": 0.1} if t.lr_scheduler == "cosine_with_min_lr" else {},
        warmup_steps=t.warmup_ratio if t.warmup_ratio < 1 else 0,
        weight_decay=t.weight_decay,
        max_grad_norm=t.max_grad_norm,
        optim=t.optim,
        seed=t.seed,
        data_seed=t.seed,
        bf16=precision == "bf16",
        fp16=precision == "fp16",
        gradient_checkpointing=t.gradient_checkpointing,
        gradient_checkpointing_kwargs={"use_reentrant": False},
        logging_steps=t.logging_steps,
        logging_first_step=True,
        save_strategy=save,
        save_steps=t.save_steps or (10**9 if t.keep_best else 500),
        save_total_limit=t.save_total_limit,
        eval_strategy="steps" if has_eval and t.eval_steps else "no",
        eval_steps=t.eval_steps or None,
        report_to=report_to(t.report_to),
        neftune_noise_alpha=t.neftune_alpha,
        use_liger_kernel=t.use_liger_kernel,
        disable_tqdm=True,
        include_num_input_tokens_seen="non_padding",
        remove_unused_columns=False,
        prediction_loss_only=True,
        dataloader_num_workers=0,
        ddp_find_unused_parameters=False,
    )  # no save_safetensors: transformers 5 always saves weights as safetensors
    # transformers 5 dropped TrainingArguments.logging_dir; its TensorBoard callback reads this variable.
    os.environ["TENSORBOARD_LOGGING_DIR"] = str(run_dir / "tensorboard")
    # Set by backend.launch when torchrun starts CPU workers (gloo); unset for one process.
    kwargs["ddp_backend"] = os.environ.get("STUDIO_DDP_BACKEND") or None
    # DeepSpeed's config reaches the Trainer through accelerate (ACCELERATE_DEEPSPEED_CONFIG_FILE); passing
    # it here as well drops ddp_backend and fails on CPU with a batch-size assertion (measured).
    return TrainingArguments(**kwargs)


class StudioTrainer(Trainer):
    """A Trainer whose causal-LM loss computes the output head only at positions that have a label.

    In SFT most prompt tokens carry no loss, yet a stock forward projects every position onto the
    whole vocabulary (for a small model that head is a large share of the FLOPs). A forward
    pre-hook on the output embedding hands it only the hidden states of labelled positions, and the
    loss is the token-level cross entropy summed and divided by the labelled-token count of the whole
    accumulated batch (as transformers does, so gradient accumulation is exact).
    """

    loss_is_scaled_for_ga = True

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        labels = inputs.pop("labels")
        targets = labels[:, 1:]
        keep = targets.ne(IGNORE_INDEX)
        head = self.accelerator.unwrap_model(model).get_output_embeddings()

        def select(_module, args):
            hidden = args[0]
            return (hidden[:, :-1][keep],) + tuple(args[1:])

        handle = head.register_forward_pre_hook(select)
        try:
            outputs = model(**inputs, use_cache=False)
        finally:
            handle.remove()
        logits = outputs.logits.float()
        loss = torch.nn.functional.cross_entropy(logits, targets[keep], reduction="sum")
        if num_items_in_batch is None:
            loss = loss / keep.sum().clamp(min=1)
        else:
            loss = loss / num_items_in_batch
            if self.args.average_tokens_across_devices and self.accelerator.num_processes > 1:
                # num_items_in_batch counts every process's tokens while DDP averages gradients.
                loss = loss * self.accelerator.num_processes
        inputs["labels"] = labels
        return (loss, outputs) if return_outputs else loss


def eval_metrics(metrics: dict) -> dict:
    """Add perplexity beside every eval loss."""
    out = dict(metrics)
    for key, value in metrics.items():
        if key.endswith("eval_loss") and isinstance(value, float) and value < 50:
            out[key.replace("loss", "perplexity")] = math.exp(value)
    return out
