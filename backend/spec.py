"""The JobSpec: the one contract between the UI, the CLI, presets and the trainer.

A JobSpec is a typed, composed model (``model``, ``method``, ``data``, ``train``, ``distributed``,
``output``) that loads from and saves to YAML. Every field carries exactly one description, which is
the help text everywhere: ``studio fields``, ``--set`` help, UI tooltips and the docs.

Validation errors always name the dotted field and what was expected, e.g.
``train.learning_rate: must be greater than 0 (got -1)``. Unknown keys are errors too, so a typo in
a YAML file never silently falls back to a default.

This module imports no torch: the UI process loads it at start-up.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from backend.run.launchers.slurm_spec import SlurmSpec
from backend.safe_yaml import MAX_BYTES as MAX_YAML_BYTES
from backend.safe_yaml import load_yaml, read_yaml_file, yaml_problem
from backend.stages import IMPLEMENTED_STAGES, STAGE_NAMES, stage_info, stages_where

SPEC_VERSION = 1


class SpecError(ValueError):
    """A JobSpec could not be loaded or validated.

    ``errors`` is a list of ``(field, message)`` pairs; ``field`` is a dotted path such as
    ``data.sources[0].path`` (or ``""`` for errors about the whole document), and ``source`` names
    the file the spec came from, when there was one.
    """

    def __init__(self, errors: list[tuple[str, str]], source: str | None = None):
        from backend.failures import field_once  # each field named once, not "x[0]: x[0].path: …"

        self.errors = errors = [field_once(f, m) for f, m in errors]
        self.source = source
        lines = [f"{f}: {m}" if f else m for f, m in errors]
        head = f"invalid job spec {source}" if source else "invalid job spec"
        super().__init__(head + ":\n  " + "\n  ".join(lines) if len(lines) > 1 else f"{head}: {lines[0]}")


class _Section(BaseModel):
    """Base of every section: unknown keys are errors, assignments are validated."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)


# --------------------------------------------------------------------------------------------- model


class ArchitectureSpec(_Section):
    """Shape of a model trained from scratch (Llama/Qwen2-style decoder)."""

    shape: (
        Literal["qwen2.5-0.5b", "qwen2.5-1.5b", "qwen2.5-7b", "llama-3.2-1b", "llama-3.2-3b", "llama-3.1-8b"] | None
    ) = Field(
        None,
        description=(
            "A released model's exact architecture (sizes, heads, vocabulary, RoPE) with random weights; "
            "when set it replaces family and every size below."
        ),
    )
    family: Literal["llama", "qwen2"] = Field(
        "llama", description="Model family of the from-scratch architecture (Hugging Face model_type)."
    )
    hidden_size: int = Field(256, gt=0, description="Width of the residual stream.")
    num_hidden_layers: int = Field(4, gt=0, description="Number of decoder layers.")
    num_attention_heads: int = Field(4, gt=0, description="Number of attention heads.")
    num_key_value_heads: int | None = Field(
        None, gt=0, description="Key/value heads for grouped-query attention; empty means equal to the attention heads."
    )
    intermediate_size: int = Field(688, gt=0, description="Hidden width of the MLP.")
    max_position_embeddings: int = Field(2048, gt=0, description="Longest sequence the positions support.")
    rope_theta: float = Field(10000.0, gt=0, description="RoPE base frequency.")
    tie_word_embeddings: bool = Field(True, description="Share the input embedding and the output head.")

    @model_validator(mode="after")
    def _heads_divide(self) -> ArchitectureSpec:
        if self.hidden_size % self.num_attention_heads:
            raise _field_error("num_attention_heads", "must divide hidden_size", self.num_attention_heads)
        kv = self.num_key_value_heads or self.num_attention_heads
        if self.num_attention_heads % kv:
            raise _field_error("num_key_value_heads", "must divide num_attention_heads", kv)
        return self


class ModelSpec(_Section):
    """Which model to train and how to load it."""

    name_or_path: str | None = Field(
        "builtin:tiny-llama",
        description=(
            "Local directory of a Hugging Face model, or 'builtin:tiny-llama' for the studio's own tiny model "
            "(built on first use). For from-scratch training this only supplies the tokenizer, unless "
            "'tokenizer' is set."
        ),
    )
    tokenizer: str | None = Field(
        None, description="Tokenizer directory, if it differs from name_or_path ('builtin:tiny-tokenizer' works too)."
    )
    from_scratch: bool = Field(
        False, description="Initialise the weights at random from 'architecture' instead of loading them."
    )
    architecture: ArchitectureSpec = Field(
        default_factory=ArchitectureSpec, description="Architecture used when from_scratch is true."
    )
    dtype: Literal["auto", "float32", "bfloat16", "float16"] = Field(
        "auto", description="Dtype the weights are loaded in; 'auto' follows train.precision."
    )
    attn_implementation: Literal["sdpa", "eager", "flash_attention_2"] = Field(
        "sdpa", description="Attention kernel; flash_attention_2 needs the flash-attn package and a GPU."
    )
    trust_remote_code: bool = Field(
        False, description="Run modelling code shipped inside the model directory. Only tick this for models you trust."
    )


