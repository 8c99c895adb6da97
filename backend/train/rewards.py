"""Rewards of the online RL stages (ppo, grpo): rule rewards parsed from text, and a reward model.

Rules (``rl.reward_functions``), each ``KIND:ARGUMENT`` and scored on the completion text only:

- ``contains:WORD``: 1 if the completion contains WORD, else 0.
- ``count:WORD``: how many times WORD occurs in the completion (a denser signal than ``contains``).
- ``regex:PATTERN``: 1 if the Python regular expression PATTERN matches anywhere, else 0.
- ``length:N``: closeness to N completion tokens, ``1 - |n - N| / N`` floored at 0.

Rules are parsed, never evaluated as code; a bad rule raises a :class:`~backend.spec.SpecError` naming
``rl.reward_functions[i]``. The reward model is a sequence classifier saved by an ``rm`` run (full
weights in ``<run>/model``, or a LoRA adapter with its score head in ``<run>/adapter``) or any local
folder holding one, or a hub id; :func:`load_reward_model` loads it from the folder the job names (a run id
or name is resolved to its folder when the run is created).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from backend.spec import JobSpec, SpecError

RULE_KINDS = ("contains", "count", "regex", "length")


def completion_text(completion) -> str:
    """The text of a completion: a string, or the content of the last message of a conversation."""
    if isinstance(completion, str):
        return completion
    return completion[-1]["content"] if completion else ""


@dataclass
class RuleReward:
    """One parsed rule; call it like a TRL reward function (``completions=…, completion_ids=…``)."""

    kind: str
    arg: str
    pattern: re.Pattern | None = None
    target: int = 0

    @property
    def __name__(self) -> str:  # TRL logs each reward function under its ``__name__``
        return f"{self.kind}:{self.arg}"

    def score(self, text: str, n_tokens: int) -> float:
        """The reward of one completion given its text and token count."""
        if self.kind == "contains":
            return float(self.arg in text)
        if self.kind == "count":
            return float(text.count(self.arg))
        if self.kind == "regex":
            return float(self.pattern.search(text) is not None)
        return max(0.0, 1.0 - abs(n_tokens - self.target) / self.target)

    def __call__(self, completions, completion_ids=None, **_) -> list[float]:
        texts = [completion_text(c) for c in completions]
        lengths = [len(ids) for ids in completion_ids] if completion_ids is not None else [len(t) for t in texts]
        return [self.score(t, n) for t, n in zip(texts, lengths, strict=True)]


def parse_rule(text: str, index: int = 0) -> RuleReward:
    """Parse ``'kind:argument'``; errors name ``rl.reward_functions[index]``."""
    field = f"rl.reward_functions[{index}]"
    kind, sep, arg = str(text).partition(":")
    kind = kind.strip().lower()
    if not sep or kind not in RULE_KINDS:
        raise SpecError([(field, f"unknown rule {text!r}; expected one of {', '.join(k + ':…' for k in RULE_KINDS)}")])
    if not arg:
        raise SpecError([(field, f"rule {text!r} has an empty argument after '{kind}:'")])
    if kind == "regex":
        try:
            return RuleReward(kind, arg, pattern=re.compile(arg))
        except re.error as exc:
            raise SpecError([(field, f"invalid regular expression {arg!r}: {exc}")]) from None
    if kind == "length":
        if not arg.strip().isdigit() or int(arg) <= 0:
            raise SpecError([(field, f"length needs a positive whole number of tokens, got {arg!r}")])
        return RuleReward(kind, arg.strip(), target=int(arg))
    return RuleReward(kind, arg)


def parse_rules(rules: list[str]) -> list[RuleReward]:
    """Every rule of ``rl.reward_functions``, parsed."""
    return [parse_rule(rule, i) for i, rule in enumerate(rules)]


# ------------------------------------------------------------------------------------ reward model


def find_reward_model(ref: str, spec: JobSpec) -> Path:
    """The folder of the reward model ``rl.reward_model`` names: a folder (a run's own folder resolves to its
    ``model/`` or ``adapter/``) or a hub id, downloaded by the run's ``downloading`` step. A run id or name was
    resolved to its folder when the run was created (:func:`backend.models.resolve.pin_job_refs`): the trainer never
    opens the run registry."""
    from backend.models.ref import RefError, parse_ref
    from backend.workspace import workspace_home

    home = workspace_home(spec.output.workspace)
    try:
        parsed = parse_ref(ref, home)
    except RefError as exc:
        raise SpecError([("rl.reward_model", str(exc))]) from None
    if parsed.is_hub:
        path = parsed.local_dir(home)
        if not parsed.downloaded(home):
            raise SpecError([("rl.reward_model", f"{parsed.id} is not downloaded (the run downloads it first)")])
    else:
        path = parsed.local_dir(home)  # as given, else inside the workspace
    if not path.is_dir():
        raise SpecError([("rl.reward_model", f"{ref!r} is neither a folder nor a finished run id or name")])
    for sub in ("model", "adapter"):
        if (path / sub / "config.json").exists() or (path / sub / "adapter_config.json").exists():
            return path / sub
    if (path / "config.json").exists() or (path / "adapter_config.json").exists():
        return path
    raise SpecError([("rl.reward_model", f"{path} holds no model (config.json) or adapter (adapter_config.json)")])


def load_reward_model(spec: JobSpec, dtype=None):
    """(model, tokenizer) of ``rl.reward_model``, in eval mode with gradients off.

    An adapter folder is loaded onto the base its ``adapter_config.json`` names and merged, so scoring
    costs one plain forward. A folder without a sequence-classification head (a chat model or its export,
    a causal-LM adapter) is a SpecError: loaded as a classifier it would score with a random head.
    """
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from backend.export.weights import ExportError, adapter_head_labels, is_seq_cls

    folder = find_reward_model(spec.rl.reward_model, spec)
    remote = spec.model.trust_remote_code
    adapter = folder / "adapter_config.json"
    try:
        reward = adapter_head_labels(folder) is not None if adapter.exists() else is_seq_cls(folder)
    except ExportError as exc:
        raise SpecError([("rl.reward_model", str(exc))]) from None
    if not reward:
        raise SpecError([("rl.reward_model", f"{folder} is not a reward model (no sequence-classification head); "
                          "name an rm run, its export or a *ForSequenceClassification folder")])  # fmt: skip
    if adapter.exists():
        from peft import PeftModel

        base_path = json.loads(adapter.read_text(encoding="utf-8")).get("base_model_name_or_path")
        if not base_path or not Path(base_path).exists():
            raise SpecError([("rl.reward_model", f"{adapter}: base model {base_path!r} is not a local folder")])
        base = AutoModelForSequenceClassification.from_pretrained(
            base_path, num_labels=1, dtype=dtype or torch.float32, trust_remote_code=remote
        )
        model = PeftModel.from_pretrained(base, folder).merge_and_unload()
    else:
        model = AutoModelForSequenceClassification.from_pretrained(
            folder, num_labels=1, dtype=dtype or torch.float32, trust_remote_code=remote
        )
    # The rm run's own tokenizer (beside the weights, or with an adapter's base); else the job's, which
    # an rm run trained from the same base shares.
    base_dir = Path(base_path) if adapter.exists() else folder
    tok_dir = next((d for d in (folder, base_dir) if (d / "tokenizer_config.json").exists()), None)
    if tok_dir is None:
        from backend.train.common import load_tokenizer

        tokenizer = load_tokenizer(spec)
    else:
        tokenizer = AutoTokenizer.from_pretrained(tok_dir, trust_remote_code=remote)
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    model.config.pad_token_id = tokenizer.pad_token_id
    model.eval().requires_grad_(False)
    return model, tokenizer


class RewardModelScorer:
    """Scores (prompt messages, completion text) pairs with a sequence-classification reward model."""

    def __init__(self, model, tokenizer, max_length: int = 2048):
        self.model, self.tokenizer, self.max_length = model, tokenizer, max_length

    def __call__(self, prompts: list[list[dict]], completions: list[str]) -> list[float]:
        import torch

        texts = [
            self.tokenizer.apply_chat_template(p + [{"role": "assistant", "content": c}], tokenize=False)
            for p, c in zip(prompts, completions, strict=True)
        ]
        batch = self.tokenizer(
            texts,
            return_tensors="pt",
            padding=True,
            padding_side="right",
            truncation=True,
            max_length=self.max_length,
            add_special_tokens=False,
        ).to(self.model.device)
        with torch.inference_mode():
            return self.model(**batch).logits[:, 0].float().tolist()
