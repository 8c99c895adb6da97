"""``studio export``: merge faithfulness, sharding, tokenizer/template round trip, model card, Modelfile,
ZeRO consolidation and the one-line errors. Runs are trained for a few steps on the builtin tiny model."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from conftest import LORA6, ROOT, run_cli

from backend.data.chat_templates import LLAMA3
from backend.events import read_events
from backend.export.card import identify_template, ollama_modelfile
from backend.export.run import SAMPLE_CONVERSATION, export
from backend.export.weights import PICKLE_SUFFIXES, custom_code_files
from backend.run.registry import Registry
from backend.spec import load_spec

TEXTS = ["The quick brown fox jumps over the lazy dog.", "你好，世界！今天天气很好。", "2 + 2 = 4"]


def export_cli(*args: str, home: Path):
    """``python -m cli --home HOME export ...`` in a subprocess."""
    env = {**os.environ, "STUDIO_HOME": str(home)}
    cmd = [sys.executable, "-m", "cli", "--home", str(home), "export", *args]
    return subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)


def train(home: Path, name: str, *sets: str):
    args = ["train", "presets/sft/tiny-lora.yaml", "--set", "output.run_name=" + name, "--set", "data.val_size=0"]
    for item in sets:
        args += ["--set", item]
    proc = run_cli(*args, home=home)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (run,) = [r for r in Registry(home).list() if r.name == name]
    return run


@pytest.fixture(scope="module")
def lora_run(lora6):
    """The session's six-step LoRA run (conftest ``lora6``: checkpoints at 3 and 6, no validation split)."""
    return lora6


def logits(model, tokenizer) -> torch.Tensor:
    batch = tokenizer(TEXTS, return_tensors="pt", padding=True)
    with torch.no_grad():
        return model.eval()(**batch).logits.float()


def reference(run, tiny_model):
    """(tokenizer, base logits, adapter logits) of a LoRA run, computed with peft in fp32."""
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(run.path / "adapter")
    base = AutoModelForCausalLM.from_pretrained(tiny_model, dtype=torch.float32)
    base_logits = logits(base, tok)
    adapted = PeftModel.from_pretrained(base, run.path / "adapter")
    return tok, base_logits, logits(adapted, tok)


def assert_plain_safetensors(folder: Path):
    names = [p.name for p in folder.iterdir()]
    assert not [n for n in names if n.endswith(PICKLE_SUFFIXES)], names
    assert not [n for n in names if n.startswith("adapter")], names
    assert [n for n in names if n.endswith(".safetensors")], names


def test_merged_export_is_faithful_plain_and_keeps_the_template(lora_run, studio_home, tiny_model, tmp_path):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from backend.data.templates import render, resolve_template
    from backend.train.common import load_tokenizer

    out = tmp_path / "merged"
    proc = export_cli(LORA6, "--out", str(out), "--dtype", "fp32", home=studio_home)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "adapter merged" in proc.stdout and "Modelfile: 'chatml'" in proc.stdout, proc.stdout
    assert_plain_safetensors(out)

    tok, base_logits, adapter_logits = reference(lora_run, tiny_model)
    merged = AutoModelForCausalLM.from_pretrained(out)  # plain transformers, no peft
    assert not any("lora" in n for n, _ in merged.named_parameters())
    assert merged.config.use_cache is True
    merged_logits = logits(merged, AutoTokenizer.from_pretrained(out))
    assert (adapter_logits - base_logits).abs().max() > 1e-2, "the adapter changes the model (test is not vacuous)"
    assert (merged_logits - adapter_logits).abs().max() < 1e-3

    # The chat template renders exactly what training rendered.
    spec = load_spec(lora_run.path / "job.yaml")
    train_tok = load_tokenizer(spec)
    template = resolve_template(train_tok, spec.data.template)
    exported = AutoTokenizer.from_pretrained(out)
    for gen in (False, True):
        want = render(train_tok, SAMPLE_CONVERSATION, template, add_generation_prompt=gen)
        got = exported.apply_chat_template(SAMPLE_CONVERSATION, tokenize=False, add_generation_prompt=gen)
        assert got == want
    assert exported("你好 <|im_end|>")["input_ids"] == train_tok("你好 <|im_end|>")["input_ids"]

    card = (out / "README.md").read_text(encoding="utf-8")
    final = [e for e in read_events(lora_run.path / "events.jsonl") if e["type"] == "result"][-1]["metrics"]
    assert "base_model: builtin:tiny-llama" in card
    assert "**lora (LoRA r=16, alpha=32" in card
    assert "```yaml\nversion: 1\nstage: sft" in card and "run_name: lora6" in card
    assert f"| final_loss | {final['final_loss']:.6g} |" in card
    assert "builtin:samples/sft_messages.jsonl" in card
    assert f"studio export lora6 --out {out} --dtype fp32" in card
    assert re.search(r"- date: \d{4}-\d\d-\d\d", card)

    modelfile = (out / "Modelfile").read_text(encoding="utf-8")
    assert "FROM .\n" in modelfile and 'PARAMETER stop "<|im_end|>"' in modelfile


