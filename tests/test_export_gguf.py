"""GGUF export: the file written for llama.cpp/Ollama loads back through transformers' GGUF loader (which
undoes llama.cpp's naming and rotary permutation) with the source model's logits, for a tiny Llama and a
tiny Qwen2 (q/k/v biases); the Modelfile's FROM names the file; other families are refused."""

from __future__ import annotations

import pytest
import torch

from backend.builtin import TINY_ARCH, build_tiny_model
from backend.export import export, render_summary
from backend.export_cli import main as export_main
from backend.export_gguf import _LLAMA3_SPLIT, _QWEN2_SPLIT
from backend.export_weights import ExportError

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

    from backend.export_gguf import write_gguf

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

    from backend.export_gguf import _vocab

    unigram = PreTrainedTokenizerFast(tokenizer_object=Tokenizer(models.Unigram([("<unk>", 0.0), ("a", -1.0)], 0)))
    with pytest.raises(ExportError) as err:
        _vocab(unigram, 64)
    assert str(err.value) == (
        "GGUF export writes byte-level BPE tokenizers (GPT-2/Qwen2/Llama 3 style); this one is 'Unigram' "
        "without a ByteLevel step"
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

    from backend.export_gguf import _pre_name, _tokenizer_json

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(Regex(pattern), behavior="isolated"),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
        ]
    )
    from transformers import PreTrainedTokenizerFast

    assert _pre_name(_tokenizer_json(PreTrainedTokenizerFast(tokenizer_object=tok))) == name