# -------------------------------------------------------------------------------------------- method


class LoraSpec(_Section):
    """LoRA adapter parameters (used by the lora and qlora methods)."""

    rank: int = Field(8, gt=0, description="LoRA rank r.")
    alpha: float = Field(16.0, gt=0, description="LoRA scaling alpha (the update is scaled by alpha/r).")
    dropout: float = Field(0.0, ge=0, lt=1, description="Dropout on the LoRA input.")
    target_modules: list[str] | Literal["all-linear"] = Field(
        "all-linear", description="Module names to adapt, e.g. [q_proj, v_proj], or 'all-linear'."
    )
    use_rslora: bool = Field(False, description="Rank-stabilised LoRA: scale by alpha/sqrt(r).")
    use_dora: bool = Field(False, description="Weight-decomposed LoRA (DoRA).")
    modules_to_save: list[str] = Field(
        default_factory=list,
        description="Modules trained in full beside the adapter, e.g. [embed_tokens, lm_head] after vocabulary growth.",
    )


class QuantSpec(_Section):
    """bitsandbytes quantisation of the frozen base (qlora method)."""

    bits: Literal[4, 8] = Field(4, description="Quantisation bits of the frozen base weights.")
    quant_type: Literal["nf4", "fp4"] = Field("nf4", description="4-bit data type.")
    double_quant: bool = Field(True, description="Quantise the quantisation constants too (saves ~0.4 bit/param).")


class FreezeSpec(_Section):
    """Which parameters stay trainable with the freeze method."""

    trainable_layers: int = Field(2, ge=0, description="Train the last N decoder layers; the rest stay frozen.")
    extra_modules: list[str] = Field(
        default_factory=list,
        description="Further parameters to train, by name substring (e.g. embed_tokens, lm_head, norm).",
    )


class MethodSpec(_Section):
    """How the weights are updated."""

    type: Literal["full", "freeze", "lora", "qlora"] = Field(
        "lora",
        description=(
            "full: all weights; freeze: the last layers only; lora: adapters; qlora: adapters on a 4/8-bit base."
        ),
    )
    lora: LoraSpec = Field(default_factory=LoraSpec, description="LoRA parameters (lora, qlora).")
    quant: QuantSpec = Field(default_factory=QuantSpec, description="Quantisation parameters (qlora).")
    freeze: FreezeSpec = Field(default_factory=FreezeSpec, description="Freeze parameters (freeze).")


# ---------------------------------------------------------------------------------------------- data


class DataSource(_Section):
    """One dataset file or folder."""

    path: str = Field(
        ...,
        min_length=1,
        description=(
            "A .jsonl, .json, .jsonl.zst, .parquet, .csv or .txt file or a folder of them (a relative path is read "
            "from the workspace, e.g. data/uploads/x.jsonl for an upload); 'builtin:samples/…' for shipped samples; "
            "'dataset:<name>' for a dataset of the workspace's datasets.yaml."
        ),
    )
    format: Literal[
        "auto",
        "text",
        "alpaca",
        "sharegpt",
        "messages",
        "xtuner",
        "firefly",
        "preference",
        "kto",
        "choice",
        "generation",
    ] = Field("auto", description="Record format; 'auto' detects it from the first record.")
    weight: float = Field(
        1.0,
        gt=0,
        description=(
            "Mixing weight: this source's share of the training tokens, relative to the other sources' weights "
            "(see data.mix)."
        ),
    )
    max_samples: int | None = Field(None, gt=0, description="Use at most this many records of the source.")
    max_epochs: float | None = Field(
        None,
        gt=0,
        description=(
            "Epoch cap when mixing: the most passes the mix may take over this source (above 1 upsamples it); "
            "empty: no cap."
        ),
    )
    name: str | None = Field(
        None, description="Short name shown in mix plans and events; empty uses the file or folder name."
    )


