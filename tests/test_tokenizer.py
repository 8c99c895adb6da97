"""The tokenizer studio: training saves a HF tokenizer that round-trips; extension keeps every old id,
splits old text as before except where a new piece forms, adds no spaces, mean-initialises the new
embedding rows exactly; comparison reports the Chinese shortening; an extended model trains."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import torch
import yaml
from transformers import AutoModelForCausalLM, AutoTokenizer

from backend.tokenizer.compare import compare, language
from backend.tokenizer.extend import extend, sub_token_ids
from backend.tokenizer.train import TokenizerError, corpus_texts, train
from tests.conftest import ROOT

ZH_EN = "builtin:samples/pretrain_zh_en.jsonl"
ZH = "我们今天去北京大学参观了人工智能实验室，大家都很开心。"


def lines_of(lang: str) -> list[str]:
    return [t for t in corpus_texts([ZH_EN]) if language(t) == lang]


@pytest.fixture(scope="module")
def corpora(tmp_path_factory):
    root = tmp_path_factory.mktemp("corpora")
    for lang in ("zh", "en"):
        (root / f"{lang}.txt").write_text("\n".join(lines_of(lang)) + "\n", encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def zh_tok(corpora, tmp_path_factory):
    """A Chinese sentencepiece BPE with LLMsTrainer's chat tokens (the pieces to merge)."""
    out = tmp_path_factory.mktemp("zh-tok")
    train([corpora / "zh.txt"], out, "sp-bpe", vocab_size=3000, chat_tokens=True)
    return out


@pytest.fixture(scope="module")
def en_base(corpora, tmp_path_factory, studio_home):
    """A Llama-style base that never saw Chinese: an English sentencepiece BPE (byte fallback) and a tiny
    random Llama with untied embeddings."""
    from backend.builtin import TINY_ARCH, build_tiny_model

    out = tmp_path_factory.mktemp("en-base")
    train([corpora / "en.txt"], out, "sp-bpe", vocab_size=2000)
    tok = AutoTokenizer.from_pretrained(out)
    build_tiny_model(tok, {**TINY_ARCH, "tie_word_embeddings": False}).save_pretrained(out)
    return out


def encode(tok, text):
    return tok(text, add_special_tokens=False)["input_ids"]


def test_trained_sentencepiece_folder_round_trips_and_matches_sentencepiece(zh_tok):
    import sentencepiece as spm

    assert {"tokenizer.json", "tokenizer_config.json", "tokenizer.model"} <= {p.name for p in zh_tok.iterdir()}
    tok = AutoTokenizer.from_pretrained(zh_tok)
    sp = spm.SentencePieceProcessor(model_file=str(zh_tok / "tokenizer.model"))
    for text in lines_of("zh")[:100] + [ZH, "数字 12345 拆成单个"]:
        ids = encode(tok, text)
        assert ids == sp.encode(text) and tok.decode(ids) == text
    assert tok.tokenize("12345") == ["▁", "1", "2", "3", "4", "5"]  # split digits
    # byte fallback: a character it never saw becomes its UTF-8 bytes, and comes back
    assert tok.tokenize("𝔘")[-4:] == ["<0xF0>", "<0x9D>", "<0x94>", "<0x98>"] and tok.decode(encode(tok, "𝔘")) == "𝔘"
    chat = tok.apply_chat_template([{"role": "user", "content": "你好"}], tokenize=False, add_generation_prompt=True)
    assert chat == "<|user|>\n你好<|endofchat|>\n<|assistant|>\n"
    assert "<|user|>" in tok.tokenize(chat) and "<|endofchat|>" in tok.tokenize(chat)


@pytest.mark.parametrize("kind", ["sp-unigram", "byte-bpe"])
def test_other_kinds_train_and_round_trip(tmp_path, kind):
    report = train([ZH_EN], tmp_path, kind, vocab_size=3000, special_tokens=["<|im_start|>", "<|im_end|>"])
    tok = AutoTokenizer.from_pretrained(tmp_path)
    assert report["roundtrip"]["ok"] and report["vocab_size"] == len(tok) <= 3000
    for text in [ZH, "The quick brown fox, 2026.", "<|im_start|>user\n你好<|im_end|>"]:
        assert tok.decode(encode(tok, text)) == text
    assert tok.tokenize("<|im_start|>")[-1] == "<|im_start|>"
    assert tok.apply_chat_template([{"role": "user", "content": "hi"}], tokenize=False).startswith("<|im_start|>user")


