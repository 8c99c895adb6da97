"""Packing: bins respect capacity, rows keep samples whole, and packed attention equals unpacked."""

from __future__ import annotations

import random

import pytest

from backend.data.packing import IGNORE_INDEX, Collator, pack_examples, pack_lengths


def test_bins_respect_capacity_and_use_every_sample():
    rng = random.Random(0)
    lengths = [rng.randint(1, 100) for _ in range(500)]
    bins = pack_lengths(lengths, 128)
    assert sorted(i for b in bins for i in b) == list(range(500))
    assert all(sum(lengths[i] for i in b) <= 128 for b in bins)
    # Best-fit decreasing stays close to the lower bound on the number of rows.
    assert len(bins) <= sum(lengths) / 128 * 1.1 + 1


def test_too_long_sample_is_an_error():
    with pytest.raises(ValueError, match="more than the row capacity"):
        pack_lengths([5, 200], 128)


def test_packed_rows_restart_positions_and_mask_boundaries():
    ex = {"input_ids": [[1, 2, 3], [4, 5], [6, 7, 8, 9]], "labels": [[1, 2, 3], [-100, 5], [6, 7, 8, 9]]}
    rows = pack_examples(ex, capacity=6)
    assert sum(len(r) for r in rows["input_ids"]) == 9
    for ids, labels, pos in zip(rows["input_ids"], rows["labels"], rows["position_ids"], strict=True):
        assert len(ids) == len(labels) == len(pos) <= 6
        starts = [i for i, p in enumerate(pos) if p == 0]
        assert all(labels[s] == IGNORE_INDEX for s in starts)  # never predict a sample's first token from the previous


def test_collator_pads_with_ignored_labels():
    collate = Collator(pad_token_id=0, pad_to_multiple_of=4)
    batch = collate([{"input_ids": [5, 6, 7], "labels": [5, 6, 7]}, {"input_ids": [8], "labels": [8]}])
    assert batch["input_ids"].shape == (2, 4)
    assert batch["attention_mask"].tolist() == [[1, 1, 1, 0], [1, 0, 0, 0]]
    assert batch["labels"][1].tolist() == [8, -100, -100, -100]
    packed = collate([{"input_ids": [5, 6, 7], "labels": [-100, 6, 7], "position_ids": [0, 1, 0]}])
    assert "attention_mask" not in packed
    assert packed["position_ids"].tolist() == [[0, 1, 0, 0]]


def test_packed_forward_equals_separate_forwards():
    torch = pytest.importorskip("torch")
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=64, hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=64
    )
    model = LlamaForCausalLM(config).eval()
    model.config.use_cache = False
    a, b = [3, 9, 4, 7, 1], [8, 2, 6]
    rows = pack_examples({"input_ids": [a, b], "labels": [a, b]}, capacity=8)
    batch = Collator(pad_token_id=0, pad_to_multiple_of=1)([{k: v[0] for k, v in rows.items()}])
    with torch.no_grad():
        packed = model(input_ids=batch["input_ids"], position_ids=batch["position_ids"]).logits[0]
        sep_a = model(input_ids=torch.tensor([a])).logits[0]
        sep_b = model(input_ids=torch.tensor([b])).logits[0]
    order = rows["input_ids"][0]
    first, second = (sep_a, sep_b) if order[: len(a)] == a else (sep_b, sep_a)
    n = first.shape[0]
    assert torch.allclose(packed[:n], first, atol=1e-5)
    assert torch.allclose(packed[n : n + second.shape[0]], second, atol=1e-5)


def test_stats_count_tokens_loss_tokens_and_packing_efficiency():
    datasets = pytest.importorskip("datasets")
    from backend.data.build import stats
    from backend.spec import spec_from_dict

    rows = pack_examples(
        {"input_ids": [[1, 2, 3], [4, 5], [6, 7, 8, 9]], "labels": [[1, 2, 3], [-100, 5], [-100, -100, 8, 9]]}, 6
    )
    spec = spec_from_dict({"data": {"sources": [{"path": "x.jsonl"}], "cutoff_len": 6, "packing": True}})
    out = stats(datasets.Dataset.from_dict(rows), spec)
    # 9 tokens in 2 rows of 6; loss tokens: labels after each row's first position that are not -100.
    expected_loss = sum(sum(1 for v in row[1:] if v != -100) for row in rows["labels"])
    assert out == {"rows": 2, "tokens": 9, "loss_tokens": expected_loss, "packing_efficiency": 0.75}
    assert expected_loss == 5  # 2,3 of the first sample, 5 of the second, 8,9 of the third; sample starts are -100