class MixSpec(_Section):
    """How several sources are mixed into one training stream (the data-mix viewer's policy)."""

    strategy: Literal["auto", "concat", "interleave"] = Field(
        "auto",
        description=(
            "concat: every record of every source once, in natural proportions; interleave: sample sources by "
            "token share (weights, temperature, epoch caps, budget); auto: interleave when any of those is set."
        ),
    )
    temperature: float | None = Field(
        None,
        ge=0,
        le=1,
        description=(
            "Temperature alpha: token share proportional to weight x source size^alpha (1 natural sizes, 0 weights "
            "only); empty: weights only."
        ),
    )
    total_tokens: int | None = Field(
        None, gt=0, description="Token budget of the mix; empty: until the first source reaches its epoch cap."
    )
    policy: str | None = Field(
        None,
        description=(
            "A sample-policy YAML saved by the data-mix viewer; its sources and mix settings replace data.sources "
            "and data.mix when the spec is loaded."
        ),
    )
    policy_from: str | None = Field(None, description="Set on load: the policy file these sources came from.")


class DataSpec(_Section):
    """What the model is trained on."""

    sources: list[DataSource] = Field(..., min_length=1, description="Dataset files; at least one.")
    mix: MixSpec = Field(default_factory=MixSpec, description="Mixing of several sources.")
    streaming: bool = Field(
        False,
        description=(
            "Read sources as streams while training (for sets larger than memory): nothing is cached or loaded "
            "whole; needs train.max_steps, and data.val_size as a record count."
        ),
    )
    template: str = Field(
        "auto",
        description=(
            "Chat template: 'auto' uses the tokenizer's own chat_template (chatml when it has none), a path to a "
            ".jinja file, or a named one (chatml, qwen, qwen3, qwen3-nothink, yi, internlm2, llama3, llama2, "
            "mistral, baichuan2, chatglm3, glm4, glm4.5, deepseek, deepseek-r1, empty: assistant turns only, for "
            "incremental pretraining on conversation data). The loss covers each reply as the template renders it "
            "plus its end-of-turn text; a template whose replies cannot be located is refused."
        ),
    )
    cutoff_len: int = Field(
        1024, gt=0, description="Maximum tokens per training sequence; longer samples are truncated."
    )
    packing: bool = Field(
        True,
        description=(
            "Pack several samples into one sequence without padding; attention never crosses sample boundaries."
        ),
    )
    train_on_prompt: bool = Field(False, description="SFT: also compute the loss on system and user tokens.")
    mask_history: bool = Field(
        False, description="SFT: compute the loss on the last assistant turn only, not on earlier answers."
    )
    skip_bad_records: bool = Field(
        False,
        description=(
            "Skip records that fail validation (malformed JSON, missing fields, bad role order) and log how many; "
            "off: the run fails with the first 'file:line: field: problem'."
        ),
    )
    val_size: float = Field(
        0.0, ge=0, description="Held-out validation split: a fraction (<1) or a record count (>=1); 0 disables it."
    )
    preprocessing_workers: int | None = Field(
        None, gt=0, description="Processes for tokenisation; empty picks a value from the CPU count."
    )

    @model_validator(mode="before")
    @classmethod
    def _apply_policy(cls, data: Any) -> Any:
        # The policy is folded in once, here: the saved job.yaml then holds the sources it produced (with
        # policy_from as provenance), so a run is reproducible even if the policy file changes later.
        mix = data.get("mix") if isinstance(data, dict) else None
        if not isinstance(mix, dict) or not mix.get("policy"):
            return data
        policy = load_policy(mix["policy"])
        merged = {**policy.mix.model_dump(), "policy": None, "policy_from": str(mix["policy"])}
        return {**data, "sources": [s.model_dump() for s in policy.sources], "mix": merged}


class MixPolicy(_Section):
    """A sample policy, as the data-mix viewer saves it: sources with weights and caps, and mix settings.

    The same models as ``data.sources`` and ``data.mix``, so a policy the viewer writes is validated by
    the same code that validates a JobSpec.
    """

    version: int = Field(1, description="Policy format version.")
    sources: list[DataSource] = Field(..., min_length=1, description="Sources with their weights and epoch caps.")
    mix: MixSpec = Field(default_factory=MixSpec, description="Mix settings (temperature, token budget).")

    def to_yaml(self) -> str:
        """YAML text of the policy."""
        body = self.model_dump(mode="json", exclude_none=True)
        body["mix"].pop("policy_from", None)
        return "# sample policy for data.mix.policy (studio data-mix viewer)\n" + yaml.safe_dump(
            body, sort_keys=False, allow_unicode=True
        )


