"""A LoRA reward model (``presets/rm/tiny.yaml``) keeps its trained score head through ``studio export``,
``studio eval --task reward`` and a later PPO/GRPO stage's ``rl.reward_model``.

One short rm run (4 steps, through ``studio train``) and one export of it are shared by the module.
The reference scores are the run's own: the base loaded as a sequence classifier with the saved adapter
applied by peft, unmerged.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import torch
from conftest import run_cli
from test_evaluate import run_eval
from test_export import export_cli

from backend.run.registry import Registry
from backend.spec import SpecError, spec_from_dict

pytestmark = pytest.mark.scale  # a real rm run, its export and two evaluations: `make test-scale`
RUN_NAME = "rm-export"
PAIRS = [  # (prompt, chosen, rejected): Chinese and English, short and long
    ("What is the capital of Canada?", "The capital of Canada is Ottawa.", "The capital of Canada is Toronto."),
    ("秋天为什么树叶会变黄？", "叶绿素分解，黄色的类胡萝卜素显露出来。", "因为树叶累了。"),
    ("Say thanks.", "Thank you very much for your help!", "No."),
]


@pytest.fixture(scope="module")
def rm_run(studio_home, tiny_model):
    proc = run_cli("train", "presets/rm/tiny.yaml", "--set", f"output.run_name={RUN_NAME}",
                   "--set", "train.max_steps=4", home=studio_home)  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    (run,) = [r for r in Registry(studio_home).list() if r.name == RUN_NAME]
    return run


@pytest.fixture(scope="module")
def rm_export(rm_run, studio_home, tmp_path_factory):
    """``studio export rm-export --dtype fp32``: (folder, CLI output)."""
    out = tmp_path_factory.mktemp("rm-export") / "out"
    proc = export_cli(RUN_NAME, "--out", str(out), "--dtype", "fp32", home=studio_home)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    return out, proc.stdout


def scores(model, tokenizer, pairs=PAIRS) -> torch.Tensor:
    """Scores of every chosen then every rejected reply, rendered with the tokenizer's (training) template."""
    chats = [[{"role": "user", "content": p[0]}, {"role": "assistant", "content": p[side]}] for side in (1, 2)
             for p in pairs]  # fmt: skip
    texts = [tokenizer.apply_chat_template(chat, tokenize=False) for chat in chats]
    batch = tokenizer(texts, return_tensors="pt", padding=True, add_special_tokens=False)
    with torch.no_grad():
        return model.eval()(**batch).logits[:, 0].float()


def run_scores(run, tiny_model) -> tuple[torch.Tensor, torch.Tensor]:
    """(scores with the adapter, scores with it switched off) of the run: base classifier + peft adapter."""
    from peft import PeftModel
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(run.path / "adapter")
    base = AutoModelForSequenceClassification.from_pretrained(tiny_model, num_labels=1, dtype=torch.float32)
    base.config.pad_token_id = tok.pad_token_id  # as the rm stage sets it
    model = PeftModel.from_pretrained(base, run.path / "adapter")
    with model.disable_adapter():
        off = scores(model, tok)
    return scores(model, tok), off


def tensors(folder: Path) -> dict:
    from safetensors.torch import load_file

    out = {}
    for file in sorted(folder.glob("*.safetensors")):
        out.update(load_file(file))
    return out


def test_export_is_a_classifier_with_the_trained_head_and_no_modelfile(rm_run, rm_export, tiny_model):
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    out, stdout = rm_export
    config = json.loads((out / "config.json").read_text(encoding="utf-8"))
    assert config["architectures"] == ["LlamaForSequenceClassification"]
    assert len(config["id2label"]) == 1
    weights = tensors(out)
    assert weights["score.weight"].shape == (1, 256)
    assert not [k for k in weights if "lora" in k or "lm_head" in k or "modules_to_save" in k]
    saved = tensors(rm_run.path / "adapter")  # peft keeps the trained head as base_model.model.score.weight
    assert torch.equal(weights["score.weight"], saved["base_model.model.score.weight"])

    # The exported model, loaded with plain transformers, scores exactly as the run does.
    exported = AutoModelForSequenceClassification.from_pretrained(out)
    got = scores(exported, AutoTokenizer.from_pretrained(out))
    want, untrained = run_scores(rm_run, tiny_model)
    assert (want - untrained).abs().max() > 1e-2, "the adapter and head change the scores (test is not vacuous)"
    assert (got - want).abs().max() < 1e-4, (got, want)

    # A reward model generates nothing: no Ollama Modelfile and no chat-model claims in the card.
    assert not (out / "Modelfile").exists()
    assert "ollama   no Modelfile: a reward model scores conversations and generates no text" in stdout
    assert "a reward model (sequence classifier with its trained score head)" in stdout
    card = (out / "README.md").read_text(encoding="utf-8")
    assert "pipeline_tag: text-classification" in card and "text-generation" not in card
    assert "AutoModelForSequenceClassification" in card and "AutoModelForCausalLM" not in card
    assert "ollama" not in card.lower() and "add_generation_prompt" not in card


