"""The evaluators: perplexity, single-choice accuracy, generation samples and reward-pair accuracy.

Each takes a loaded model and tokenizer (see :mod:`backend.eval.load` for loading a base, run, checkpoint,
adapter or export) and a data file or folder (see :mod:`backend.eval.data` for what each task reads),
and returns a plain dict that ``studio eval`` stores as JSON with the run. The same functions run during
training from :class:`backend.train.eval_callback.EvalCallback`.

- :func:`perplexity`: token-weighted NLL where training puts the loss (every token of text records, with
  documents cut into ``cutoff_len`` pieces as pretraining does; assistant turns of chat records, as SFT does).
- :func:`choice_accuracy` (in :mod:`backend.eval.choice`): option letters scored by next-token logits.
- :func:`generate_samples`: answers to fixed prompts, beside their references, written as JSONL.
- :func:`reward_accuracy`: how often a sequence-classification reward model scores chosen above rejected.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from backend.eval.choice import choice_accuracy
from backend.eval.data import EvalRecord, read_records

__all__ = ["perplexity", "choice_accuracy", "generate_samples", "reward_accuracy"]


def _rows(records: list[EvalRecord], tokenizer, template: str, cutoff_len: int) -> list[dict]:
    """Tokenised rows with training's labels: text pieces (all tokens) or chat (assistant tokens only)."""
    from backend.data.packing import chunk_document
    from backend.data.templates import encode_chat, encode_text

    rows = []
    for r in records:
        if "text" in r.value:
            pieces = chunk_document(encode_text(tokenizer, r.value["text"]), cutoff_len)
            rows += [{"input_ids": p, "labels": list(p)} for p in pieces if len(p) > 1]
        else:
            enc = encode_chat(tokenizer, r.value["messages"], template, cutoff_len)
            if any(x != -100 for x in enc["labels"][1:]):
                rows.append(enc)
    return rows


def perplexity(model, tokenizer, path, template: str, cutoff_len: int = 1024, batch_size: int = 4,
               limit: int | None = None, records: list[EvalRecord] | None = None) -> dict:  # fmt: skip
    """Perplexity of ``path``: ``exp`` of the mean NLL over every token that carries a label.

    Returns ``{"nll", "perplexity", "tokens", "records", "rows"}``; ``tokens`` counts the predicted tokens
    (a row's first token is never predicted, as in training).
    """
    import torch
    import torch.nn.functional as F

    from backend.data.packing import Collator

    records = records if records is not None else read_records(path, "ppl", limit)
    rows = _rows(records, tokenizer, template, cutoff_len)
    if not rows:
        raise ValueError(f"{path}: no tokens to score (every record is empty or has no assistant turn)")
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    collate = Collator(pad, pad_to_multiple_of=1)
    total, count = 0.0, 0
    with torch.no_grad():
        for start in range(0, len(rows), batch_size):
            batch = {k: v.to(model.device) for k, v in collate(rows[start : start + batch_size]).items()}
            labels = batch.pop("labels")
            logits = model(**batch).logits[:, :-1].float()
            target = labels[:, 1:]
            total += F.cross_entropy(logits.reshape(-1, logits.shape[-1]), target.reshape(-1),
                                     ignore_index=-100, reduction="sum").item()  # fmt: skip
            count += int((target != -100).sum())
    nll = total / count
    return {"nll": nll, "perplexity": math.exp(min(nll, 700.0)), "tokens": count, "records": len(records),
            "rows": len(rows)}  # fmt: skip


def _char_f1(output: str, reference: str) -> float:
    """Bag-of-characters F1 (no word segmentation, so it means the same for Chinese and English)."""
    from collections import Counter

    a, b = Counter(output.replace(" ", "")), Counter(reference.replace(" ", ""))
    common = sum((a & b).values())
    if not common:
        return 0.0
    p, r = common / sum(a.values()), common / sum(b.values())
    return 2 * p * r / (p + r)