def load_policy(path: str | os.PathLike) -> MixPolicy:
    """Read and validate a sample-policy YAML; errors name ``data.mix.policy``, the file and the field."""
    file = Path(path).expanduser()
    if not file.is_absolute() and not file.exists():
        from backend.workspace import workspace_home  # torch-free; here to keep the import graph flat

        file = workspace_home() / file
    try:
        data = read_yaml_file(file)
    except (OSError, UnicodeDecodeError) as exc:
        raise _field_error("mix.policy", f"cannot read {file}: {getattr(exc, 'strerror', None) or exc}", None) from None
    except yaml.YAMLError as exc:
        raise _field_error("mix.policy", f"{file}: {yaml_problem(exc)}", None) from None
    if not isinstance(data, dict):
        raise _field_error("mix.policy", f"{file}: expected a mapping with 'sources'", None)
    try:
        return MixPolicy.model_validate(data)
    except ValidationError as exc:
        field, message = _humanise(exc.errors()[0], MixPolicy)
        raise _field_error("mix.policy", f"{file}: {field}: {message}", None) from None


# ------------------------------------------------------------------------------- preference and RL


class PrefSpec(_Section):
    """Preference stages (rm, dpo, kto, orpo): the loss and its strength."""

    beta: float = Field(0.1, gt=0, description="dpo/kto/orpo: strength of the preference term (DPO's beta).")
    loss_type: Literal["sigmoid", "ipo", "hinge"] = Field(
        "sigmoid", description="dpo: loss variant (sigmoid is the original DPO, ipo and hinge are alternatives)."
    )
    sft_weight: float = Field(
        0.0, ge=0, description="dpo: weight of an added SFT loss on the chosen reply (0 disables it)."
    )
    desirable_weight: float = Field(1.0, gt=0, description="kto: loss weight of desirable (label true) examples.")
    undesirable_weight: float = Field(1.0, gt=0, description="kto: loss weight of undesirable examples.")


class RLSpec(_Section):
    """Online RL stages (ppo, grpo): where rewards come from and how rollouts are made."""

    reward_model: str | None = Field(
        None, description="A reward model: an rm run (id, name or directory) or a local folder; empty: rules only."
    )
    reward_functions: list[str] = Field(
        default_factory=list,
        description="Rule rewards added to the reward model's score, e.g. 'contains:谢谢' or 'length:64'.",
    )
    num_generations: int = Field(4, gt=1, description="grpo: completions sampled per prompt (the group).")
    max_new_tokens: int = Field(64, gt=0, description="Tokens generated per rollout.")
    temperature: float = Field(1.0, gt=0, description="Sampling temperature of rollouts.")
    top_k: int = Field(
        0, ge=0, description="Sample rollouts from the top-k tokens only; 0 samples from the whole vocabulary."
    )
    top_p: float = Field(1.0, gt=0, le=1, description="Nucleus sampling of rollouts; 1 disables it.")
    kl_coef: float = Field(0.05, ge=0, description="Weight of the KL penalty to the reference model.")
    ppo_epochs: int = Field(4, gt=0, description="ppo: optimisation passes over each batch of rollouts.")
    clip_range: float = Field(0.2, gt=0, description="ppo/grpo: clipping of the policy ratio.")
    vf_coef: float = Field(0.1, gt=0, description="ppo: weight of the value-function loss.")
    gamma: float = Field(1.0, gt=0, le=1, description="ppo: discount factor.")
    lam: float = Field(0.95, gt=0, le=1, description="ppo: GAE lambda.")


class EvalSpec(_Section):
    """Evaluation while training, besides the eval loss on data.val_size (pt and sft stages)."""

    choice_data: str | None = Field(
        None, description="A single-choice file (C-Eval layout) scored by option-letter logits during training."
    )
    prompts_data: str | None = Field(
        None, description="A generation-prompt file; the answers are logged and saved per evaluation."
    )
    every_steps: int = Field(
        0, ge=0, description="Evaluate every N steps; 0 uses train.eval_steps, or only the end when that is 0 too."
    )
    few_shot: int = Field(0, ge=0, description="Few-shot examples per single-choice question.")
    max_new_tokens: int = Field(64, gt=0, description="Tokens generated per prompt.")
    limit: int | None = Field(200, gt=0, description="Use at most this many records of each file per evaluation.")
    stop_check: bool = Field(
        True,
        description=(
            "SFT: after training, reply greedily to 3 training prompts and warn when the model never stops at its "
            "end-of-turn token (a template or EOS mismatch)."
        ),
    )


# --------------------------------------------------------------------------------------------- train


class EarlyStoppingSpec(_Section):
    """Stop a pt/sft run when its evaluation metric stops improving (see ``backend.train.best``)."""

    patience: int = Field(
        0, ge=0, description="Stop after this many evaluations in a row without improvement; 0 turns it off."
    )
    min_delta: float = Field(0.0, ge=0, description="The least change of the metric that counts as an improvement.")
    metric: Literal["eval_loss", "eval_choice_acc"] = Field(
        "eval_loss",
        description=(
            "eval_loss (lower is better; needs data.val_size and train.eval_steps) or eval_choice_acc "
            "(single-choice accuracy, higher is better; needs eval.choice_data and an evaluation interval)."
        ),
    )