def test_bad_input_gives_clear_errors(tmp_path):
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n", encoding="utf-8")
    with pytest.raises(TokenizerError, match="empty corpus"):
        train([empty], tmp_path / "a")
    with pytest.raises(TokenizerError, match="smaller than the alphabet"):
        train([ZH_EN], tmp_path / "b", "sp-bpe", vocab_size=100, character_coverage=1.0)
    with pytest.raises(TokenizerError, match="smaller than the byte alphabet"):
        train([ZH_EN], tmp_path / "c", "byte-bpe", vocab_size=100)
    (tmp_path / "model").mkdir()
    with pytest.raises(TokenizerError, match="no tokenizer"):
        extend(tmp_path / "model", tmp_path / "d", words=["你好"])
    # The command line says the same in one line, without a traceback.
    cli = [sys.executable, "-m", "cli"]
    proc = subprocess.run([*cli, "tokenizer", "extend", "--base", str(tmp_path / "model"), "--out", str(tmp_path / "e"),
                           "--words", str(empty)], cwd=ROOT, capture_output=True, text=True, timeout=120)  # fmt: skip
    assert proc.returncode == 2 and proc.stderr.startswith("error: ") and "Traceback" not in proc.stderr
    assert "no tokenizer" in proc.stderr


def check_extension(old, new, texts: list[str]) -> int:
    """Old ids keep their tokens; old text splits identically unless a new id appears; no stray spaces."""
    size = len(old)
    assert new.convert_ids_to_tokens(list(range(size))) == old.convert_ids_to_tokens(list(range(size)))
    changed = 0
    for text in texts:
        before, after = encode(old, text), encode(new, text)
        assert new.decode(after) == text
        if before != after:
            changed += 1
            assert any(i >= size for i in after), text
    return changed


def check_mean_init(base, out, added: list[dict], tied: bool):
    old_model = AutoModelForCausalLM.from_pretrained(base)
    model = AutoModelForCausalLM.from_pretrained(out)
    for get in [lambda m: m.get_input_embeddings().weight] + (
        [] if tied else [lambda m: m.get_output_embeddings().weight]
    ):
        w_old, w_new = get(old_model), get(model)
        n_old = len(AutoTokenizer.from_pretrained(base))
        assert torch.equal(w_new[:n_old], w_old[:n_old])  # old rows untouched
        for row in added:
            want = w_old[row["sub_ids"]].float().mean(0).to(w_old.dtype)
            assert torch.equal(w_new[row["id"]], want), row
    assert model.config.tie_word_embeddings == tied


