"""Packing several samples into fixed-capacity rows, and the collators that batch them.

A packed row holds whole samples back to back. Its ``position_ids`` restart at 0 at every sample,
and no attention mask is passed: transformers (>= 4.53, sdpa/eager/flash) then builds a
block-diagonal causal mask from the position restarts, so a token never attends across samples. The
first label of each sample is -100, so no token is trained to predict the next sample's start.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence

IGNORE_INDEX = -100


def pack_lengths(lengths: Sequence[int], capacity: int) -> list[list[int]]:
    """Best-fit-decreasing bins: lists of sample indices whose lengths sum to at most ``capacity``.

    O(n log n) with a sorted list of the open bins' free space.
    """
    order = sorted(range(len(lengths)), key=lambda i: -lengths[i])
    bins: list[list[int]] = []
    free: list[tuple[int, int]] = []  # (free space, bin index), sorted
    for i in order:
        need = lengths[i]
        if need > capacity:
            raise ValueError(f"sample {i} has {need} tokens, more than the row capacity {capacity}")
        at = bisect.bisect_left(free, (need, -1))
        if at < len(free):
            space, b = free.pop(at)
            bins[b].append(i)
            if space - need > 0:
                bisect.insort(free, (space - need, b))
        else:
            bins.append([i])
            if capacity - need > 0:
                bisect.insort(free, (capacity - need, len(bins) - 1))
    return bins


def pack_examples(examples: dict[str, list], capacity: int) -> dict[str, list]:
    """``datasets.map(batched=True)`` function: samples (input_ids, labels) -> packed rows."""
    ids, labels = examples["input_ids"], examples["labels"]
    sources = examples.get("source")
    rows = {"input_ids": [], "labels": [], "position_ids": []}
    if sources is not None:
        rows["mix_tokens"] = []  # tokens per source index in the row, for the realised-mix events
    for group in pack_lengths([len(x) for x in ids], capacity):
        row_ids, row_labels, row_pos = [], [], []
        for i in group:
            row_ids += ids[i]
            row_labels += [IGNORE_INDEX] + list(labels[i][1:])
            row_pos += range(len(ids[i]))
        rows["input_ids"].append(row_ids)
        rows["labels"].append(row_labels)
        rows["position_ids"].append(row_pos)
        if sources is not None:
            counts = [0] * (max(sources[i] for i in group) + 1)
            for i in group:
                counts[sources[i]] += len(ids[i])
            rows["mix_tokens"].append(counts)
    return rows


def chunk_document(ids: list[int], size: int) -> list[list[int]]:
    """Split a long token sequence into pieces of at most ``size`` tokens (pretraining)."""
    return [ids[i : i + size] for i in range(0, len(ids), size)] or [[]]


class Collator:
    """Pads a batch of rows to its longest row.

    Packed rows (with ``position_ids``) get position ids for the padding too and no attention mask;
    plain rows get an attention mask. Labels of padding are -100. Rows that say where their tokens came
    from (``mix_tokens`` or ``source``) are counted into ``mix_seen``: the realised mix, as trained on.
    """

    def __init__(self, pad_token_id: int, pad_to_multiple_of: int = 8):
        self.pad_token_id = pad_token_id
        self.multiple = pad_to_multiple_of
        self.mix_seen: dict[int, int] = {}  # tokens handed to the model per source index (realised mix)

    def _count_sources(self, features: list[dict]) -> None:
        for f in features:
            if "mix_tokens" in f:
                for i, n in enumerate(f["mix_tokens"]):
                    self.mix_seen[i] = self.mix_seen.get(i, 0) + n
            elif "source" in f:
                self.mix_seen[f["source"]] = self.mix_seen.get(f["source"], 0) + len(f["input_ids"])

    def __call__(self, features: list[dict]) -> dict:
        import torch

        self._count_sources(features)

        longest = max(len(f["input_ids"]) for f in features)
        width = -(-longest // self.multiple) * self.multiple
        packed = "position_ids" in features[0]
        batch = {"input_ids": [], "labels": []}
        batch["position_ids" if packed else "attention_mask"] = []
        for f in features:
            n, pad = len(f["input_ids"]), width - len(f["input_ids"])
            batch["input_ids"].append(list(f["input_ids"]) + [self.pad_token_id] * pad)
            batch["labels"].append(list(f["labels"]) + [IGNORE_INDEX] * pad)
            if packed:
                batch["position_ids"].append(list(f["position_ids"]) + list(range(pad)))
            else:
                batch["attention_mask"].append([1] * n + [0] * pad)
        return {k: torch.tensor(v, dtype=torch.long) for k, v in batch.items()}