class TrainSpec(_Section):
    """Optimisation, precision, logging and checkpoints."""

    num_epochs: float = Field(1.0, gt=0, description="Passes over the training data (ignored when max_steps > 0).")
    max_steps: int = Field(-1, description="Stop after this many optimiser steps; -1 trains num_epochs.")
    per_device_batch_size: int = Field(4, gt=0, description="Sequences (or packed rows) per device per step.")
    gradient_accumulation_steps: int = Field(1, gt=0, description="Micro-batches accumulated per optimiser step.")
    learning_rate: float = Field(2e-4, gt=0, description="Peak learning rate.")
    lr_scheduler: Literal["linear", "cosine", "constant", "constant_with_warmup", "cosine_with_min_lr"] = Field(
        "cosine", description="Learning-rate schedule after warm-up."
    )
    warmup_ratio: float = Field(0.0, ge=0, le=1, description="Fraction of the steps spent warming up.")
    weight_decay: float = Field(0.0, ge=0, description="AdamW weight decay.")
    max_grad_norm: float = Field(1.0, ge=0, description="Gradient clipping norm; 0 disables clipping.")
    optim: Literal["adamw_torch", "adamw_torch_fused", "adamw_8bit", "paged_adamw_8bit", "sgd", "adafactor"] = Field(
        "adamw_torch", description="Optimiser."
    )
    seed: int = Field(42, description="Random seed for data order, initialisation and dropout.")
    precision: Literal["auto", "bf16", "fp16", "fp32"] = Field(
        "auto",
        description=(
            "Compute precision; 'auto' picks bf16 only on GPUs that run it natively, fp16 on older GPUs, "
            "fp32 on CPU (bf16 autocast on CPU is 4-25x slower)."
        ),
    )
    gradient_checkpointing: bool = Field(
        False, description="Recompute activations in the backward pass: less memory, about 30% slower."
    )
    logging_steps: int = Field(5, gt=0, description="Log metrics every N optimiser steps.")
    save_steps: int = Field(0, ge=0, description="Save a checkpoint every N steps; 0 saves only at the end.")
    eval_steps: int = Field(
        0, ge=0, description="Evaluate on the validation split every N steps; 0 evaluates only at the end."
    )
    save_total_limit: int | None = Field(2, gt=0, description="Keep at most this many checkpoints (empty keeps all).")
    early_stopping: EarlyStoppingSpec = Field(
        default_factory=EarlyStoppingSpec, description="Stop when the evaluation metric stops improving."
    )
    keep_best: bool = Field(
        False,
        description=(
            "Save a checkpoint whenever early_stopping.metric reaches a new best and keep it beside the last "
            "save_total_limit ones; export, chat and evaluate can then pick 'best'."
        ),
    )
    report_to: list[Literal["tensorboard", "mlflow", "wandb", "swanlab"]] = Field(
        default_factory=lambda: ["tensorboard"],
        description=(
            "Experiment trackers besides the studio's own events: tensorboard writes runs/<id>/tensorboard "
            "(offline); mlflow, wandb and swanlab only when installed and listed here."
        ),
    )
    neftune_alpha: float | None = Field(
        None, gt=0, description="NEFTune: noise added to the input embeddings while training (e.g. 5); empty: off."
    )
    use_liger_kernel: bool = Field(
        False, description="Liger fused kernels (GPU, when the liger-kernel package is installed)."
    )
    resume_from_checkpoint: str | None = Field(
        None, description="'latest' or a checkpoint directory to resume from; empty starts fresh."
    )
    save_on_sigterm: bool = Field(
        False,
        description=(
            "On SIGTERM (a cluster preempting the job, a plain abort), save a checkpoint at the end of the "
            "current step before stopping, so the run can be resumed. The Stop & save button does this "
            "whatever this says."
        ),
    )


# --------------------------------------------------------------------------------------- distributed