def generate_samples(model, tokenizer, path, template: str, max_new_tokens: int = 256, greedy: bool = True,
                     out_path=None, batch_size: int = 8, limit: int | None = None,
                     records: list[EvalRecord] | None = None, temperature: float = 0.7, top_p: float = 0.9,
                     seed: int = 0, synced_gpus: bool = False) -> dict:  # fmt: skip
    """Answers to the prompts of ``path``, each beside its reference; written as JSONL to ``out_path``.

    Returns ``{"samples", "outputs": [{"where", "prompt", "reference", "output", "tokens", "finish_reason"}],
    "mean_output_tokens", "exact_match", "char_f1", "path"}``; the two scores are over prompts with a
    reference (None when none has one). ``greedy=False`` samples with ``temperature``/``top_p`` and ``seed``.
    """
    import torch

    from backend.data.templates import render

    records = records if records is not None else read_records(path, "generate", limit)
    gen = model.generation_config
    eos = gen.eos_token_id if isinstance(gen.eos_token_id, list) else [gen.eos_token_id, tokenizer.eos_token_id]
    eos = [i for i in dict.fromkeys(eos) if i is not None]
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else eos[0]
    kwargs = dict(max_new_tokens=max_new_tokens, eos_token_id=eos, pad_token_id=pad, use_cache=True)
    kwargs.update(do_sample=False) if greedy else kwargs.update(do_sample=True, temperature=temperature, top_p=top_p)
    if not greedy:
        torch.manual_seed(seed)
    side, outputs = tokenizer.padding_side, []
    tokenizer.padding_side = "left"
    try:
        for start in range(0, len(records), batch_size):
            batch = records[start : start + batch_size]
            prompts = [render(tokenizer, r.value["prompt"], template, add_generation_prompt=True) for r in batch]
            enc = tokenizer(prompts, return_tensors="pt", padding=True, add_special_tokens=False).to(model.device)
            with torch.no_grad():
                out = model.generate(**enc, **kwargs, synced_gpus=synced_gpus)
            for r, ids in zip(batch, out[:, enc["input_ids"].shape[1] :].tolist(), strict=True):
                ends = [i for i, t in enumerate(ids) if t in eos]
                n = ends[0] + 1 if ends else len(ids)
                text = tokenizer.decode(ids[:n], skip_special_tokens=True).strip()
                outputs.append(dict(where=r.where, prompt=r.value["prompt"], reference=r.value["reference"],
                                    output=text, tokens=n, finish_reason="stop" if ends else "length"))  # fmt: skip
    finally:
        tokenizer.padding_side = side
    scored = [o for o in outputs if o["reference"]]
    result = {
        "samples": len(outputs),
        "mean_output_tokens": sum(o["tokens"] for o in outputs) / len(outputs),
        "exact_match": sum(o["output"] == o["reference"].strip() for o in scored) / len(scored) if scored else None,
        "char_f1": sum(_char_f1(o["output"], o["reference"]) for o in scored) / len(scored) if scored else None,
        "outputs": outputs,
        "path": None,
    }
    if out_path is not None:
        out_path = Path(out_path)
        out_path.parent.mkdir(parents=True, exist_ok=True)
        with open(out_path, "w", encoding="utf-8") as fh:
            fh.writelines(json.dumps(o, ensure_ascii=False) + "\n" for o in outputs)
        result["path"] = str(out_path)
    return result


def _scores(model, tokenizer, texts: list[str], cutoff_len: int):
    import torch

    enc = tokenizer(texts, return_tensors="pt", padding=True, truncation=True, max_length=cutoff_len,
                    add_special_tokens=False).to(model.device)  # fmt: skip
    with torch.no_grad():
        return model(**enc).logits[:, 0].float().tolist()


def reward_accuracy(reward_model, tokenizer, path, template: str | None = None, batch_size: int = 8,
                    cutoff_len: int = 1024, limit: int | None = None,
                    records: list[EvalRecord] | None = None) -> dict:  # fmt: skip
    """Pair accuracy of a sequence-classification reward model on the preference pairs of ``path``.

    Each side is the whole conversation (prompt + reply) rendered with ``template`` (the tokenizer's own
    when None), scored by the model's first logit. Returns ``{"accuracy", "pairs", "ties", "margin_mean",
    "margin_std", "pairs_detail": [{"where", "chosen", "rejected", "margin"}]}``; a tie counts as wrong.
    """
    from backend.data.templates import render, resolve_template

    records = records if records is not None else read_records(path, "reward", limit)
    template = template or resolve_template(tokenizer, "auto")
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    if reward_model.config.pad_token_id is None:  # the classifier finds each row's last token by the pad id
        reward_model.config.pad_token_id = tokenizer.pad_token_id
    detail = []
    for start in range(0, len(records), batch_size):
        batch = records[start : start + batch_size]
        chosen = [render(tokenizer, r.value["prompt"] + r.value["chosen"], template) for r in batch]
        rejected = [render(tokenizer, r.value["prompt"] + r.value["rejected"], template) for r in batch]
        scores = _scores(reward_model, tokenizer, chosen + rejected, cutoff_len)
        for i, r in enumerate(batch):
            c, j = scores[i], scores[len(batch) + i]
            detail.append({"where": r.where, "chosen": round(c, 6), "rejected": round(j, 6), "margin": c - j})
    margins = [d["margin"] for d in detail]
    mean = sum(margins) / len(margins)
    std = math.sqrt(sum((m - mean) ** 2 for m in margins) / len(margins))
    return {"accuracy": sum(m > 0 for m in margins) / len(margins), "pairs": len(margins),
            "ties": sum(m == 0 for m in margins), "margin_mean": mean, "margin_std": std,
            "pairs_detail": detail}  # fmt: skip