def test_extend_a_sentencepiece_base_and_mean_initialise(en_base, zh_tok, tmp_path):
    import sentencepiece as spm

    out = tmp_path / "ext"
    report = extend(en_base, out, source=zh_tok, words=["量子计算机"])
    assert report["route"] == "sentencepiece" and report["added"] > 500 and report["added_special"] == 4
    old, new = AutoTokenizer.from_pretrained(en_base), AutoTokenizer.from_pretrained(out)
    changed = check_extension(old, new, lines_of("en")[:150] + lines_of("zh")[:50] + [ZH])
    assert changed >= 50  # every Chinese line uses new pieces
    # The merged proto and tokenizer.json split text alike.
    sp = spm.SentencePieceProcessor(model_file=str(out / "tokenizer.model"))
    for text in lines_of("zh")[:60] + lines_of("en")[:60]:
        assert encode(new, text) == sp.encode(text)
    ext = json.loads((out / "extension.json").read_text(encoding="utf-8"))
    for row in ext["pieces"]:
        assert new.convert_ids_to_tokens(row["id"]) == row["piece"] and row["id"] >= len(old)
        assert row["sub_ids"] == sub_token_ids(old, row["piece"]) and all(i < len(old) for i in row["sub_ids"])
        assert new.decode([row["id"]]) == row["text"].removeprefix(" ")  # the decoder drops the first space only
    assert new.tokenize("量子计算机") == ["▁量子计算机"] or "量子计算机" in new.tokenize("他造量子计算机")
    # No stray spaces around added Chinese pieces or special tokens.
    chat = "<|user|>\n我们去北京<|endofchat|>\n<|assistant|>\n好的"
    assert new.decode(encode(new, chat)) == chat and new.decode(encode(new, ZH)) == ZH
    assert not [t for t in new.tokenize(ZH)[1:] if t.startswith("▁")]
    check_mean_init(en_base, out, ext["pieces"], tied=False)
    model = AutoModelForCausalLM.from_pretrained(out)
    default = AutoModelForCausalLM.from_pretrained(en_base).get_input_embeddings().weight[: len(old)].mean(0)
    for row in ext["specials"]:
        assert torch.allclose(model.get_input_embeddings().weight[row["id"]], default)
    # Chinese gets much shorter.
    result = compare([str(en_base), str(out)], [ZH_EN])
    zh = result["rows"][1]["zh"]
    print(f"\nChinese shortening (English sp base -> extended): {zh['reduction']:.2f}x, "
          f"tokens/char {result['rows'][0]['zh']['tokens_per_char']} -> {zh['tokens_per_char']}")  # fmt: skip
    assert zh["reduction"] > 1.8 and result["rows"][1]["en"]["reduction"] == pytest.approx(1.0, abs=0.02)


def test_extend_the_byte_level_builtin_and_mean_initialise(tiny_model, zh_tok, tmp_path):
    out = tmp_path / "ext"
    report = extend(tiny_model, out, source=zh_tok, words=["量子计算机", "人工智能实验室"], special_tokens=["<|x|>"])
    assert report["route"] == "tokenizers" and report["model"]["tied"]
    old, new = AutoTokenizer.from_pretrained(tiny_model), AutoTokenizer.from_pretrained(out)
    check_extension(old, new, lines_of("en")[:150] + lines_of("zh")[:50])
    for word in ("量子计算机", "人工智能实验室"):
        ids = encode(new, word)
        assert len(ids) == 1 and new.decode(ids) == word
    ext = json.loads((out / "extension.json").read_text(encoding="utf-8"))
    for row in ext["pieces"]:
        if row["text"] is not None:  # byte pieces inside a character have no text of their own
            assert new.decode([row["id"]]) == row["text"]
    chat = "<|im_start|>user\n量子计算机<|im_end|>\n"
    assert new.decode(encode(new, chat)) == chat and "<|x|>" in new.tokenize("a<|x|>b")
    check_mean_init(tiny_model, out, ext["pieces"], tied=True)
    result = compare([str(tiny_model), str(out)], [ZH_EN])
    print(f"\nChinese shortening (builtin tiny -> extended): {result['rows'][1]['zh']['reduction']:.3f}x")
    assert result["rows"][1]["zh"]["reduction"] >= 1.0


@pytest.mark.slow
def test_continue_pretraining_after_extension_lowers_the_loss(en_base, zh_tok, tmp_path):
    from backend.events import read_events
    from backend.train.__main__ import main

    model_dir = tmp_path / "ext"
    extend(en_base, model_dir, source=zh_tok)
    spec = {
        "stage": "pt",
        "model": {"name_or_path": str(model_dir)},
        "method": {"type": "full"},
        "data": {"sources": [{"path": ZH_EN}], "cutoff_len": 128, "packing": True, "val_size": 0},
        "train": {
            "max_steps": 16,
            "per_device_batch_size": 4,
            "learning_rate": 3e-3,
            "lr_scheduler": "constant",
            "warmup_ratio": 0,
            "logging_steps": 2,
            "eval_steps": 0,
            "save_steps": 0,
        },  # fmt: skip
    }
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / "job.yaml").write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    code = main([str(run_dir)])
    events = read_events(run_dir / "events.jsonl")
    assert code == 0, [e for e in events if e["type"] in ("error", "log")][-3:]
    losses = [e["loss"] for e in events if e["type"] == "metric" and "loss" in e]
    print(f"\ncontinue-pretraining loss after extension: {losses}")
    assert len(losses) >= 6 and losses[-1] < 0.9 * losses[0]