class DistributedSpec(_Section):
    """Processes, devices, machines and DeepSpeed."""

    num_processes: int = Field(
        1, gt=0, description="Training processes on this machine (one per GPU; on CPU, gloo workers)."
    )
    gpu_ids: list[int] | None = Field(
        None, description="GPU indices to use, e.g. [0, 1]; empty uses the first num_processes GPUs."
    )
    num_machines: int = Field(1, gt=0, description="Machines taking part (multi-node).")
    machine_rank: int = Field(0, ge=0, description="This machine's rank among num_machines (0 is the main machine).")
    main_process_ip: str | None = Field(None, description="Address of the rank-0 machine (multi-node).")
    main_process_port: int = Field(29500, gt=0, lt=65536, description="Port of the rank-0 machine.")
    zero_stage: Literal[0, 1, 2, 3] = Field(
        0, description="DeepSpeed ZeRO stage; 0 means plain data parallel (no DeepSpeed)."
    )
    offload_optimizer: bool = Field(False, description="DeepSpeed: keep optimiser states in CPU memory.")
    offload_params: bool = Field(False, description="DeepSpeed ZeRO-3: keep parameters in CPU memory.")
    launcher: Literal["local", "slurm"] = Field(
        "local",
        description=(
            "Where the run starts: local (this machine) or slurm (a batch job on a Slurm cluster, one node per "
            "machine; the run directory must be on a file system the nodes share)."
        ),
    )
    slurm: SlurmSpec = Field(default_factory=SlurmSpec, description="Batch-job settings when launcher is slurm.")

    @model_validator(mode="after")
    def _consistent(self) -> DistributedSpec:
        if self.machine_rank >= self.num_machines:
            raise _field_error("machine_rank", f"must be < num_machines ({self.num_machines})", self.machine_rank)
        if self.launcher == "slurm" and self.gpu_ids is not None:
            raise _field_error("gpu_ids", "Slurm assigns the GPUs; leave it empty and set slurm.gpus_per_node", None)
        if self.num_machines > 1 and not self.main_process_ip and self.launcher != "slurm":
            raise _field_error("main_process_ip", "is required when num_machines > 1", None)
        if self.offload_optimizer and self.zero_stage == 0:
            raise _field_error("offload_optimizer", "needs zero_stage 1, 2 or 3", True)
        if self.offload_params and self.zero_stage != 3:
            raise _field_error("offload_params", "needs zero_stage 3", True)
        if self.gpu_ids is not None and len(self.gpu_ids) != self.num_processes:
            raise _field_error("gpu_ids", f"must list num_processes ({self.num_processes}) GPUs", self.gpu_ids)
        return self


# -------------------------------------------------------------------------------------------- output


class OutputSpec(_Section):
    """Where results go."""

    run_name: str | None = Field(
        None,
        pattern=r"^[\w.\-]+$",
        description="Name of the run (letters, digits, _ . -); empty derives one from stage and method.",
    )
    workspace: str | None = Field(None, description="Workspace directory; empty uses $STUDIO_HOME or ./workspace.")


# ------------------------------------------------------------------------------------------- jobspec


class JobSpec(_Section):
    """A complete training job."""

    version: int = Field(SPEC_VERSION, description="Spec format version.")
    stage: Literal[STAGE_NAMES] = Field(  # type: ignore[valid-type]
        "sft",
        description=(
            "Training stage: pt (pretraining, continued or from scratch), sft (supervised fine-tuning), "
            "rm (reward model), dpo, kto or orpo (preference training on pairs or labelled replies), "
            "ppo or grpo (online RL against rule rewards and/or a reward model)."
        ),
    )
    model: ModelSpec = Field(default_factory=ModelSpec, description="The model.")
    method: MethodSpec = Field(default_factory=MethodSpec, description="The update method.")
    data: DataSpec = Field(..., description="The training data.")
    train: TrainSpec = Field(default_factory=TrainSpec, description="Optimisation and checkpoints.")
    eval: EvalSpec = Field(default_factory=EvalSpec, description="Evaluation during training.")
    pref: PrefSpec = Field(default_factory=PrefSpec, description="Preference stages (rm, dpo, kto, orpo).")
    rl: RLSpec = Field(default_factory=RLSpec, description="Online RL stages (ppo, grpo).")
    distributed: DistributedSpec = Field(default_factory=DistributedSpec, description="Processes and DeepSpeed.")
    output: OutputSpec = Field(default_factory=OutputSpec, description="Run name and workspace.")

    @model_validator(mode="after")
    def _cross_checks(self) -> JobSpec:
        if self.stage not in IMPLEMENTED_STAGES:
            raise _field_error(
                "stage",
                f"'{self.stage}' is planned but not available yet; available: {', '.join(IMPLEMENTED_STAGES)}",
                self.stage,
            )
        if self.model.from_scratch and self.method.type in ("lora", "qlora", "freeze"):
            raise _field_error(
                "method.type", "from-scratch training updates every weight; use 'full'", self.method.type
            )
        if self.model.from_scratch and not stage_info(self.stage).from_scratch:
            raise _field_error(
                "model.from_scratch", f"the {self.stage} stage starts from a trained model; set it to false", True
            )
        if self.data.streaming and not stage_info(self.stage).streaming:
            raise _field_error(
                "data.streaming", f"the {self.stage} stage loads its records whole; set it to false", True
            )
        if self.model.from_scratch and not (self.model.tokenizer or self.model.name_or_path):
            raise _field_error("model.tokenizer", "is required for from-scratch training", None)
        if not self.model.from_scratch and not self.model.name_or_path:
            raise _field_error("model.name_or_path", "is required unless model.from_scratch is true", None)
        if self.data.streaming and self.train.max_steps <= 0:
            raise _field_error(
                "train.max_steps", "must be set (> 0) with data.streaming: a stream has no length", self.train.max_steps
            )
        if self.data.streaming and 0 < self.data.val_size < 1:
            raise _field_error("data.val_size", "must be a record count (>= 1) with data.streaming", self.data.val_size)
        _check_best(self)
        if self.method.type == "qlora" and self.distributed.zero_stage == 3:
            raise _field_error(
                "distributed.zero_stage", "ZeRO-3 cannot shard a bitsandbytes-quantised base; use 0-2", 3
            )
        return self

    # -- YAML ---------------------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """Plain-Python form (JSON/YAML-safe)."""
        return self.model_dump(mode="json")

    def to_yaml(self) -> str:
        """The YAML text of the full spec (every field, defaults included)."""
        return yaml.safe_dump(self.to_dict(), sort_keys=False, allow_unicode=True)

    def save(self, path: str | os.PathLike) -> None:
        """Write the spec as YAML to ``path``."""
        Path(path).write_text(self.to_yaml(), encoding="utf-8")


