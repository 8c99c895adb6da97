"""GGUF export: the file written for llama.cpp/Ollama loads back through transformers' GGUF loader (which
undoes llama.cpp's naming and rotary permutation) with the source model's logits, for a tiny Llama and a
tiny Qwen2 (q/k/v biases); the Modelfile's FROM names the file; other families are refused."""

from __future__ import annotations

import pytest
import torch

from backend.builtin import TINY_ARCH, build_tiny_model
from backend.export.gguf import _LLAMA3_SPLIT, _QWEN2_SPLIT
from backend.export.run import export, render_summary
from backend.export.weights import ExportError
from cli.__main__ import main as export_main

TEXTS = ["The quick brown fox jumps over the lazy dog.", "你好，世界！今天天气很好。", "2 + 2 = 4"]
# Smaller than builtin:tiny-llama so four writes and loads stay within seconds; grouped KV heads (2 of 4)
# exercise llama.cpp's k permutation with n_head_kv, and 344 (not a multiple of 32) the q8_0 fallback.
ARCH = dict(TINY_ARCH, hidden_size=128, intermediate_size=344, num_hidden_layers=2, num_key_value_heads=2)
# Max |logit difference| allowed; the logits of these models reach about 1.5 in magnitude.
# f16: one rounding of every weight to float16 (measured 4.6e-4 .. 7.6e-4 on builtin:tiny-llama's shape).
# q8_0: 8-bit blocks of 32 with one f16 scale each (measured 0.013 .. 0.025 there).
TOLERANCE = {"f16": 3e-3, "q8_0": 6e-2}


def _model(tokenizer, family: str):
    model = build_tiny_model(tokenizer, ARCH, family=family).eval()
    if family == "qwen2":
        with torch.no_grad():  # Qwen2 initialises its q/k/v biases to zero; a dropped bias must show
            for layer in model.model.layers:
                for proj in (layer.self_attn.q_proj, layer.self_attn.k_proj, layer.self_attn.v_proj):
                    proj.bias.normal_(0.0, 0.5)
    return model


@pytest.mark.parametrize("family", ["llama", "qwen2"])
def test_gguf_round_trip_logits_and_metadata(family, tiny_tokenizer, tmp_path):
    import gguf
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from backend.export.gguf import write_gguf

    tok = tiny_tokenizer
    model = _model(tok, family)
    batch = tok(TEXTS, return_tensors="pt", padding=True)
    with torch.no_grad():
        ref = model(**batch).logits
    tok.save_pretrained(tmp_path)
    for qtype in ("f16", "q8_0"):
        notes = write_gguf(model, tok, tmp_path / f"m-{qtype}.gguf", qtype)
        loaded = AutoModelForCausalLM.from_pretrained(tmp_path, gguf_file=f"m-{qtype}.gguf", dtype=torch.float32)
        assert type(loaded).__name__ == type(model).__name__
        with torch.no_grad():
            got = loaded.eval()(**batch).logits
        diff = (got - ref).abs().max().item()
        assert diff < TOLERANCE[qtype], (family, qtype, diff)
        assert diff > 0  # the weights really went through f16 / q8_0
        kept = [n for n in notes if "kept as float16" in n]
        assert bool(kept) == (qtype == "q8_0"), notes  # ffn_down rows are 344 long: no 32-value blocks
    reader = gguf.GGUFReader(tmp_path / "m-q8_0.gguf")
    field = {name: reader.fields[name].contents() for name in reader.fields}
    assert field["general.architecture"] == family
    assert field["tokenizer.ggml.model"] == "gpt2"
    assert field["tokenizer.chat_template"] == tok.chat_template
    assert field["tokenizer.ggml.eos_token_id"] == tok.eos_token_id
    assert field["tokenizer.ggml.add_bos_token"] is False  # the tiny tokenizer has no BOS
    assert field["tokenizer.ggml.eot_token_id"] == tok.convert_tokens_to_ids("<|im_end|>")  # ChatML ends turns
    assert len(field["tokenizer.ggml.tokens"]) == model.config.vocab_size
    names = {t.name: t.tensor_type.name for t in reader.tensors}
    assert "output.weight" not in names  # tied embeddings: llama.cpp reuses token_embd
    assert names["blk.0.attn_q.weight"] == "Q8_0" and names["blk.0.ffn_down.weight"] == "F16"
    assert names["blk.0.attn_norm.weight"] == "F32"
    assert ("blk.0.attn_q.bias" in names) == (family == "qwen2")
    gguf_tok = AutoTokenizer.from_pretrained(tmp_path, gguf_file="m-f16.gguf")  # tokens and merges read back
    assert [gguf_tok(t).input_ids for t in TEXTS] == [tok(t).input_ids for t in TEXTS]