# ------------------------------------------------------------------------------------- the Data tab section


def test_tokenizer_section_commands_follow_the_form(tmp_path):
    from studio import tokenizer_view as tv

    text = tv.commands_text(tmp_path, ZH_EN, "sp-bpe", 4000, True, "/m/tok", "builtin:tiny-llama", "/m/ext",
                            "builtin:tiny-tokenizer", "/m/ext", "你好")  # fmt: skip
    assert f"studio --home {tmp_path} tokenizer train {ZH_EN} --out /m/tok --kind sp-bpe --vocab-size 4000" in text
    assert "--chat-tokens" in text and "tokenizer extend --base builtin:tiny-llama --from /m/tok --out /m/ext" in text
    assert "tokenizer compare builtin:tiny-tokenizer /m/ext --source" in text
    broken = tv.commands_text(tmp_path, ZH_EN, "sp-bpe", 0, False, "", "", "", "", "", "")
    assert "# vocabulary size must be a positive number" in broken and "# base model: empty" in broken


def test_compare_view_escapes_and_draws_every_bar():
    from studio import tokenizer_view as tv

    row = lambda name, z, e: {"name": name, "vocab_size": 10, "zh": {"tokens_per_char": z, "reduction": 1.0},  # noqa: E731
                              "en": {"tokens_per_char": e, "reduction": None}}  # fmt: skip
    result = {"rows": [row("<b>a</b>", 2.0, 0.3), row("b", 0.5, 0.3)], "sentence": "<script>x</script>",
              "splits": [{"name": "a", "tokens": [{"id": 1, "text": "<img src=x>"}]}]}  # fmt: skip
    html = tv.compare_html(result, "zh")
    assert "<script>" not in html and "<img" not in html and "&lt;img src=x&gt;" in html and "&lt;b&gt;a" in html
    assert html.count("<rect") == 4 and "中文缩短倍数" in html and "<td>-</td>" in html


def test_compare_runs_in_a_subprocess_and_errors_are_one_line(tiny_model, studio_home):
    from studio import tokenizer_view as tv

    argv = tv.compare_argv(studio_home, "builtin:tiny-tokenizer", "", ZH_EN, "北京 <b>x</b>")
    html, kept = tv.run("compare", argv)
    assert kept["kind"] == "compare" and kept["data"]["rows"][0]["zh"]["tokens"] > 0
    assert 'class="tok-compare"' in html and "&lt;b&gt;" in html
    html, kept = tv.run("compare", tv.compare_argv(studio_home, str(studio_home / "nope"), "", ZH_EN, ""))
    assert kept["kind"] == "error" and "no tokenizer" in kept["data"] and "Traceback" not in html


@pytest.mark.parametrize(
    ("method", "expect"),
    [
        ({"type": "freeze", "freeze": {"trainable_layers": 0, "extra_modules": ["embed_tokens", "lm_head"]}},
         {"model.embed_tokens.weight", "lm_head.weight"}),
        ({"type": "lora", "lora": {"modules_to_save": ["embed_tokens", "lm_head"]}}, None),
    ],
)  # fmt: skip
def test_spec_options_train_the_new_embeddings(en_base, zh_tok, tmp_path, method, expect):
    """Embeddings-only (freeze, no layers) and LoRA + modules_to_save make the extended rows trainable."""
    from backend.spec import spec_from_dict
    from backend.train.common import apply_method

    extend(en_base, tmp_path / "ext", source=zh_tok)
    spec = spec_from_dict({"stage": "pt", "model": {"name_or_path": str(tmp_path / "ext")}, "method": method,
                           "data": {"sources": [{"path": ZH_EN}]}})  # fmt: skip
    model = apply_method(AutoModelForCausalLM.from_pretrained(tmp_path / "ext"), spec)
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    if expect is not None:
        assert trainable == expect
    else:
        saved = [n for n in trainable if "modules_to_save" in n]
        assert any("embed_tokens" in n for n in saved) and any("lm_head" in n for n in saved)
        assert any("lora_A" in n for n in trainable)