class _FieldError(ValueError):
    """Raised inside validators; carries the field so the message can name it."""

    def __init__(self, field: str, message: str, value: Any):
        self.field, self.message, self.value = field, message, value
        super().__init__(f"{field}: {message}")


def _field_error(field: str, message: str, value: Any) -> _FieldError:
    return _FieldError(field, message, value)


def _check_best(spec: JobSpec) -> None:
    """train.early_stopping / train.keep_best need an evaluation that produces their metric."""
    t, stop = spec.train, spec.train.early_stopping
    if not (stop.patience or t.keep_best):
        return
    field = "train.early_stopping.patience" if stop.patience else "train.keep_best"
    value = stop.patience or t.keep_best
    if not stage_info(spec.stage).evaluates:
        evaluating = " and ".join(stages_where(evaluates=True))
        raise _field_error(field, f"works with the {evaluating} stages, not {spec.stage}", value)
    if stop.metric == "eval_loss" and not spec.data.val_size:
        raise _field_error("data.val_size", f"must be > 0 for {field} on eval_loss (a held-out split)", 0)
    if stop.metric == "eval_loss" and not t.eval_steps:
        raise _field_error("train.eval_steps", f"must be > 0 for {field} on eval_loss (evaluate during training)", 0)
    if stop.metric == "eval_choice_acc" and not spec.eval.choice_data:
        raise _field_error("eval.choice_data", f"is required for {field} on eval_choice_acc", None)
    if stop.metric == "eval_choice_acc" and not (spec.eval.every_steps or t.eval_steps):
        raise _field_error("eval.every_steps", f"must be > 0 (or train.eval_steps) for {field} on eval_choice_acc", 0)


# --------------------------------------------------------------------------------------- loading


def _dotted(loc: tuple) -> str:
    """pydantic's error location as ``data.sources[0].path``.

    Union members and validators add parts such as ``list[str]``, ``literal['all-linear']`` or
    ``function-after[...]``; they name no field and are dropped.
    """
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif "[" not in str(part):
            out += ("." if out else "") + str(part)
    return out


def _humanise(err: dict, root: type[BaseModel]) -> tuple[str, str]:
    """Turn one pydantic error into ``(dotted field, message)``."""
    loc = tuple(p for p in err["loc"] if isinstance(p, int) or "[" not in str(p))  # see _dotted
    ctx = err.get("ctx") or {}
    inner = ctx.get("error")
    if isinstance(inner, _FieldError):
        base = _dotted(loc)
        field = f"{base}.{inner.field}" if base else inner.field
        got = "" if inner.value is None else f" (got {inner.value!r})"
        return field, inner.message + got
    field = _dotted(loc)
    kind = err["type"]
    value = err.get("input")
    if kind == "extra_forbidden":
        parent = _section_at(root, loc[:-1])
        known = ", ".join(parent.model_fields) if parent else ""
        return field, f"unknown field; expected one of: {known}"
    if kind == "missing":
        return field, "is required"
    # pydantic says "Input should be greater than 0"; the studio says "must be greater than 0".
    msg = re.sub(r"^(Input|Value|List|String|Dictionary|Tuple) should ", "must ", err["msg"])
    msg = msg.removeprefix("Value error, ")
    return field, f"{msg} (got {value!r})"


