"""Stage ``ppo``: RLHF with Proximal Policy Optimisation, on transformers, peft and accelerate.

TRL 1.16 has no PPOTrainer, so the loop is written out here, one step at a time:

1. **Rollout.** Take ``train.per_device_batch_size x train.gradient_accumulation_steps`` prompts and
   sample one completion each from the policy (``rl.max_new_tokens``, ``rl.temperature``); tokens
   after the first stop token are masked out.
2. **Score.** Rule rewards (``rl.reward_functions``) plus the reward model of an ``rm`` run
   (``rl.reward_model``) give one score per completion.
3. **KL-penalised reward.** Every token is charged ``rl.kl_coef x (log pi(a|s) - log ref(a|s))``
   against the frozen reference (the base with the LoRA adapter disabled, or a frozen copy for full
   and freeze training); the score is added at the last token.
4. **GAE.** Advantages from the value head's estimates with ``rl.gamma`` and ``rl.lam``, returns =
   advantages + values; advantages are whitened over the batch's tokens.
5. **Update.** ``rl.ppo_epochs`` passes over the rollouts, each one step of the ``train.optim`` optimiser
   (:func:`optimizer_factory`) accumulated over
   micro-batches of ``train.per_device_batch_size``: the clipped policy loss (``rl.clip_range``) plus
   ``rl.vf_coef`` times the clipped value loss.

The value head is a linear layer on the policy's last hidden state (so the trunk, and with LoRA the
adapter, is shared), and is saved beside the weights as ``value_head.safetensors``. Progress, metric
and checkpoint events are the same kinds the Trainer-based stages emit, so the UI shows a PPO run
like any other. One train step is one rollout batch.
"""

from __future__ import annotations

import math
import shutil
import time
from pathlib import Path

import torch
from torch import nn

from backend.data.prompts import load_prompts
from backend.memory import peak_rss_mb
from backend.run.rundir import RunDir
from backend.spec import JobSpec, SpecError
from backend.train.common import load_model, load_tokenizer, resolve_precision
from backend.train.loop import output_dir
from backend.train.rewards import RewardModelScorer, load_reward_model, parse_rules

PROGRESS_INTERVAL_S = 0.5

# ------------------------------------------------------------------------------------- the maths