def test_sharded_export_loads_back_and_force_replaces_shards(lora_run, studio_home, tiny_model, tmp_path):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    out = tmp_path / "sharded"
    result = export(lora_run.id, out, home=studio_home, max_shard_size="5MB")
    shards = sorted(out.glob("model-*.safetensors"))
    assert len(shards) >= 3 and all(p.stat().st_size <= 9_000_000 for p in shards), result.files
    index = json.loads((out / "model.safetensors.index.json").read_text())
    assert set(index["weight_map"].values()) == {p.name for p in shards}
    assert not (out / "model.safetensors").exists()
    _, _, adapter_logits = reference(lora_run, tiny_model)
    model = AutoModelForCausalLM.from_pretrained(out)
    assert (logits(model, AutoTokenizer.from_pretrained(out)) - adapter_logits).abs().max() < 1e-3

    # --force over an earlier export: one file now, and no stale shard left to confuse a loader.
    export(lora_run.id, out, home=studio_home, force=True, dtype="bf16")
    assert [p.name for p in out.glob("*.safetensors")] == ["model.safetensors"]
    assert not (out / "model.safetensors.index.json").exists()
    assert AutoModelForCausalLM.from_pretrained(out).dtype == torch.bfloat16


def test_checkpoint_adapter_without_merge(lora_run, studio_home, tmp_path):
    out = tmp_path / "adapter"
    proc = export_cli(
        str(lora_run.path / "checkpoints" / "checkpoint-3"), "--out", str(out), "--no-merge", home=studio_home
    )
    assert proc.returncode == 0, proc.stderr
    assert "checkpoint-3" in proc.stdout and "no Modelfile: the adapter was not merged" in proc.stdout
    assert (out / "adapter_model.safetensors").exists() and (out / "adapter_config.json").exists()
    assert not (out / "Modelfile").exists() and not [p for p in out.iterdir() if p.suffix in PICKLE_SUFFIXES]
    card = (out / "README.md").read_text(encoding="utf-8")
    assert "Metrics at the exported checkpoint" in card and "adapter (not merged)" in card


def test_named_training_template_goes_into_the_export(lora_run, studio_home, tmp_path):
    """A run trained with data.template=llama3 exports a tokenizer carrying llama3, and a llama3 Modelfile."""
    import shutil

    import yaml
    from transformers import AutoTokenizer

    run_dir = tmp_path / "run-llama3"
    shutil.copytree(lora_run.path, run_dir, ignore=shutil.ignore_patterns("checkpoints"))
    job = yaml.safe_load((run_dir / "job.yaml").read_text())
    job["data"]["template"] = "llama3"
    (run_dir / "job.yaml").write_text(yaml.safe_dump(job))
    result = export(str(run_dir), tmp_path / "out", home=studio_home)
    assert AutoTokenizer.from_pretrained(result.out).chat_template == LLAMA3
    assert "'llama3'" in result.modelfile and 'PARAMETER stop "<|eot_id|>"' in (result.out / "Modelfile").read_text()


def test_errors_are_one_line_with_exit_2(lora_run, studio_home, tmp_path):
    def fails(*args: str, expect: str):
        proc = export_cli(*args, home=studio_home)
        assert proc.returncode == 2, proc.stdout + proc.stderr
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: ") and expect in lines[0], proc.stderr
        assert "Traceback" not in proc.stderr

    fails("no-such-run", "--out", str(tmp_path / "a"), expect="no run or directory 'no-such-run'")
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "keep.txt").write_text("mine")
    fails(LORA6, "--out", str(busy), expect="exists and is not empty (use --force")
    assert [p.name for p in busy.iterdir()] == ["keep.txt"]
    fails(
        LORA6,
        "--out",
        str(tmp_path / "b"),
        "--checkpoint",
        "99",
        expect="checkpoints: checkpoint-3, checkpoint-6",
    )
    fails(str(tmp_path), "--out", str(tmp_path / "c"), expect="holds no adapter")
    fails(LORA6, "--out", str(tmp_path / "d"), "--max-shard-size", "lots", expect="--max-shard-size")
    fails(LORA6, "--out", str(tmp_path / "e"), "--from-zero", expect="no DeepSpeed ZeRO checkpoint")