def _section_at(root: type[BaseModel], loc: tuple) -> type[BaseModel] | None:
    model: Any = root
    for part in loc:
        if isinstance(part, int):
            continue
        field = getattr(model, "model_fields", {}).get(part)
        if field is None:
            return None
        ann = field.annotation
        args = getattr(ann, "__args__", ())
        model = (
            ann
            if isinstance(ann, type) and issubclass(ann, BaseModel)
            else next((a for a in args if isinstance(a, type) and issubclass(a, BaseModel)), None)
        )
        if model is None:
            return None
    return model


def spec_from_dict(data: Any, source: str | None = None) -> JobSpec:
    """Validate a plain mapping into a JobSpec; raise SpecError naming every bad field."""
    if not isinstance(data, dict):
        raise SpecError([("", f"expected a mapping of sections at the top level, got {type(data).__name__}")], source)
    try:
        return JobSpec.model_validate(data)
    except ValidationError as exc:
        raise SpecError([_humanise(e, JobSpec) for e in exc.errors()], source) from None


def load_spec(path: str | os.PathLike) -> JobSpec:
    """Load and validate a JobSpec YAML file with the bounded loader (``backend.safe_yaml``).

    Every failure is a SpecError naming the file: missing, not UTF-8, over ``MAX_BYTES``, a YAML syntax
    error or a YAML bomb (aliases, depth) with its line, or a bad field.
    """
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_YAML_BYTES:
            raise SpecError(
                [("", f"the file is {size:,} bytes; a job spec may be at most {MAX_YAML_BYTES:,}")], str(path)
            )
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SpecError([("", "file not found")], str(path)) from None
    except UnicodeDecodeError as exc:
        raise SpecError([("", f"not UTF-8 text (byte {exc.start})")], str(path)) from None
    except OSError as exc:
        raise SpecError([("", f"cannot read: {exc.strerror or exc}")], str(path)) from None
    return spec_from_yaml(text, source=str(path))


def spec_from_yaml(text: str, source: str | None = None) -> JobSpec:
    """Parse YAML text (bounded: ``backend.safe_yaml``) into a validated JobSpec."""
    try:
        data = load_yaml(text)
    except yaml.YAMLError as exc:
        raise SpecError([("", yaml_problem(exc))], source) from None
    return spec_from_dict(data if data is not None else {}, source)


def apply_overrides(spec: JobSpec, overrides: list[str]) -> JobSpec:
    """Apply ``dotted.field=value`` overrides (values parsed as YAML scalars/lists) and revalidate."""
    data = spec.to_dict()
    for item in overrides:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise SpecError([("", f"override {item!r} must look like section.field=value")])
        try:
            value = load_yaml(raw) if raw.strip() else None
        except yaml.YAMLError:
            value = raw
        node = data
        parts = key.strip().split(".")
        for part in parts[:-1]:
            if not isinstance(node.get(part), dict):
                raise SpecError([(key, "unknown section")])
            node = node[part]
        node[parts[-1]] = value
    return spec_from_dict(data)


# --------------------------------------------------------------------------------- field docs


def field_docs(model: type[BaseModel] = JobSpec, prefix: str = "") -> dict[str, dict[str, Any]]:
    """Every leaf field as ``{dotted: {"type", "default", "description", "choices"}}``.

    This is the single source of help text for the CLI, the UI tooltips and the docs.
    """
    out: dict[str, dict[str, Any]] = {}
    for name, field in model.model_fields.items():
        dotted = f"{prefix}{name}"
        ann = field.annotation
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            out.update(field_docs(ann, dotted + "."))
            continue
        choices = _literal_choices(ann)
        default = None if field.is_required() else field.get_default(call_default_factory=True)
        if isinstance(default, BaseModel):
            default = default.model_dump(mode="json")
        out[dotted] = {
            "type": _type_name(ann),
            "default": default,
            "description": field.description or "",
            "choices": choices,
        }
    return out


def _literal_choices(ann: Any) -> list[Any] | None:
    if getattr(ann, "__origin__", None) is Literal:
        return list(ann.__args__)
    return None


def _type_name(ann: Any) -> str:
    if getattr(ann, "__origin__", None) is Literal:
        return "choice"
    return getattr(ann, "__name__", None) or str(ann).replace("typing.", "")


def describe(field: str) -> str:
    """The description of one dotted field (used for tooltips)."""
    return field_docs().get(field, {}).get("description", "")