def masked_mean(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean of ``x`` over the positions where ``mask`` is 1."""
    return (x * mask).sum() / mask.sum().clamp(min=1)


def whiten(x: torch.Tensor, mask: torch.Tensor, shift_mean: bool = True) -> torch.Tensor:
    """``x`` normalised to unit variance (and zero mean) over the masked positions; 0 elsewhere."""
    mean = masked_mean(x, mask)
    var = masked_mean((x - mean) ** 2, mask)
    out = (x - mean) * torch.rsqrt(var + 1e-8)
    if not shift_mean:
        out = out + mean
    return out * mask


def gae(rewards: torch.Tensor, values: torch.Tensor, mask: torch.Tensor, gamma: float, lam: float):
    """Generalised advantage estimation over completion tokens; returns (advantages, returns).

    ``rewards``, ``values`` and ``mask`` are ``[batch, T]``; masked positions are a sequence's tail, and
    count as terminal: ``delta_t = r_t + gamma * V_{t+1} - V_t``, ``A_t = delta_t + gamma * lam * A_{t+1}``.
    """
    rewards, values = rewards * mask, values * mask
    advantages = torch.zeros_like(rewards)
    last = torch.zeros_like(rewards[:, 0])
    for t in reversed(range(rewards.shape[1])):
        next_value = values[:, t + 1] if t + 1 < rewards.shape[1] else torch.zeros_like(last)
        delta = rewards[:, t] + gamma * next_value - values[:, t]
        last = (delta + gamma * lam * last) * mask[:, t]
        advantages[:, t] = last
    return advantages, advantages + values


def ppo_losses(new_logp, old_logp, advantages, new_values, old_values, returns, mask, clip: float):
    """(policy loss, value loss, clip fraction, approximate KL to the rollout policy), all masked means."""
    ratio = torch.exp(new_logp - old_logp)
    pg = torch.max(-advantages * ratio, -advantages * ratio.clamp(1 - clip, 1 + clip))
    clipped_values = old_values + (new_values - old_values).clamp(-clip, clip)
    vf = 0.5 * torch.max((new_values - returns) ** 2, (clipped_values - returns) ** 2)
    clip_frac = masked_mean(((ratio - 1).abs() > clip).float(), mask)
    approx_kl = 0.5 * masked_mean((new_logp - old_logp) ** 2, mask)
    return masked_mean(pg, mask), masked_mean(vf, mask), clip_frac, approx_kl


def completion_mask(completions: torch.Tensor, stop_ids: list[int]) -> torch.Tensor:
    """1 for every completion token up to and including the first stop token, 0 after it."""
    is_stop = torch.isin(completions, torch.tensor(stop_ids, device=completions.device))
    after = (is_stop.cumsum(1) - is_stop.long()) > 0  # strictly after the first stop
    return (~after).long()


# ------------------------------------------------------------------------------------ the model


class PolicyWithValue(nn.Module):
    """The causal LM (with its adapter) and a scalar value head on its last hidden state."""

    def __init__(self, policy, hidden_size: int):
        super().__init__()
        self.policy = policy
        self.value_head = nn.Linear(hidden_size, 1)
        nn.init.zeros_(self.value_head.weight)  # start from V = 0: no false confidence in early advantages
        nn.init.zeros_(self.value_head.bias)

    def forward(self, input_ids, attention_mask, position_ids):
        out = self.policy(
            input_ids=input_ids,
            attention_mask=attention_mask,
            position_ids=position_ids,
            output_hidden_states=True,
            use_cache=False,
        )
        values = self.value_head(out.hidden_states[-1].to(self.value_head.weight.dtype)).squeeze(-1)
        return out.logits, values


def token_logprobs(logits: torch.Tensor, tokens: torch.Tensor, prompt_len: int, temperature: float):
    """Log-probabilities of the completion ``tokens`` under ``logits`` of the whole sequence.

    The policy is the tempered softmax over the whole vocabulary (as in TRL); ``rl.top_k``/``rl.top_p``
    only narrow which tokens the rollout samples.
    """
    logits = logits[:, prompt_len - 1 : -1].float() / temperature
    return torch.log_softmax(logits, -1).gather(-1, tokens.unsqueeze(-1)).squeeze(-1)


def _positions(mask: torch.Tensor) -> torch.Tensor:
    return (mask.cumsum(1) - 1).clamp(min=0)  # left-padded prompts start at position 0


def load_reference(spec: JobSpec, tokenizer, precision: str, policy):
    """The frozen reference: ``None`` for LoRA/QLoRA (the adapter-disabled policy serves), else a copy."""
    if hasattr(policy, "disable_adapter"):
        return None
    ref_spec = spec.model_copy(update={"method": spec.method.model_copy(update={"type": "full"})})
    return load_model(ref_spec, tokenizer, precision).eval().requires_grad_(False)


def optimizer_factory(spec: JobSpec):
    """A function ``params -> optimiser`` of ``train.optim`` (as the Trainer-based stages build it, through
    transformers' own table: AdamW, fused AdamW, 8-bit AdamW, SGD, Adafactor) at ``train.learning_rate`` with
    ``train.weight_decay`` on every parameter; what :mod:`backend.memory` counts for the optimiser term.

    Call it before creating the ``Accelerator``: ``TrainingArguments`` resets accelerate's shared state."""
    from transformers import Trainer, TrainingArguments

    t = spec.train
    args = TrainingArguments(output_dir="unused", optim=t.optim, learning_rate=t.learning_rate, report_to="none")
    cls, kwargs = Trainer.get_optimizer_cls_and_kwargs(args)
    return lambda params: cls([{"params": params, "weight_decay": t.weight_decay}], **kwargs)


# ---------------------------------------------------------------------------------- the trainer


class PPOTrainer:
    """Rollout -> score -> KL-penalised reward -> GAE -> clipped policy and value updates (see module docs)."""

    def __init__(self, spec: JobSpec, run_dir: Path, events, tokenizer, prompts: list[list[dict]]):
        from accelerate import Accelerator
        from accelerate.utils import set_seed
        from transformers import get_scheduler

        self.spec, self.run_dir, self.events, self.tokenizer = spec, run_dir, events, tokenizer
        self.precision = resolve_precision(spec)
        make_optimizer = optimizer_factory(spec)  # before the Accelerator (see there)
        mixed = {"bf16": "bf16", "fp16": "fp16"}.get(self.precision, "no")
        self.acc = Accelerator(mixed_precision=mixed, cpu=not torch.cuda.is_available())
        set_seed(spec.train.seed)  # python, numpy and torch: the adapter's init and the rollouts repeat
        self.rules = parse_rules(spec.rl.reward_functions)
        self.scorer = None
        if spec.rl.reward_model:
            rm, rm_tokenizer = load_reward_model(spec)
            self.scorer = RewardModelScorer(rm.to(self.acc.device), rm_tokenizer)
        if not self.rules and self.scorer is None:
            raise SpecError([("rl.reward_functions", "ppo needs a reward: set rl.reward_functions or rl.reward_model")])
        policy = load_model(spec, tokenizer, self.precision)
        if spec.train.gradient_checkpointing:
            policy.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
        self.reference = load_reference(spec, tokenizer, self.precision, policy)
        if self.reference is not None:
            self.reference.to(self.acc.device)
        model = PolicyWithValue(policy, policy.config.get_text_config().hidden_size)
        t = spec.train
        optimizer = make_optimizer([p for p in model.parameters() if p.requires_grad])
        self.model, self.optimizer = self.acc.prepare(model, optimizer)
        # Each process takes its own share of the prompts; one step is one rollout batch per process.
        self.prompts = prompts[self.acc.process_index :: self.acc.num_processes] or prompts
        self.batch = t.per_device_batch_size * t.gradient_accumulation_steps
        per_epoch = math.ceil(len(self.prompts) / self.batch)
        self.total_steps = t.max_steps if t.max_steps > 0 else max(1, math.ceil(per_epoch * t.num_epochs))
        updates = self.total_steps * spec.rl.ppo_epochs
        warmup = int(t.warmup_ratio * updates) if t.warmup_ratio < 1 else int(t.warmup_ratio)
        kwargs = {"min_lr_rate": 0.1} if t.lr_scheduler == "cosine_with_min_lr" else None
        self.scheduler = get_scheduler(t.lr_scheduler, optimizer, warmup, updates, scheduler_specific_kwargs=kwargs)
        stops = policy.generation_config.eos_token_id
        self.stop_ids = [stops] if isinstance(stops, int) else list(stops or [tokenizer.eos_token_id])
        self.cursor = 0

    # -- rollout ------------------------------------------------------------------------------------

    def next_prompts(self) -> list[list[dict]]:
        """The next batch of prompts, cycling through them (a new epoch starts where the last one ended)."""
        out = [self.prompts[(self.cursor + i) % len(self.prompts)] for i in range(self.batch)]
        self.cursor += self.batch
        return out

    @torch.no_grad()
    def rollout(self, prompts: list[list[dict]]) -> dict:
        """Sample, score and evaluate one batch: everything the update needs, detached."""
        rl, tok, device = self.spec.rl, self.tokenizer, self.acc.device
        texts = [tok.apply_chat_template(p, add_generation_prompt=True, tokenize=False) for p in prompts]
        enc = tok(
            texts,
            return_tensors="pt",
            padding=True,
            padding_side="left",
            truncation=True,
            truncation_side="left",  # keep the end of a long prompt: the turn to answer
            max_length=self.spec.data.cutoff_len,
            add_special_tokens=False,
        ).to(device)
        unwrapped = self.acc.unwrap_model(self.model)
        unwrapped.eval()
        with self.acc.autocast():
            seqs = unwrapped.policy.generate(
                **enc,
                do_sample=True,
                temperature=rl.temperature,
                top_k=rl.top_k,
                top_p=rl.top_p,
                max_new_tokens=rl.max_new_tokens,
                use_cache=True,
                pad_token_id=tok.pad_token_id,
                eos_token_id=self.stop_ids,
            )
        prompt_len = enc["input_ids"].shape[1]
        completions = seqs[:, prompt_len:]
        mask = completion_mask(completions, self.stop_ids)
        completions = torch.where(mask.bool(), completions, tok.pad_token_id)
        attention = torch.cat([enc["attention_mask"], mask], 1)
        inputs = {"input_ids": torch.cat([enc["input_ids"], completions], 1), "attention_mask": attention}
        inputs["position_ids"] = _positions(attention)
        with self.acc.autocast():
            logits, values = unwrapped(**inputs)
            logp = token_logprobs(logits, completions, prompt_len, rl.temperature)
            ref_logp = token_logprobs(
                self._reference_logits(unwrapped, inputs), completions, prompt_len, rl.temperature
            )
        values = values[:, prompt_len - 1 : -1].float()
        decoded = tok.batch_decode(completions, skip_special_tokens=True)
        ids = [row[m.bool()].tolist() for row, m in zip(completions, mask, strict=True)]
        per_rule = {rule.__name__: rule(decoded, completion_ids=ids) for rule in self.rules}
        scores = torch.tensor([sum(v) for v in zip(*per_rule.values(), strict=True)] or [0.0] * len(decoded))
        if self.scorer is not None:
            rm = self.scorer(prompts, decoded)
            per_rule["reward_model"] = rm
            scores = scores + torch.tensor(rm)
        scores = scores.to(device)
        kl = (logp - ref_logp) * mask
        rewards = -rl.kl_coef * kl
        last = mask.sum(1) - 1  # index of each completion's last real token
        rewards[torch.arange(len(last), device=device), last] += scores
        advantages, returns = gae(rewards, values, mask, rl.gamma, rl.lam)
        return {
            "inputs": inputs,
            "completions": completions,
            "prompt_len": prompt_len,
            "mask": mask,
            "logp": logp,
            "values": values,
            "advantages": whiten(advantages, mask),
            "returns": returns,
            "stats": {
                "reward": scores.mean().item(),
                "reward_std": scores.std().item() if len(scores) > 1 else 0.0,
                # per token, as GRPO logs it; kl_sequence is the whole completion's (TRL's old objective/kl)
                "kl": masked_mean(logp - ref_logp, mask).item(),
                "kl_sequence": kl.sum(1).mean().item(),
                "non_score_reward": rewards.sum(1).mean().item() - scores.mean().item(),
                "completion_length": mask.sum(1).float().mean().item(),
                **{f"rewards/{name}/mean": sum(v) / len(v) for name, v in per_rule.items()},
            },
            "tokens": int(attention.sum()),
        }

    def _reference_logits(self, unwrapped, inputs) -> torch.Tensor:
        if self.reference is not None:
            return self.reference(**inputs, use_cache=False).logits
        with unwrapped.policy.disable_adapter():
            return unwrapped.policy(**inputs, use_cache=False).logits

    # -- update -------------------------------------------------------------------------------------

    def update(self, batch: dict) -> dict:
        """``rl.ppo_epochs`` optimiser steps on one rollout batch; returns the mean losses."""
        rl, t = self.spec.rl, self.spec.train
        self.model.train()
        size, n = t.per_device_batch_size, len(batch["completions"])
        sums = {"loss": 0.0, "policy_loss": 0.0, "value_loss": 0.0, "clip_fraction": 0.0, "approx_kl": 0.0}
        micro_batches = [slice(i, i + size) for i in range(0, n, size)]
        for _ in range(rl.ppo_epochs):
            for part in micro_batches:
                inputs = {k: v[part] for k, v in batch["inputs"].items()}
                with self.acc.autocast():
                    logits, values = self.model(**inputs)
                new_logp = token_logprobs(logits, batch["completions"][part], batch["prompt_len"], rl.temperature)
                new_values = values[:, batch["prompt_len"] - 1 : -1].float()
                pg, vf, clip_frac, approx_kl = ppo_losses(
                    new_logp,
                    batch["logp"][part],
                    batch["advantages"][part],
                    new_values,
                    batch["values"][part],
                    batch["returns"][part],
                    batch["mask"][part],
                    rl.clip_range,
                )
                loss = pg + rl.vf_coef * vf
                self.acc.backward(loss / len(micro_batches))
                for key, value in zip(sums, (loss, pg, vf, clip_frac, approx_kl), strict=True):
                    sums[key] += value.item() / (len(micro_batches) * rl.ppo_epochs)
            if t.max_grad_norm:
                self.acc.clip_grad_norm_(self.model.parameters(), t.max_grad_norm)
            self.optimizer.step()
            self.scheduler.step()
            self.optimizer.zero_grad(set_to_none=True)
        return sums

    # -- the loop -----------------------------------------------------------------------------------

    def train(self) -> dict:
        """Run every step, emitting progress/metric/checkpoint events; returns the last logged metrics."""
        t, events = self.spec.train, self.events
        start, last_progress, tokens_seen = time.time(), 0.0, 0
        window: list[dict] = []
        events.emit("progress", step=0, total_steps=self.total_steps, epoch=0.0, elapsed=0.0, eta=None)
        events.log(f"training for {self.total_steps} steps")
        last: dict = {}
        for step in range(1, self.total_steps + 1):
            batch = self.rollout(self.next_prompts())
            tokens_seen += batch["tokens"] * self.acc.num_processes
            window.append({**batch["stats"], **self.update(batch)})
            elapsed = time.time() - start
            timing = {"elapsed": round(elapsed, 2), "eta": round(elapsed / step * (self.total_steps - step), 2)}
            epoch = round(step * self.batch / len(self.prompts), 4)
            if step % t.logging_steps == 0 or step == 1 or step == self.total_steps:
                last = self._reduce(window)
                window = []
                lr = self.scheduler.get_last_lr()[0]
                events.emit("metric", step=step, total_steps=self.total_steps, epoch=epoch, tokens_seen=tokens_seen,
                            learning_rate=lr, **last, **timing)  # fmt: skip
            if time.time() - last_progress >= PROGRESS_INTERVAL_S or step == self.total_steps:
                last_progress = time.time()
                events.emit("progress", step=step, total_steps=self.total_steps, epoch=epoch, **timing)
            if t.save_steps and step % t.save_steps == 0 and step < self.total_steps:
                self.save(RunDir(self.run_dir).checkpoint(step))
                events.emit("checkpoint", step=step, path=str(RunDir(self.run_dir).checkpoint(step)))
                self._prune_checkpoints()
        return {**last, "train_runtime": round(time.time() - start, 2), "tokens_seen": tokens_seen}

    def _reduce(self, window: list[dict]) -> dict:
        """The mean of each metric over the logging window, averaged over processes."""
        keys = window[0].keys()
        local = torch.tensor([[sum(w[k] for w in window) / len(window) for k in keys]], device=self.acc.device)
        mean = self.acc.gather(local).mean(0)
        return {k: round(v, 6) for k, v in zip(keys, mean.tolist(), strict=True)}

    def save(self, folder: Path) -> None:
        """The policy (adapter or full weights), value head and tokenizer, as safetensors, on the main process."""
        from safetensors.torch import save_file

        self.acc.wait_for_everyone()
        if not self.acc.is_main_process:
            return
        unwrapped = self.acc.unwrap_model(self.model)
        unwrapped.policy.save_pretrained(folder)
        self.tokenizer.save_pretrained(folder)
        head = {k: v.detach().cpu().contiguous() for k, v in unwrapped.value_head.state_dict().items()}
        save_file(head, str(folder / "value_head.safetensors"))

    def _prune_checkpoints(self) -> None:
        limit = self.spec.train.save_total_limit
        folder = RunDir(self.run_dir).checkpoints
        if not limit or not self.acc.is_main_process:
            return
        found = sorted(folder.glob("checkpoint-*"), key=lambda p: int(p.name.split("-")[-1]))
        for old in found[:-limit]:
            shutil.rmtree(old, ignore_errors=True)


def run(spec: JobSpec, run_dir: Path, events) -> dict:
    if spec.train.resume_from_checkpoint:
        raise SpecError([("train.resume_from_checkpoint", "ppo cannot resume from a checkpoint yet; start afresh")])
    tokenizer = load_tokenizer(spec)
    prompts = load_prompts(spec, events)
    trainer = PPOTrainer(spec, run_dir, events, tokenizer, prompts)
    trainable = sum(p.numel() for p in trainer.model.parameters() if p.requires_grad)
    rewards = [r.__name__ for r in trainer.rules] + (["reward model"] if trainer.scorer else [])
    events.log(
        f"ppo: {len(prompts)} prompts, {trainer.batch} rollouts per step, {spec.rl.ppo_epochs} epochs each; "
        f"rewards: {', '.join(rewards)}; {trainable / 1e6:.2f}M trainable parameters; precision {trainer.precision}"
    )
    metrics = trainer.train()
    out = output_dir(spec, run_dir)
    trainer.save(out)
    metrics["final_reward"] = metrics.get("reward")
    metrics["final_kl"] = metrics.get("kl")
    metrics["peak_rss_mb"] = round(peak_rss_mb(), 1)
    metrics["output_dir"] = str(out)
    return metrics