def test_gguf_only_export_cli_writes_the_file_the_modelfile_names(tiny_model, tmp_path, capsys):
    out = tmp_path / "exp"
    rc = export_main(["export", str(tiny_model), "--out", str(out), "--gguf", "q8_0", "--gguf-only"])
    printed = capsys.readouterr()
    assert rc == 0, printed.err
    names = sorted(p.name for p in out.iterdir())
    assert "tiny-llama-q8_0.gguf" in names
    assert not [n for n in names if n.endswith(".safetensors")], names
    modelfile = (out / "Modelfile").read_text(encoding="utf-8").splitlines()
    (from_line,) = [line for line in modelfile if line.startswith("FROM ")]
    assert from_line == "FROM ./tiny-llama-q8_0.gguf"
    assert (out / from_line.split()[1]).is_file()
    assert "gguf     tiny-llama-q8_0.gguf" in printed.out
    assert "llama-cli -m tiny-llama-q8_0.gguf" in (out / "README.md").read_text(encoding="utf-8")


def test_gguf_export_beside_safetensors(tiny_model, tmp_path):
    result = export(str(tiny_model), tmp_path / "both", gguf="f16")
    names = [n for n, _ in result.files]
    assert result.gguf == "tiny-llama-f16.gguf" and result.gguf in names
    assert "model.safetensors" in names
    assert "gguf     tiny-llama-f16.gguf" in render_summary(result)


def test_gguf_refuses_other_families_and_bad_flags(tiny_tokenizer, tiny_model, tmp_path, capsys):
    folder = tmp_path / "tiny-mistral"
    build_tiny_model(tiny_tokenizer, ARCH, family="mistral").save_pretrained(folder)
    tiny_tokenizer.save_pretrained(folder)
    out = tmp_path / "never"
    rc = export_main(["export", str(folder), "--out", str(out), "--gguf", "f16"])
    err = capsys.readouterr().err
    assert rc == 2
    assert err.splitlines()[-1] + "\n" == (
        "error: GGUF export supports the llama, qwen2 families; this model is 'mistral' (export the Hugging Face "
        "folder and convert it with llama.cpp's convert_hf_to_gguf.py)\n"
    )
    assert "Loading weights" not in err  # refused from config.json, before any weights were read
    assert not out.exists() or not any(out.iterdir())  # nothing half-written
    assert not list(tmp_path.glob(".never-*"))  # and no temporary folder left behind
    with pytest.raises(ExportError, match=r"^--gguf-only needs --gguf f16 or --gguf q8_0$"):
        export(str(tiny_model), tmp_path / "x", gguf_only=True)
    with pytest.raises(ExportError, match=r"^--gguf writes a merged model; drop --no-merge$"):
        export(str(tiny_model), tmp_path / "y", gguf="f16", merge=False)


def test_a_tokenizer_that_is_not_byte_level_bpe_is_refused():
    from tokenizers import Tokenizer, models
    from transformers import PreTrainedTokenizerFast

    from backend.export.gguf import _vocab

    unigram = PreTrainedTokenizerFast(tokenizer_object=Tokenizer(models.Unigram([("<unk>", 0.0), ("a", -1.0)], 0)))
    with pytest.raises(ExportError) as err:
        _vocab(unigram, 64)
    assert str(err.value) == (
        "GGUF export writes byte-level BPE tokenizers (GPT-2/Qwen2/Llama 3 style) and SentencePiece ones "
        "(Unigram, or BPE with byte fallback); this one is 'Unigram' without either"
    )


