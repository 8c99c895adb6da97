"""Paths the trainer reads, resolved as data.sources are: eval files and tokenizer corpora from the workspace
first (then the current folder), a mistyped model path as "no such folder" (not a hub id), an ``ORG/NAME`` still a
hub id; pre-flight says the same lines. Cheap: no training, no model loading (the tiny tokenizer at most)."""

from __future__ import annotations

import json
import shutil

import pytest

from backend.models.ref import parse_ref
from backend.preflight import check_eval_files, check_model
from backend.spec import spec_from_dict
from backend.workspace import SAMPLES_DIR, resolve_model_path, workspace_home


@pytest.fixture
def places(tmp_path, monkeypatch):
    """(workspace, current folder): a workspace with eval files and a corpus, and an unrelated current folder."""
    home = workspace_home(tmp_path / "ws")
    (home / "data" / "evals").mkdir(parents=True)
    shutil.copy(SAMPLES_DIR / "eval_choice.jsonl", home / "data" / "evals" / "choice.jsonl")
    shutil.copy(SAMPLES_DIR / "eval_prompts.jsonl", home / "data" / "evals" / "prompts.jsonl")
    (home / "data" / "corpus.txt").write_text("hello world\nthe studio reads this corpus\n" * 20, encoding="utf-8")
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "data").mkdir(parents=True)  # a local data/ folder: data/x is a path here, not a hub id
    monkeypatch.chdir(elsewhere)
    return home, elsewhere


def _spec(home, **sections):
    base = {"data": {"sources": [{"path": "builtin:samples/sft_messages.jsonl"}]}, "output": {"workspace": str(home)}}
    return spec_from_dict({**base, **sections})


def test_eval_files_are_read_from_the_workspace_when_the_cwd_is_elsewhere(places, tmp_path, tiny_tokenizer):
    from backend.train.loop import eval_callbacks

    home, elsewhere = places
    ev = {"choice_data": "data/evals/choice.jsonl", "prompts_data": "data/evals/prompts.jsonl", "limit": 2}
    spec = _spec(home, eval=ev)
    (callback,) = eval_callbacks(spec, tmp_path / "run", None, tiny_tokenizer)
    assert len(callback.choice) == 2 and len(callback.prompts) == 2
    assert [c.level for c in check_eval_files(spec, home)] == ["ok", "ok"]
    # A missing one: the trainer and pre-flight give the same line, naming the field and every place looked in.
    spec = _spec(home, eval={"prompts_data": "data/nope.jsonl"})
    line = (
        f"eval.prompts_data: no such file or folder 'data/nope.jsonl' "
        f"(looked in {home}/data/nope.jsonl, {elsewhere}/data/nope.jsonl)"
    )
    with pytest.raises(FileNotFoundError) as err:
        eval_callbacks(spec, tmp_path / "run", None, tiny_tokenizer)
    assert str(err.value) == line
    ((level, message),) = [(c.level, c.message) for c in check_eval_files(spec, home)]
    assert (level, message) == ("fail", line)


def test_tokenizer_corpus_is_read_from_the_workspace(places, tmp_path, capsys):
    from backend.tokenizer.errors import TokenizerError
    from backend.tokenizer.train import corpus_texts
    from cli.__main__ import main

    home, elsewhere = places
    assert next(corpus_texts(["data/corpus.txt"], home=home)) == "hello world"
    with pytest.raises(TokenizerError) as err:
        list(corpus_texts(["data/typo.txt"], home=home))
    assert str(err.value) == (
        f"data/typo.txt: no such file or folder (looked in {home}/data/typo.txt, {elsewhere}/data/typo.txt)"
    )
    # `studio tokenizer train` (the Data tab runs it with --home) reads the corpus from that workspace.
    out = tmp_path / "tok"
    argv = ["--home", str(home), "tokenizer", "train", "data/corpus.txt", "--out", str(out), "--kind", "byte-bpe",
            "--vocab-size", "300", "--json"]  # fmt: skip
    assert main(argv) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["corpus"]["records"] == 40 and (out / "tokenizer.json").is_file()


def test_a_mistyped_model_path_is_no_such_folder_and_org_name_stays_a_hub_id(places, tmp_path):
    home, elsewhere = places
    for text in ("runs/typo/model", "./mymodel", "data/x"):
        assert parse_ref(text, home).kind == "local", text
    assert parse_ref("Qwen/Qwen2.5-0.5B", home).kind == "hub"
    assert parse_ref("data/x").kind == "local"  # the current folder's data/ decides it without a workspace too
    with pytest.raises(FileNotFoundError) as err:
        resolve_model_path("./mymodel", home, "model.tokenizer")
    assert (
        str(err.value) == f"model.tokenizer: no such folder './mymodel' (looked in {elsewhere}/mymodel, {home}/mymodel)"
    )
    line = (
        f"model.name_or_path: no such folder 'data/x' (looked in {elsewhere}/data/x, {home}/data/x); "
        "for a hub model write hf:data/x"
    )
    with pytest.raises(FileNotFoundError) as err:
        resolve_model_path("data/x", home, "model.name_or_path")
    assert str(err.value) == line
    # The trainer's loader and pre-flight say the same.
    from backend.train.common import load_model

    spec = _spec(home, model={"name_or_path": "runs/typo/model", "tokenizer": "builtin:tiny-tokenizer"})
    with pytest.raises(FileNotFoundError, match=r"^model.name_or_path: no such folder 'runs/typo/model' \(looked in "):
        load_model(spec, None, "fp32")
    spec = _spec(home, model={"name_or_path": "data/x"})
    check = check_model(spec, home)
    assert (check.level, check.message) == ("fail", line)


def test_a_relative_model_folder_inside_the_workspace_is_found_from_elsewhere(places, tiny_model):
    home, elsewhere = places
    shutil.copytree(tiny_model, home / "models" / "mine")
    assert resolve_model_path("models/mine", home) == home / "models" / "mine"
    check = check_model(_spec(home, model={"name_or_path": "models/mine"}), home)
    assert check.level == "ok", check.message
