"""Stage ``grpo``: Group Relative Policy Optimisation with TRL's GRPOTrainer.

prompts (generation or chat records, :mod:`backend.data.prompts`) -> ``rl.num_generations`` sampled
completions per prompt -> rewards (rule rewards of ``rl.reward_functions`` plus the reward model of
``rl.reward_model``, summed) -> advantages normalised within each prompt's group -> clipped policy
update with a KL penalty (``rl.kl_coef``) to the reference. With LoRA/QLoRA the reference is the base
model with the adapter disabled, so no second copy of the weights is held.

``train.per_device_batch_size`` counts prompts; each step trains on that many prompts times
``rl.num_generations`` completions. TRL logs ``reward``, ``rewards/<rule>/mean``, ``kl``, ``entropy``,
``clip_ratio/*`` and ``completions/mean_length``; the EventsCallback turns them into metric events.
"""

from __future__ import annotations

from pathlib import Path

from backend.data.prompts import load_prompts
from backend.spec import JobSpec, SpecError
from backend.train.callbacks import EventsCallback
from backend.train.common import load_model, load_tokenizer, lora_config, resolve_precision
from backend.train.loop import finish
from backend.train.preference import trl_config
from backend.train.rewards import load_reward_model, parse_rules


def grpo_config(spec: JobSpec, run_dir: Path, precision: str):
    """A ``GRPOConfig``: :func:`backend.train.preference.trl_config` (the studio's training arguments, TRL's
    bf16 and gradient-checkpointing defaults replaced by the spec's) plus the ``rl`` section."""
    from trl import GRPOConfig

    t, rl = spec.train, spec.rl
    return trl_config(
        GRPOConfig,
        spec,
        run_dir,
        precision,
        has_eval=False,
        # train.per_device_batch_size counts prompts; the trainer's batch holds every completion of them.
        per_device_train_batch_size=t.per_device_batch_size * rl.num_generations,
        remove_unused_columns=False,  # the reward functions read the prompt records' columns
        include_num_input_tokens_seen="no",  # GRPO batches are prompt records, not input_ids
        trust_remote_code=spec.model.trust_remote_code,
        num_generations=rl.num_generations,
        max_completion_length=rl.max_new_tokens,
        temperature=rl.temperature,
        top_k=rl.top_k,
        top_p=rl.top_p,
        beta=rl.kl_coef,
        epsilon=rl.clip_range,
        log_completions=False,
    )


def reward_functions(spec: JobSpec, precision: str):
    """(reward functions, their processing classes) for GRPOTrainer: the rules, then the reward model."""
    funcs: list = list(parse_rules(spec.rl.reward_functions))
    classes: list = [None] * len(funcs)
    if spec.rl.reward_model:
        import torch

        dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(precision, torch.float32)
        model, tokenizer = load_reward_model(spec, dtype=dtype)
        # TRL logs a model's reward under its config's name; use the same name as the ppo stage
        model.config._name_or_path = "reward_model"
        funcs.append(model)
        classes.append(tokenizer)
    if not funcs:
        raise SpecError([("rl.reward_functions", "grpo needs a reward: set rl.reward_functions or rl.reward_model")])
    return funcs, classes


def run(spec: JobSpec, run_dir: Path, events) -> dict:
    import datasets
    from trl import GRPOTrainer

    tokenizer = load_tokenizer(spec)
    prompts = load_prompts(spec, events)
    train_ds = datasets.Dataset.from_list([{"prompt": p} for p in prompts])
    precision = resolve_precision(spec)
    funcs, classes = reward_functions(spec, precision)
    # The bare base and the adapter's config: TRL wraps it and uses the adapter-disabled base as the reference,
    # rather than copying the adapter into a second "ref" adapter that would be saved too.
    model = load_model(spec, tokenizer, precision, peft_by_trainer=True)
    peft_config = lora_config(spec)
    model.config.use_cache = True  # generation needs the KV cache; TRL turns it off for the training forward
    args = grpo_config(spec, run_dir, precision)
    trainer = GRPOTrainer(
        model=model,
        reward_funcs=funcs,
        args=args,
        train_dataset=train_ds,
        processing_class=tokenizer,
        reward_processing_classes=classes,
        peft_config=peft_config,
        callbacks=[EventsCallback(events)],
    )
    trainable = sum(p.numel() for p in trainer.model.parameters() if p.requires_grad)
    rewards = ", ".join(getattr(f, "__name__", "reward model") for f in funcs)
    events.log(
        f"grpo: {len(prompts)} prompts x {spec.rl.num_generations} generations, rewards: {rewards}; "
        f"{trainable / 1e6:.2f}M trainable parameters; precision {precision}"
    )
    return finish(trainer, spec, run_dir, tokenizer, extra=lambda: final_reward(trainer))


def final_reward(trainer) -> dict:
    """The last logged mean reward and KL to the reference."""
    logged = [h for h in trainer.state.log_history if "reward" in h]
    if not logged:
        return {}
    out = {"final_reward": logged[-1]["reward"]}
    if "kl" in logged[-1]:
        out["final_kl"] = logged[-1]["kl"]
    return out