def render_ollama(template: str, messages: list[dict]) -> str:
    """Render the subset of Go template syntax the Modelfiles use ({{- range .Messages }}, .Role, .Content)."""
    template = re.sub(r"\s*\{\{-\s*", "{{ ", template)
    head, body, tail = re.fullmatch(r"(.*?)\{\{ range \.Messages \}\}(.*?)\{\{ end \}\}(.*)", template, re.S).groups()
    turns = (body.replace("{{ .Role }}", m["role"]).replace("{{ .Content }}", m["content"]) for m in messages)
    return head + "".join(turns) + tail


@pytest.mark.parametrize("name", ["chatml", "llama3"])
def test_modelfile_template_renders_like_the_chat_template(name, tiny_tokenizer):
    from backend.data.templates import NAMED_TEMPLATES

    text, note = ollama_modelfile(NAMED_TEMPLATES[name])
    assert text and f"'{name}'" in note
    template = re.search(r'TEMPLATE """(.*?)"""', text, re.S).group(1)
    want = tiny_tokenizer.apply_chat_template(
        SAMPLE_CONVERSATION, chat_template=NAMED_TEMPLATES[name], tokenize=False, add_generation_prompt=True
    )
    assert render_ollama(template, SAMPLE_CONVERSATION) == want.removeprefix("<|begin_of_text|>")


def test_template_identification_and_refusals():
    assert identify_template(LLAMA3) == ("llama3", "exact")
    qwen_like = "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}"
    assert identify_template(qwen_like) == ("chatml", "markers")
    text, note = ollama_modelfile("{{ messages[0]['content'] }}")
    assert text is None and "not one the studio can translate" in note
    assert ollama_modelfile(None) == (None, "no Modelfile: the tokenizer has no chat template")
    from backend.data.chat_templates import BAICHUAN2

    assert ollama_modelfile(BAICHUAN2)[0] is None and "baichuan2" in ollama_modelfile(BAICHUAN2)[1]


def test_custom_code_files_follow_auto_map(tmp_path):
    (tmp_path / "config.json").write_text(
        json.dumps(
            {
                "auto_map": {
                    "AutoConfig": "configuration_qwen.QWenConfig",
                    "AutoModelForCausalLM": "org/r--modeling_qwen.QWen",
                }
            }
        )
    )
    (tmp_path / "tokenizer_config.json").write_text(
        json.dumps({"auto_map": {"AutoTokenizer": ["tokenization_qwen.QWenTokenizer", None]}})
    )
    for name in ("configuration_qwen.py", "modeling_qwen.py", "tokenization_qwen.py", "unrelated.py"):
        (tmp_path / name).write_text("# code\n")
    found = [p.name for p in custom_code_files(tmp_path)]
    assert found == ["configuration_qwen.py", "modeling_qwen.py", "tokenization_qwen.py"]


def test_qlora_run_merges_into_the_full_precision_base(studio_home, tiny_model, tmp_path):
    run = train(studio_home, "export-qlora", "train.max_steps=3", "method.type=qlora")
    out = tmp_path / "q"
    proc = export_cli(run.id, "--out", str(out), home=studio_home)
    assert proc.returncode == 0, proc.stderr
    assert "merged into the full-precision base" in proc.stdout
    card = (out / "README.md").read_text(encoding="utf-8")
    assert "4-bit nf4 base" in card and "merged into the full-precision base" in card
    config = json.loads((out / "config.json").read_text())
    assert "quantization_config" not in config and config["dtype"] == "float32"
    assert_plain_safetensors(out)


@pytest.mark.slow
@pytest.mark.scale  # heavier end to end: make test-scale (CI runs both), keeps make test in its budget
def test_zero2_checkpoint_consolidates_to_the_trained_weights(studio_home, tiny_model, tmp_path):
    from safetensors.torch import load_file
    from transformers import AutoModelForCausalLM

    run = train(
        studio_home, "export-zero", "method.type=full", "train.max_steps=4", "train.save_steps=2",
        "distributed.num_processes=2", "distributed.zero_stage=2",
    )  # fmt: skip
    ckpt = run.path / "checkpoints" / "checkpoint-4"
    assert (ckpt / "latest").exists() and list(ckpt.glob("global_step4/*optim_states.pt"))
    out = tmp_path / "zero"
    proc = export_cli(run.id, "--out", str(out), "--checkpoint", "latest", "--from-zero", home=studio_home)
    assert proc.returncode == 0, proc.stderr
    assert "(zero)" in proc.stdout and "consolidated to fp32" in proc.stdout
    assert_plain_safetensors(out)
    trained, exported = load_file(ckpt / "model.safetensors"), load_file(out / "model.safetensors")
    assert set(trained) <= set(exported) | {"lm_head.weight"}
    for key, value in trained.items():
        torch.testing.assert_close(exported.get(key, exported["model.embed_tokens.weight"]), value, rtol=0, atol=0)
    AutoModelForCausalLM.from_pretrained(out)