def test_export_tab_offers_gguf(tmp_path):
    from studio import export_view
    from studio.tabs import export as export_tab

    shown = export_tab.command(str(tmp_path), "run1", "final", "m", "2GB", "auto", True, False, "q8_0")
    assert (
        shown == f"studio --home {tmp_path} export run1 --out {tmp_path}/exports/m --max-shard-size 2GB "
        "--dtype auto --gguf q8_0"
    )
    assert "--gguf" not in export_tab.command(str(tmp_path), "run1", "final", "m", "2GB", "auto", True, False)
    assert export_tab.command(str(tmp_path), "run1", "final", "m", "2GB", "auto", True, False, "q4") == (
        "# GGUF must be one of none, f16, q8_0, got 'q4'"
    )
    out = tmp_path / "exports" / "m"
    out.mkdir(parents=True)
    (out / "m-q8_0.gguf").write_bytes(b"GGUF" + bytes(2_000_000))
    (out / "Modelfile").write_text("FROM ./m-q8_0.gguf\n")  # 19 bytes: shown as such, not as "0.00 MB"
    shown = export_view.summary(out, [])
    assert "- GGUF (llama.cpp, Ollama): `m-q8_0.gguf`, 1.9 MiB\n" in shown and "| `Modelfile` | 19 B |" in shown


@pytest.mark.parametrize(
    ("pattern", "name"),
    [
        (_QWEN2_SPLIT, "qwen2"),
        (_LLAMA3_SPLIT, "llama-bpe"),
        ("\\s+", "default"),
    ],
)
def test_pre_tokenizer_named_as_llama_cpp_knows_it(pattern, name):
    from tokenizers import Regex, Tokenizer, models, pre_tokenizers

    from backend.export.gguf import _pre_name, _tokenizer_json

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(Regex(pattern), behavior="isolated"),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
        ]
    )
    from transformers import PreTrainedTokenizerFast

    assert _pre_name(_tokenizer_json(PreTrainedTokenizerFast(tokenizer_object=tok))) == name


# ------------------------------------------------------------------ SentencePiece tokenizers, llama3 rope

SPM_TEXTS = ["Hello world, hello studio.", "The lazy dog jumps.", "你好，世界！", "2 + 2 = 4 ☃"]  # ☃: byte fallback


def _spm_tokenizer(folder, model_type: str = "bpe"):
    """A SentencePiece model trained here (byte fallback on), loaded by transformers as Llama 2's is."""
    import sentencepiece as spm
    from transformers import LlamaTokenizer

    folder.mkdir(parents=True, exist_ok=True)
    corpus = [
        "The quick brown fox jumps over the lazy dog.",
        "Hello world, hello studio.",
        "你好，世界！今天天气很好。",
    ]
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(corpus * 50), model_prefix=str(folder / "tokenizer"), vocab_size=360,
        model_type=model_type, byte_fallback=True, character_coverage=1.0, hard_vocab_limit=False, minloglevel=2,
    )  # fmt: skip
    tok = LlamaTokenizer.from_pretrained(folder)
    tok.save_pretrained(folder)
    return tok


