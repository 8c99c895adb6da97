"""Token-level preview: structured tokens with loss flags, packed rows, and the CLI."""

from __future__ import annotations

from backend.data.preview import preview_samples, render_ansi
from tests.conftest import ROOT, run_cli

SFT = ROOT / "data" / "samples" / "sft_messages.jsonl"
PT = ROOT / "data" / "samples" / "pretrain_zh_en.jsonl"


def test_preview_marks_assistant_tokens(tiny_tokenizer):
    samples = preview_samples(SFT, tiny_tokenizer, n=2)
    assert len(samples) == 2
    text, token_id, loss = samples[0][0]
    assert isinstance(text, str) and isinstance(token_id, int) and loss is False
    trained = "".join(t for t, _, carries in samples[0] if carries)
    assert trained.endswith("<|im_end|>\n") and "<|im_start|>" not in trained
    out = render_ansi(samples[0])
    assert "\033[32m" in out and "with loss" in out


def test_preview_text_chunks_and_packing(tiny_tokenizer):
    chunks = preview_samples(PT, tiny_tokenizer, n=2, cutoff_len=32)
    assert len(chunks) > 2 and all(len(c) <= 32 for c in chunks) and all(loss for c in chunks for _, _, loss in c)
    rows = preview_samples(SFT, tiny_tokenizer, n=6, cutoff_len=256, pack=True)
    assert 1 <= len(rows) < 6 and all(len(r) <= 256 for r in rows)


def test_cli_preview(studio_home):
    res = run_cli("data", "preview", str(SFT), "--n", "2", "--pack", "--color", "always", home=studio_home)
    assert res.returncode == 0, res.stderr
    assert "packed row 1" in res.stdout and "\033[32m" in res.stdout and "│" in res.stdout