def test_eval_reward_accepts_the_run_and_its_export_alike(rm_run, rm_export, studio_home, capsys):
    data = "builtin:samples/preference.jsonl"
    proc = run_eval("eval", RUN_NAME, "--task", "reward", "--data", data, home=studio_home)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert re.search(r"^pair accuracy \d+\.\d\d% over 30 pairs", proc.stdout, re.M), proc.stdout
    stored = Path(re.search(r"^saved: (\S+)$", proc.stdout, re.M).group(1))
    assert stored.parent == rm_run.path / "eval"
    of_run = json.loads(stored.read_text(encoding="utf-8"))["metrics"]

    # The export, in this process (a second interpreter start costs more than the scoring).
    from cli.__main__ import main

    code = main(["--home", str(studio_home), "eval", str(rm_export[0]), "--task", "reward", "--data", data, "--json"])
    assert code == 0
    of_export = json.loads(capsys.readouterr().out)["metrics"]
    assert of_run["pairs"] == of_export["pairs"] == 30 and 0 <= of_run["accuracy"] <= 1
    assert of_run["accuracy"] == of_export["accuracy"]
    for a, b in zip(of_run["pairs_detail"], of_export["pairs_detail"], strict=True):
        assert a["where"] == b["where"] and a["margin"] == pytest.approx(b["margin"], abs=1e-4)
    assert len({round(d["margin"], 4) for d in of_run["pairs_detail"]}) > 1  # scores come from the model


def test_rl_reward_model_takes_the_export_and_refuses_a_chat_model(rm_run, rm_export, tiny_model):
    from backend.train.rewards import RewardModelScorer, load_reward_model

    def spec(ref: str):
        return spec_from_dict({"stage": "ppo", "data": {"sources": [{"path": "builtin:samples/eval_prompts.jsonl"}]},
                               "rl": {"reward_model": ref}})  # fmt: skip

    prompts = [[{"role": "user", "content": p}] for p, _, _ in PAIRS]
    chosen = [c for _, c, _ in PAIRS]
    from backend.models.resolve import pin_job_refs
    from backend.workspace import workspace_home

    pinned = pin_job_refs(spec(RUN_NAME), workspace_home())  # what create_run writes into the job: the run's folder
    assert Path(pinned.rl.reward_model).parent == rm_run.path  # its final model/ or adapter/
    from_run = RewardModelScorer(*load_reward_model(pinned))(prompts, chosen)
    from_export = RewardModelScorer(*load_reward_model(spec(str(rm_export[0]))))(prompts, chosen)
    assert from_export == pytest.approx(from_run, abs=1e-4)
    # A causal LM has no score head: loaded as a classifier it would score with a random one.
    with pytest.raises(SpecError, match=r"rl.reward_model.*is not a reward model \(no sequence-classification head"):
        load_reward_model(spec(str(tiny_model)))


def test_full_reward_model_folder_exports_as_a_classifier(tiny_model, tiny_tokenizer, studio_home, tmp_path):
    """A full/freeze rm run saves a ``*ForSequenceClassification`` folder; the export keeps that class and head."""
    from transformers import AutoModelForSequenceClassification

    from backend.export.run import export

    torch.manual_seed(0)
    full = AutoModelForSequenceClassification.from_pretrained(tiny_model, num_labels=1)
    full.save_pretrained(tmp_path / "model")
    tiny_tokenizer.save_pretrained(tmp_path / "model")
    result = export(str(tmp_path / "model"), tmp_path / "out", home=studio_home, dtype="fp32")
    assert result.modelfile == "no Modelfile: a reward model scores conversations and generates no text"
    assert not (tmp_path / "out" / "Modelfile").exists()
    config = json.loads((tmp_path / "out" / "config.json").read_text(encoding="utf-8"))
    assert config["architectures"] == ["LlamaForSequenceClassification"]
    assert torch.equal(tensors(tmp_path / "out")["score.weight"], full.score.weight.detach())
    exported = AutoModelForSequenceClassification.from_pretrained(tmp_path / "out")
    assert torch.equal(scores(exported, tiny_tokenizer), scores(full, tiny_tokenizer))