def test_sentencepiece_bpe_round_trips_through_transformers_gguf_loader(tmp_path):
    """Llama 2-style tokenizer: the scores from tokenizer.model (gguf's SentencePieceVocab) and, without that
    file, from tokenizer.json's merge ranks; both give back the same token ids, and the weights the logits."""
    import gguf
    import sentencepiece as spm
    from transformers import AutoModelForCausalLM, AutoTokenizer, LlamaTokenizer

    from backend.export.gguf import write_gguf

    tok = _spm_tokenizer(tmp_path / "with-model")
    model = _model(tok, "llama")
    write_gguf(model, tok, tmp_path / "with-model" / "m.gguf", "f16")
    reader = gguf.GGUFReader(tmp_path / "with-model" / "m.gguf")
    field = {name: reader.fields[name].contents() for name in reader.fields}
    assert field["tokenizer.ggml.model"] == "llama" and field["tokenizer.ggml.pre"] == "default"
    assert "tokenizer.ggml.merges" not in field  # llama.cpp merges a SentencePiece vocabulary by score
    sp = spm.SentencePieceProcessor(model_file=str(tmp_path / "with-model" / "tokenizer.model"))
    n = sp.vocab_size()
    assert field["tokenizer.ggml.tokens"][:n] == [sp.id_to_piece(i) for i in range(n)]
    # <unk> <s> </s> are the tokenizer's added special tokens: control, score -1000 (as convert_hf_to_gguf)
    assert field["tokenizer.ggml.scores"][:n] == pytest.approx([-1000.0] * 3 + [sp.get_score(i) for i in range(3, n)])
    types = field["tokenizer.ggml.token_type"]
    assert types[:3] == [gguf.TokenType.CONTROL] * 3 and types[3] == gguf.TokenType.BYTE  # <0x00>
    assert types[sp.piece_to_id("▁hello")] == gguf.TokenType.NORMAL
    assert types[n:] == [gguf.TokenType.UNUSED] * (model.config.vocab_size - n)  # the padded rows
    assert field["tokenizer.ggml.add_space_prefix"] is True

    plain = tmp_path / "json-only"  # the same tokenizer with tokenizer.json only: scores from the merge ranks
    tok.save_pretrained(plain)
    (plain / "tokenizer.model").unlink(missing_ok=True)
    tok2 = LlamaTokenizer.from_pretrained(plain)
    assert not (plain / "tokenizer.model").exists()
    write_gguf(model, tok2, plain / "m.gguf", "f16")
    # transformers rebuilds the merges even from flat scores, so its round trip cannot tell; llama.cpp merges the
    # best-scored pair first: the merge-rank scores must order the merged tokens as SentencePiece's own do.
    reader = gguf.GGUFReader(plain / "m.gguf")
    scores = reader.fields["tokenizer.ggml.scores"].contents()
    assert reader.fields["tokenizer.ggml.tokens"].contents()[:n] == field["tokenizer.ggml.tokens"][:n]
    merged = [i for i in range(3, n) if len(sp.id_to_piece(i)) > 1 and not sp.is_byte(i)]
    assert len(merged) > 40 and len({scores[i] for i in merged}) == len(merged)  # no ties (flat -1000 would tie)
    assert sorted(merged, key=lambda i: (-scores[i], i)) == sorted(merged, key=lambda i: (-sp.get_score(i), i))
    ids = torch.tensor([tok(" ".join(SPM_TEXTS)).input_ids])  # this tokenizer has no pad token: one row
    with torch.no_grad():
        ref = model(ids).logits
    for folder in (tmp_path / "with-model", plain):
        back = AutoTokenizer.from_pretrained(folder, gguf_file="m.gguf")
        assert [back(t).input_ids for t in SPM_TEXTS] == [tok(t).input_ids for t in SPM_TEXTS], folder.name
        loaded = AutoModelForCausalLM.from_pretrained(folder, gguf_file="m.gguf", dtype=torch.float32)
        with torch.no_grad():
            diff = (loaded.eval()(ids).logits - ref).abs().max().item()
        assert 0 < diff < TOLERANCE["f16"], (folder.name, diff)


def test_sentencepiece_unigram_metadata_equals_its_tokenizer_json(tmp_path):
    """A Unigram tokenizer.json: transformers' GGUF loader rebuilds a "llama" vocabulary as BPE merges from
    the scores, which is not Unigram's segmentation, so the file is checked against the tokenizer.json."""
    import gguf
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    from backend.export.gguf import write_gguf

    pieces = [("<unk>", 0.0), ("<s>", 0.0), ("</s>", 0.0), *[(f"<0x{b:02X}>", 0.0) for b in range(256)]]
    pieces += [("\u2581", -2.0), ("a", -3.0), ("b", -3.5), ("\u2581ab", -4.0), ("ab", -4.5)]
    backend = Tokenizer(models.Unigram(pieces, unk_id=0, byte_fallback=True))
    backend.pre_tokenizer = pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="first")
    tok = PreTrainedTokenizerFast(tokenizer_object=backend, unk_token="<unk>", bos_token="<s>", eos_token="</s>")
    tok.add_special_tokens({"additional_special_tokens": ["<|im_end|>"]})
    tok.add_tokens(["<think>"])
    model = _model(tok, "llama")
    write_gguf(model, tok, tmp_path / "u.gguf", "q8_0")
    reader = gguf.GGUFReader(tmp_path / "u.gguf")
    field = {name: reader.fields[name].contents() for name in reader.fields}
    assert field["tokenizer.ggml.model"] == "llama"
    n = len(pieces)
    assert field["tokenizer.ggml.tokens"][: n + 2] == [p for p, _ in pieces] + ["<|im_end|>", "<think>"]
    assert field["tokenizer.ggml.scores"][3:n] == pytest.approx([s for _, s in pieces[3:]])
    T = gguf.TokenType
    special = {i for i, t in tok.added_tokens_decoder.items() if t.special}
    assert special == {0, 1, 2, n}  # <unk> <s> </s> (named as the tokenizer's specials) and <|im_end|>
    assert field["tokenizer.ggml.token_type"][: n + 2] == (
        [T.CONTROL] * 3 + [T.BYTE] * 256 + [T.NORMAL] * 5 + [T.CONTROL, T.USER_DEFINED]
    )
    assert field["tokenizer.ggml.scores"][n : n + 2] == [-1000.0, -1000.0]  # added tokens, as convert_hf_to_gguf
    assert len(field["tokenizer.ggml.tokens"]) == model.config.vocab_size
    assert field["tokenizer.ggml.unknown_token_id"] == 0 and field["tokenizer.ggml.eos_token_id"] == 2


