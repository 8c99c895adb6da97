"""A new user's data path (issue 17): relative data paths read from the workspace, the Train form's dataset and
policy pickers, stage-vs-format fit for the mix viewer and pre-flight, no validation split on tiny data,
the preference and byte-piece previews, and escaped help text. Torch-free and fast, except the byte-piece
test, which loads the session's tiny tokenizer."""

from __future__ import annotations

import json
import shutil

import pytest

from backend import preflight as pf
from backend.data.build import resolve_source, split_validation
from backend.data.formats import DataError
from backend.data.stage_fit import common_stages, stages_for
from backend.spec import JobSpec
from backend.workspace import SAMPLES_DIR, resolve_data_path
from studio import data_picker, data_view
from studio.form import SOURCE_COLUMNS

CHAT = {"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]}


def jsonl(path, *records):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


def job(home, path, stage="sft", **data) -> JobSpec:
    body = {"sources": [{"path": str(path)}], **data}
    spec = {"stage": stage, "model": {"name_or_path": "builtin:tiny-llama"}, "data": body}
    return JobSpec.model_validate(spec | {"output": {"workspace": str(home)}})


@pytest.fixture(autouse=True)
def _own_datasets_cache(tmp_path, monkeypatch):
    import datasets

    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", str(tmp_path / "hf-cache"))


# ---------------------------------------------------------------------------- item 1: paths, pickers


def test_a_relative_source_path_is_read_from_the_workspace(tmp_path, monkeypatch):
    home, elsewhere = tmp_path / "ws", tmp_path / "cwd"
    upload = jsonl(home / "data" / "uploads" / "sharegpt.jsonl", CHAT)
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # as the trainer and the UI run: another current folder than the workspace
    assert resolve_data_path("data/uploads/sharegpt.jsonl", home) == upload
    assert resolve_source(job(home, "data/uploads/sharegpt.jsonl"), 0)[0] == upload
    # A path only the current folder holds still works (nothing that worked stops working) …
    local = jsonl(elsewhere / "mine.jsonl", CHAT)
    assert resolve_source(job(home, "mine.jsonl"), 0)[0] == local
    # … and a path neither holds names the workspace path it looked for, with advice that fits.
    with pytest.raises(DataError) as caught:
        resolve_source(job(home, "data/uploads/missing.jsonl"), 0)
    assert str(caught.value) == f"data.sources[0].path: {home / 'data/uploads/missing.jsonl'}: no such file or folder"
    assert caught.value.advice.endswith("; a relative path is read from the workspace")


def test_dataset_picker_lists_samples_workspace_files_and_registry(tmp_path):
    home = tmp_path / "ws"
    jsonl(home / "data" / "uploads" / "mine.jsonl", CHAT)
    (home / "datasets.yaml").write_text("qa:\n  path: data/uploads/mine.jsonl\n  description: my QA\n")
    choices = data_picker.dataset_choices(home)
    values = [v for _, v in choices]
    assert "builtin:samples/sft_messages.jsonl" in values
    assert "data/uploads/mine.jsonl" in values  # relative: the form holds what a JobSpec reads from the workspace
    assert ("dataset:qa (my QA)", "dataset:qa") in choices
    rows = [["builtin:samples/sft_messages.jsonl", "auto", 1.0, None, None, None]]
    assert data_picker.with_source(rows, "dataset:qa", False, SOURCE_COLUMNS) == [
        rows[0],
        ["dataset:qa", "auto", 1.0, None, None, None],
    ]
    assert data_picker.with_source(rows, "data/uploads/mine.jsonl", True, SOURCE_COLUMNS) == [
        ["data/uploads/mine.jsonl", "auto", 1.0, None, None, None]
    ]
    assert data_picker.with_source(rows, None, True, SOURCE_COLUMNS) == rows  # nothing picked: unchanged


def test_use_for_training_fills_the_table_and_clears_the_policy(tmp_path):
    from studio.tabs import data as data_tab

    home = tmp_path / "ws"
    upload = jsonl(home / "data" / "uploads" / "two.jsonl", CHAT, CHAT)
    rows, policy, note = data_tab.use_for_training(str(home), str(upload))
    assert rows == [["data/uploads/two.jsonl", "auto", 1.0, None, None, None]] and policy == ""
    assert "data/uploads/two.jsonl is now the Train tab&#x27;s only dataset" in note
    _, _, note = data_tab.use_for_training(str(home), "data/uploads/two.jsonl", "zh")  # typed, relative
    assert "data/uploads/two.jsonl 已设为训练页唯一的数据集" in note
    table, kept, error = data_tab.use_for_training(str(home), "data/uploads/nope.jsonl")
    assert table is not None and "data/uploads/nope.jsonl: no such file or folder in the workspace" in error


def test_dataset_path_help_keeps_its_placeholder(tmp_path):
    from studio.train_form import _columns_help

    shown = _columns_help("data.sources")
    assert "&#x27;dataset:&lt;name&gt;&#x27; for a dataset of the workspace&#x27;s datasets.yaml" in shown
    assert "a relative path is read from the workspace" in shown


# ----------------------------------------------------------------- item 2: stages per format, pre-flight


def test_stages_per_format_follow_the_trainers_rules():
    assert stages_for("messages") == ("pt", "sft", "ppo", "grpo")
    assert stages_for("preference") == ("rm", "dpo", "kto", "orpo", "ppo", "grpo")
    assert stages_for("text") == ("pt",) and stages_for("choice") == () and stages_for(None) == ()
    assert common_stages(["messages", "kto"]) == ("ppo", "grpo") and common_stages(["text", "choice"]) == ()


def test_preflight_refuses_a_policy_whose_formats_do_not_fit_and_names_it(tmp_path):
    home = tmp_path / "ws"
    policy = tmp_path / "mix.yaml"
    policy.write_text(
        "sources:\n  - path: builtin:samples/sft_messages.jsonl\n  - path: builtin:samples/eval_choice.jsonl\n"
    )
    spec = job(home, "builtin:samples/sft_messages.jsonl", mix={"policy": str(policy)})
    checks = {c.name: c for c in pf.check_data(spec, 20)}
    assert checks["data.sources[0]"].level == "ok"
    bad = checks["data.sources[1]"]
    assert (
        bad.level == "fail" and "eval_choice.jsonl is 'choice' data; the sft stage needs a chat format" in bad.message
    )
    assert bad.message.endswith(
        f"[this source comes from the policy {policy}: in the data-mix viewer pick the stage sft to leave out what "
        "it cannot use]"
    )


# ------------------------------------------------------------------------ item 3: tiny validation split


def test_two_records_hold_no_validation_split_out_and_say_so(tmp_path):
    import datasets

    class Events:
        def __init__(self):
            self.logged = []

        def log(self, message, **fields):
            self.logged.append((message, fields))

    home = tmp_path / "ws"
    two = jsonl(tmp_path / "two.jsonl", CHAT, CHAT)
    ds = datasets.Dataset.from_list([CHAT, CHAT])
    events = Events()
    train, val = split_validation(ds, job(home, two, val_size=0.05), events)
    assert len(train) == 2 and val is None
    message = "no validation split: 2 records (data.val_size 0.05 of them is under one record); every record trains"
    assert events.logged == [(message, {"level": "warning", "records": 2})]
    check = {c.name: c for c in pf.check_data(job(home, two, val_size=0.05), 200)}["data.val_size"]
    assert (check.level, check.message) == ("warn", message)
    # Early stopping on eval_loss needs the split: the usual rule holds (1 of 2 held out).
    stop = job(home, two, val_size=0.05).to_dict()
    stop["train"] = {"early_stopping": {"patience": 2}, "eval_steps": 1}
    train, val = split_validation(ds, JobSpec.model_validate(stop))
    assert (len(train), len(val)) == (1, 1)
    # Enough records: the fraction holds out as before.
    many = jsonl(tmp_path / "many.jsonl", *[CHAT] * 40)
    assert {c.name: c for c in pf.check_data(job(home, many, val_size=0.05), 200)}["data.val_size"].level == "ok"


# --------------------------------------------------------------- items 9, 10: pair and byte previews


def test_preference_preview_shows_prompt_chosen_and_rejected_with_masks():
    preview = {
        "pack": False,
        "rows": [
            {"side": "chosen", "pair": 1, "tokens": [{"text": "Q", "id": 1, "loss": False},
                                                     {"text": "A", "id": 2, "loss": True}]},
            {"side": "rejected", "pair": 1, "tokens": [{"text": "Q", "id": 1, "loss": False},
                                                       {"text": "B", "id": 3, "loss": True}]},
        ],
    }  # fmt: skip
    shown = data_view.preview_html(preview)
    assert "pair 1 · prompt + chosen reply" in shown and "pair 1 · prompt + rejected reply" in shown
    assert shown.count('data-loss="0"') == 2  # each prompt masked
    assert f'style="{data_view.LOSS_STYLE}">A<' in shown and f'style="{data_view.REJECTED_STYLE}">B<' in shown
    assert "with the rejected reply (red)" in shown
    assert "第 1 对 · 提示词 + 拒绝回答" in data_view.preview_html(preview, "zh")


def test_byte_pieces_are_merged_into_their_character(tiny_tokenizer):
    from backend.data.preview import merged_pieces

    ids = tiny_tokenizer.encode("诗", add_special_tokens=False)
    texts = [tiny_tokenizer.decode([i]) for i in ids]
    if len(ids) < 2:
        pytest.skip("the tiny tokenizer holds 诗 as one token")
    assert all("\ufffd" in t for t in texts)
    assert merged_pieces(tiny_tokenizer, ids, texts) == {0: (len(ids), "诗")}
    rest = [{"text": t, "id": i, "loss": True, "cont": True} for t, i in zip(texts[1:], ids[1:], strict=True)]
    row = {"tokens": [{"text": "诗", "id": ids[0], "loss": True, "pieces": len(ids)}, *rest]}
    shown = data_view.row_html(row, "sample 1")
    assert "\ufffd" not in shown and shown.count('class="data-tok ') == 1
    assert f'data-pieces="{len(ids)}"' in shown and "byte pieces (ids" in shown and ">诗<" in shown


def test_preview_cli_splits_pairs_and_merges_bytes(tiny_tokenizer, tmp_path):
    from types import SimpleNamespace

    from backend.data.preview import encode_samples
    from cli.data import preview_json

    pairs = jsonl(tmp_path / "p.jsonl", {"prompt": "写诗", "chosen": "好诗", "rejected": "坏诗"})
    samples = encode_samples(pairs, tiny_tokenizer, n=1)
    assert [(s["pair"], s["side"]) for s in samples] == [(1, "chosen"), (1, "rejected")]
    args = SimpleNamespace(path=pairs, format="auto", template="auto", cutoff_len=64, pack=False)
    out = preview_json(args, tiny_tokenizer, samples, samples)
    assert [r["title"] for r in out["rows"]] == ["pair 1 · chosen", "pair 1 · rejected"]
    shown = "".join(t["text"] for t in out["rows"][1]["tokens"] if not t.get("cont"))
    assert "坏诗" in shown and "\ufffd" not in shown


# ------------------------------------------------------------------------------ the viewer (AppTest)


def test_viewer_shows_stages_filters_by_stage_and_warns(tmp_path, monkeypatch):
    import yaml
    from streamlit.testing.v1 import AppTest
    from ui_helpers import ROOT

    data = tmp_path / "data"
    data.mkdir()
    for name in ("sft_messages.jsonl", "eval_choice.jsonl", "kto.jsonl"):
        shutil.copy(SAMPLES_DIR / name, data / name)
    monkeypatch.setenv("STUDIO_HOME", str(tmp_path / "home"))
    at = AppTest.from_file(str(ROOT / "sampler_viewer.py"), default_timeout=60).run()
    at.session_state["folder"] = str(data)
    at.session_state["tokenizer"] = "rough"
    at.sidebar.button(key="load").click().run()
    table = at.dataframe[0].value.set_index("source")
    assert table.loc["sft_messages", "stages that can use it"] == "pt, sft, ppo, grpo"
    assert table.loc["eval_choice", "stages that can use it"] == "none (evaluation data)"
    assert table.loc["kto", "compressed bytes"] == "—" and table.loc["kto", "raw bytes"].endswith("KiB")
    assert any("No stage can train on every source" in w.value for w in at.warning)
    at.selectbox(key="stage").set_value("sft").run()
    warnings = [w.value for w in at.warning]
    assert (
        "source 'eval_choice' is choice data: the sft stage cannot train on it; it is left out of the plan and the "
        "policy" in warnings
    )
    assert any(w.startswith("source 'kto' is kto data") for w in warnings)
    policy = yaml.safe_load(at.code[0].value)
    assert [s["name"] for s in policy["sources"]] == ["sft_messages"] and not at.exception
    # The donuts' legends: one entry per line at the right, never truncated (a bottom legend was clipped).
    legend = json.loads(at.get("vega_lite_chart")[0].proto.spec)["encoding"]["color"]["legend"]
    assert legend["orient"] == "right" and legend["labelLimit"] == 0


def test_new_labels_have_both_languages():
    import ast

    from ui_helpers import ROOT

    from studio.tabs import data as data_tab

    # sampler_viewer.py runs Streamlit at import: its LABELS are read from the source instead.
    tree = ast.parse((ROOT / "sampler_viewer.py").read_text(encoding="utf-8"))
    viewer = next(
        ast.literal_eval(n.value) for n in tree.body if isinstance(n, ast.Assign) and n.targets[0].id == "LABELS"
    )
    for table in (data_picker.LABELS, data_tab.LABELS, data_view.LABELS, viewer):
        assert set(table["en"]) == set(table["zh"])
    assert "stage" in viewer["zh"] and "use" in data_tab.LABELS["zh"] and "picker.policy" in data_picker.LABELS["zh"]
