"""The stop check at the end of an SFT run: does the trained model end its replies?

The most common complaint after fine-tuning with other tools is a model that never stops (a template or
end-of-turn mismatch). Here, after the weights are saved, the main process generates greedily from the
first ``n`` training prompts (each record's conversation before its last reply, rendered with the run's
template and its generation prompt) and records whether generation emitted a stop token before the
limit: twice the trained reply's length plus 16 tokens, at most 256. Stop tokens are the model's
``generation_config.eos_token_id``, the tokenizer's EOS and the first token of the template's end-of-turn
text (what the loss mask labelled after the reply). A run none of whose replies stop gets a warning event;
the result rides in the run's metrics (``stop_check``: the fraction that stopped).
"""

from __future__ import annotations

from itertools import islice

from backend.data.build import resolve_source
from backend.data.templates import MaskError, render, resolve_template, turn_spans
from backend.data.validate import iter_valid_records
from backend.spec import JobSpec

MAX_NEW_TOKENS = 256
NOT_STOPPING = "the model does not stop: check the template and its end-of-turn token"


def training_prompts(spec: JobSpec, n: int) -> list[tuple[str, list[dict]]]:
    """``(file:line, messages)`` of the first ``n`` records of the first source that end with a reply."""
    path, fmt, columns = resolve_source(spec, 0)
    records = iter_valid_records(path, fmt, on_error="skip", columns=columns)
    out = []
    for record in islice(records, 50 * n):
        messages = record.get("messages") or []
        if messages and messages[-1].get("role") == "assistant" and len(messages) > 1:
            out.append((records.where, messages))
        if len(out) == n:
            break
    return out


def _stop_ids(model, tokenizer) -> set[int]:
    eos = model.generation_config.eos_token_id
    ids = set(eos if isinstance(eos, list) else [eos]) | {tokenizer.eos_token_id}
    return {i for i in ids if i is not None}


def stop_check(model, tokenizer, spec: JobSpec, n: int = 3) -> dict:
    """Greedy replies to ``n`` training prompts: how many stopped, and per prompt its tokens and limit."""
    import torch

    template = resolve_template(tokenizer, spec.data.template)
    device = next(model.parameters()).device
    samples = []
    for origin, messages in training_prompts(spec, n):
        try:
            full, spans, enc = turn_spans(tokenizer, messages, template)
        except MaskError:
            continue  # the data build refused such records already
        last = spans[-1]
        labelled = [t for t, (s, _e) in zip(enc["input_ids"], enc["offset_mapping"], strict=True)
                    if last.start <= s < last.end]  # fmt: skip
        end_of_turn = [t for t, (s, _e) in zip(enc["input_ids"], enc["offset_mapping"], strict=True)
                       if last.reply_end <= s < last.end]  # fmt: skip
        stops = _stop_ids(model, tokenizer) | set(end_of_turn[:1])
        prompt = render(tokenizer, messages[:-1], template, add_generation_prompt=True)
        ids = torch.tensor([tokenizer(prompt, add_special_tokens=False)["input_ids"]], device=device)
        limit = min(2 * len(labelled) + 16, MAX_NEW_TOKENS)
        with torch.no_grad():
            out = model.generate(
                input_ids=ids,
                attention_mask=torch.ones_like(ids),
                max_new_tokens=limit,
                do_sample=False,
                eos_token_id=sorted(stops),
                pad_token_id=tokenizer.pad_token_id if tokenizer.pad_token_id is not None else min(stops),
            )
        new = out[0, ids.shape[1] :].tolist()
        stopped = any(t in stops for t in new)
        samples.append({"record": origin, "stopped": stopped, "tokens": len(new), "limit": limit})
    return {"stopped": sum(s["stopped"] for s in samples), "checked": len(samples), "samples": samples}


def _merge_for_generation(model) -> bool:
    """Merge a LoRA adapter into its (unquantised) base for the check's generation; True when merged.

    Decoding is one token at a time, and an unmerged adapter adds a few small operations to every targeted
    linear per token: at 0.5B on CPU the check took 133 s unmerged and 46 s merged (BENCHMARKS.md "Stop
    check"). A 4-bit/8-bit base is not merged (merging requantises it, lossy and slow).
    """
    if not hasattr(model, "merge_adapter") or not hasattr(model, "get_base_model"):
        return False
    base = model.get_base_model()
    if getattr(base, "hf_quantizer", None) is not None or getattr(base, "is_quantized", False):
        return False
    model.merge_adapter()
    return True


def run_stop_check(model, tokenizer, spec: JobSpec, events, metrics: dict) -> None:
    """Run :func:`stop_check` and report it: an event (a warning when no reply stopped) and ``metrics``.

    The weights are saved before this runs; a merged adapter is unmerged afterwards all the same, so the
    model is left as it was trained (up to fp32 rounding of W + BA − BA)."""
    was_training = model.training
    model.eval()
    merged = False
    try:
        merged = _merge_for_generation(model)
        result = stop_check(model, tokenizer, spec)
    except Exception as exc:  # a check must never fail a run whose weights are already saved
        events.log(f"stop check skipped: {type(exc).__name__}: {exc}", level="warning")
        return
    finally:
        if merged:
            model.unmerge_adapter()
        model.train(was_training)
    if not result["checked"]:
        return
    k, n = result["stopped"], result["checked"]
    metrics["stop_check"] = round(k / n, 4)
    summary = f"{k} of {n} greedy replies to training prompts ended at a stop token"
    if k == 0:
        events.log(f"{NOT_STOPPING} ({summary})", level="warning", stop_check=result)
    else:
        events.log(f"stop check: {summary}", stop_check=result)