def test_llama3_rope_scaling_writes_rope_freqs_as_transformers_scales_the_frequencies(tiny_tokenizer, tmp_path):
    """Llama 3.1's rope scaling: the rope_freqs factors (llama.cpp divides each frequency by its factor) must
    be transformers' own llama3 inverse frequencies divided into the unscaled ones. transformers' GGUF loader
    does not read rope_freqs back (it rebuilds an unscaled config), so the weights are compared with the
    source config given to it."""
    import gguf
    from transformers import AutoModelForCausalLM
    from transformers.modeling_rope_utils import ROPE_INIT_FUNCTIONS

    from backend.export.gguf import write_gguf

    rope = dict(rope_type="llama3", rope_theta=500000.0, factor=8.0, low_freq_factor=1.0, high_freq_factor=4.0)
    rope |= dict(original_max_position_embeddings=64)  # small, so all three bands occur at head_dim 32
    arch = dict(ARCH, max_position_embeddings=512, rope_parameters=rope)
    model = build_tiny_model(tiny_tokenizer, arch, family="llama").eval()
    assert model.config.rope_parameters["rope_type"] == "llama3"
    write_gguf(model, tiny_tokenizer, tmp_path / "r.gguf", "f16")
    reader = gguf.GGUFReader(tmp_path / "r.gguf")
    (freqs,) = [t for t in reader.tensors if t.name == "rope_freqs.weight"]
    assert freqs.tensor_type.name == "F32"
    scaled, _ = ROPE_INIT_FUNCTIONS["llama3"](model.config, "cpu")
    head_dim = ARCH["hidden_size"] // ARCH["num_attention_heads"]
    plain = 1.0 / (500000.0 ** (torch.arange(0, head_dim, 2, dtype=torch.float64) / head_dim))
    expected = (plain / scaled.double()).tolist()
    assert freqs.data.tolist() == pytest.approx(expected, rel=1e-5)
    assert min(expected) == pytest.approx(1.0) and max(expected) == pytest.approx(8.0)  # both ends and a blend
    assert any(1.0 + 1e-3 < f < 8.0 - 1e-3 for f in expected)
    tiny_tokenizer.save_pretrained(tmp_path)
    loaded = AutoModelForCausalLM.from_pretrained(
        tmp_path, gguf_file="r.gguf", config=model.config, dtype=torch.float32
    )
    batch = tiny_tokenizer(TEXTS, return_tensors="pt", padding=True)
    with torch.no_grad():
        diff = (loaded.eval()(**batch).logits - model(**batch).logits).abs().max().item()
    assert 0 < diff < TOLERANCE["f16"], diff


def test_gguf_refuses_other_rope_scalings_and_llama3_outside_llama():
    from transformers import AutoConfig

    from backend.export.gguf import check_supported

    yarn = AutoConfig.for_model("llama", rope_parameters=dict(rope_type="yarn", factor=4.0, rope_theta=1e4))
    with pytest.raises(ExportError) as err:
        check_supported(yarn, "f16")
    assert str(err.value) == (
        "GGUF export: rope scaling 'yarn' is not supported yet (unscaled rotary and Llama 3.1's llama3 scaling only)"
    )
    llama3 = dict(rope_type="llama3", factor=8.0, low_freq_factor=1.0, high_freq_factor=4.0, rope_theta=1e4)
    llama3 |= dict(original_max_position_embeddings=64)
    with pytest.raises(ExportError) as err:
        check_supported(AutoConfig.for_model("qwen2", rope_parameters=llama3), "f16")
    assert str(err.value) == "GGUF export: llama3 rope scaling is written for the llama family, not 'qwen2'"
    check_supported(AutoConfig.for_model("llama", rope_parameters=llama3), "q8_0")  # accepted
