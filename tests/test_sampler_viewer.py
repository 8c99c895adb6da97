"""The data-mix viewer: its logic (``backend.data.mix_policy``) and the Streamlit page driven by ``AppTest``.

The ratio arithmetic itself is tested in test_data_mix.py; here: what the viewer adds on top of it
(sizes of real sources, pasted text, slider settings, the policy it exports), and the page's behaviour.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest
import yaml
from conftest import ROOT

from backend.data import mix_policy as mixer
from backend.data import mix_view
from backend.data.mix import MixError
from backend.data.shard import shard
from backend.data.validate import iter_valid_records
from backend.spec import MixPolicy, spec_from_dict
from backend.workspace import SAMPLES_DIR

AppTest = pytest.importorskip("streamlit.testing.v1").AppTest


def src(name, tokens, path="", records=10):
    return mix_view.Source(name, path, records=records, tokens=tokens, origin="manual")


# ------------------------------------------------------------------------------------ manual input


def test_sizes_parse_with_suffixes_and_separators():
    assert mixer.parse_size("1200") == 1200
    assert mixer.parse_size("1,200") == mixer.parse_size("1_200") == 1200
    assert mixer.parse_size("1.5M") == 1.5e6 and mixer.parse_size("3b") == 3e9 and mixer.parse_size("2e3") == 2000
    for bad in ("abc", "-5", "1.2.3", "nan", "inf", "1M2", "", "__import__('os')"):
        with pytest.raises(ValueError):
            mixer.parse_size(bad)


def test_manual_entry_reads_names_sizes_and_paths():
    text = "# name tokens path\nwiki  1.2M  data/wiki.jsonl\ncode,300k\n\nbooks\t2B\t/data/books  # big\n"
    sources, errors = mixer.parse_manual(text)
    assert errors == []
    assert [(s.name, s.tokens, s.path) for s in sources] == [
        ("wiki", 1.2e6, "data/wiki.jsonl"),
        ("code", 3e5, ""),
        ("books", 2e9, "/data/books"),
    ]
    assert all(s.origin == "manual" and not s.estimated for s in sources)


def test_malformed_manual_entry_gives_line_numbered_messages_and_runs_nothing(tmp_path):
    marker = tmp_path / "pwned"
    text = f"a 10\nb lots\nc -5\na 20\nlonely\nd __import__('os').system('touch {marker}')\n"
    sources, errors = mixer.parse_manual(text)
    assert errors == [
        "line 2: b: 'lots' is not a size (examples: 1200, 1.2M, 3B)",
        "line 3: c: size must be >= 0 (got -5)",
        "line 4: duplicate name 'a' (first on line 1)",
        "line 5: expected 'name  tokens  [path]', got 'lonely'",
        "line 6: d: '__import__('os').system('touch' is not a size (examples: 1200, 1.2M, 3B)",
    ]
    assert not marker.exists()
    assert mixer.parse_manual("  \n# only a comment\n")[1] == [
        "nothing to parse: write one source per line, e.g. 'wiki  1.2B  data/wiki'"
    ]


# ------------------------------------------------------------------------------------------- plan


def test_slider_percents_are_relative_and_unallocated_is_reported():
    sources = [src("a", 1000), src("b", 1000)]
    plan = mixer.make_plan(sources, [30, 10], [0, 0], None, 0, "shares")  # 60% unallocated
    assert plan.shares == pytest.approx([0.75, 0.25])
    assert mixer.unallocated([30, 10]) == 60 and mixer.unallocated([80, 40]) == -20


def test_all_sliders_at_zero_is_a_clear_message():
    with pytest.raises(MixError, match="every share is 0%: move at least one slider above 0"):
        mixer.make_plan([src("a", 10), src("b", 10)], [0, 0], [0, 0], None, 0, "shares")


def test_alpha_mode_spans_natural_to_uniform_and_skips_empty_sources():
    sources = [src("big", 9000), src("small", 1000), src("empty", 0, records=0)]
    natural = mixer.make_plan(sources, [0, 0, 0], [0, 0, 0], 1.0, 0, "alpha")
    uniform = mixer.make_plan(sources, [0, 0, 0], [0, 0, 0], 0.0, 0, "alpha")
    assert natural.shares == pytest.approx([0.9, 0.1, 0.0]) and natural.epochs[:2] == pytest.approx([1, 1])
    assert uniform.shares == pytest.approx([0.5, 0.5, 0.0]) and uniform.epochs[0] == pytest.approx(1 / 9)
    # In shares mode an empty source that is asked for a share is a named error, not a division by zero.
    with pytest.raises(MixError, match="source 'empty' has no tokens"):
        mixer.make_plan(sources, [40, 40, 20], [0, 0, 0], None, 0, "shares")


def test_one_source_caps_and_budget_reach_the_plan():
    assert mixer.make_plan([src("only", 500)], [5], [0], None, 0, "shares").shares == [1.0]
    sources = [src("big", 10_000), src("small", 500)]
    plan = mixer.make_plan(sources, [50, 50], [0, 2], None, 5000, "shares")  # cap 2 on small cuts the budget
    assert plan.total_tokens == pytest.approx(2000) and plan.bound == "cap:small"
    assert any("cut to 2,000" in w for w in plan.warnings)
    assert mixer.natural_shares(sources) == pytest.approx([10_000 / 10_500, 500 / 10_500])
    assert mixer.natural_shares([src("x", 0)]) == [0.0]


# ---------------------------------------------------------------------------------------- sources


def test_a_data_folder_lists_files_and_shard_folders_with_exact_or_estimated_tokens(tmp_path, tiny_tokenizer):
    data = tmp_path / "data"
    data.mkdir()
    for name in ("sft_messages.jsonl", "pretrain_zh_en.jsonl", "sft_alpaca.json"):
        shutil.copy(SAMPLES_DIR / name, data / name)
    manifest = shard([SAMPLES_DIR / "sft_sharegpt.jsonl"], data / "sharegpt", shard_size=40, tokenizer=tiny_tokenizer)
    (data / "notes.md").write_text("not data")
    pairs = mix_view.scan_directory(data)
    assert [n for n, _ in pairs] == ["pretrain_zh_en", "sft_alpaca", "sft_messages", "sharegpt"]

    home = tmp_path / "home"
    (home / "models").mkdir(parents=True)
    tiny_tokenizer.save_pretrained(home / "models" / "tiny-tokenizer")
    count, exact = mix_view.token_counter("builtin", home)
    assert exact
    got = {n: mix_view.measure(n, p, "auto", count, exact, home) for n, p in pairs}
    sharegpt = got["sharegpt"]
    assert (sharegpt.origin, sharegpt.records, sharegpt.tokens) == ("manifest", 100, manifest["totals"]["tokens"])
    assert sharegpt.bytes_compressed == sum(f.stat().st_size for f in (data / "sharegpt").glob("*.zst"))
    assert sharegpt.bytes_raw == manifest["totals"]["bytes_raw"] > sharegpt.bytes_compressed
    messages = got["sft_messages"]  # 300 records, a sample of 256 tokenised: estimated
    assert (messages.origin, messages.records, messages.detected) == ("estimated", 300, "messages")
    assert messages.bytes_raw == (SAMPLES_DIR / "sft_messages.jsonl").stat().st_size and messages.estimated
    alpaca = got["sft_alpaca"]  # 100 records, all tokenised: exact for this tokenizer
    rendered = [mix_view.record_text(r) for r in iter_valid_records(data / "sft_alpaca.json")]
    assert alpaca.origin == "counted" and alpaca.tokens == count(rendered)
    rough = mix_view.measure("a", str(data / "sft_alpaca.json"), "auto", *mix_view.token_counter("rough", home), home)
    assert rough.origin == "rough" and rough.estimated and rough.tokens > 0


def test_folder_and_registry_problems_are_messages(tmp_path):
    with pytest.raises(MixError, match="not a folder"):
        mix_view.scan_directory(tmp_path / "missing")
    with pytest.raises(MixError, match="no data files"):
        mix_view.scan_directory(tmp_path)
    with pytest.raises(MixError, match="registry is empty"):
        mix_view.sources_of_registry(tmp_path)
    (tmp_path / "datasets.yaml").write_text(f"chat:\n  path: {SAMPLES_DIR / 'sft_sharegpt.jsonl'}\n")
    assert mix_view.sources_of_registry(tmp_path) == [("chat", "dataset:chat")]
    count, exact = mix_view.token_counter("rough", tmp_path)
    assert mix_view.measure("chat", "dataset:chat", "auto", count, exact, tmp_path).records == 100
    with pytest.raises(MixError, match="no such file"):
        mix_view.measure("x", str(tmp_path / "nope.jsonl"), "auto", count, exact, tmp_path)
    with pytest.raises(MixError, match="no tokenizer.json"):
        mix_view.token_counter(str(tmp_path), tmp_path)


# ----------------------------------------------------------------------------------------- policy


def test_exported_policy_loads_into_a_jobspec_unchanged(tmp_path):
    sources = [
        src("a", 8000, "builtin:samples/sft_messages.jsonl"),
        src("b", 2000, "builtin:samples/sft_sharegpt.jsonl"),
    ]
    sources.append(src("off", 100, "builtin:samples/sft_alpaca.json"))
    caps = [0, 3, 0]
    plan = mixer.make_plan(sources, [60, 40, 0], caps, None, 50_000, "shares")
    text = mixer.build_policy(sources, plan, caps, 50_000, "shares", None).to_yaml()
    policy = mixer.check_policy_text(text)
    assert [s.name for s in policy.sources] == ["a", "b"]  # the 0% source is left out (weights must be > 0)
    file = tmp_path / "p.yaml"
    file.write_text(text, encoding="utf-8")
    spec = spec_from_dict({"stage": "sft", "data": {"sources": [{"path": "x"}], "mix": {"policy": str(file)}}})
    assert [(s.name, s.weight, s.max_epochs) for s in spec.data.sources] == [("a", 60.0, None), ("b", 40.0, 3.0)]
    assert spec.data.mix.total_tokens == 50_000 and spec.data.mix.strategy == "interleave"
    settings = mixer.load_settings(file)  # importing it back gives the same settings
    assert settings["percents"] == [60, 40] and settings["caps"] == [0, 3] and settings["budget"] == 50_000
    assert settings["sources"][0] == ("a", "builtin:samples/sft_messages.jsonl", "auto")


def test_alpha_policies_freeze_shares_or_keep_the_temperature():
    sources = [src("a", 9000, "a.jsonl"), src("b", 1000, "b.jsonl")]
    plan = mixer.make_plan(sources, [0, 0], [0, 0], 0.5, 0, "alpha")
    frozen = mixer.build_policy(sources, plan, [0, 0], 0, "alpha", 0.5)
    assert frozen.mix.temperature is None and [s.weight for s in frozen.sources] == pytest.approx([75, 25])
    kept = mixer.build_policy(sources, plan, [0, 0], 0, "alpha", 0.5, freeze=False)
    assert kept.mix.temperature == 0.5 and [s.weight for s in kept.sources] == [1, 1]
    assert mixer.settings_of(kept)["mode"] == "alpha"
    with pytest.raises(MixError, match="source 'x' has no path"):
        mixer.build_policy([src("x", 10)], mixer.make_plan([src("x", 10)], [1], [0], None, 0, "shares"), [0], 0,
                           "shares", None)  # fmt: skip


def test_saving_is_confined_to_the_workspace_and_never_overwrites_silently(tmp_path):
    text = MixPolicy(sources=[{"path": "a.jsonl", "weight": 1}]).to_yaml()
    path = mixer.save_policy(tmp_path, "../../etc/my mix!", text)
    assert path == tmp_path.resolve() / "policies" / "etc-my-mix.yaml" and path.read_text() == text
    assert mixer.safe_name("中文 配比.yaml") == "中文-配比"
    with pytest.raises(FileExistsError, match="confirm to overwrite"):
        mixer.save_policy(tmp_path, "etc-my-mix", text)
    mixer.save_policy(tmp_path, "etc-my-mix", text.replace("weight: 1.0", "weight: 2.0"), overwrite=True)
    assert "weight: 2.0" in path.read_text()
    with pytest.raises(MixError, match="policy name"):
        mixer.save_policy(tmp_path, "../..", text)
    with pytest.raises(MixError, match=r"the policy: sources\[0\].weight: must be greater than 0 \(got -1\)"):
        mixer.save_policy(tmp_path, "bad", text.replace("weight: 1.0", "weight: -1"))
    assert [p.name for p in mixer.list_policies(tmp_path)] == ["etc-my-mix.yaml"]


# -------------------------------------------------------------------------------- the page (AppTest)


def chart_data(at, index: int):
    """The data frame behind the page's ``index``-th Vega-Lite chart (0: before, 1: after)."""
    from streamlit import dataframe_util

    proto = at.get("vega_lite_chart")[index].proto
    return dataframe_util.convert_arrow_bytes_to_pandas_df(proto.datasets[0].data.data)


@pytest.fixture
def app(tmp_path, monkeypatch):
    data = tmp_path / "data"
    data.mkdir()
    for name in ("sft_messages.jsonl", "sft_sharegpt.jsonl"):
        shutil.copy(SAMPLES_DIR / name, data / name)
    monkeypatch.setenv("STUDIO_HOME", str(tmp_path / "home"))
    at = AppTest.from_file(str(ROOT / "sampler_viewer.py"), default_timeout=60).run()
    at.session_state["folder"] = str(data)
    at.session_state["tokenizer"] = "rough"
    at.sidebar.button(key="load").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    return at


def test_page_lists_sources_and_a_slider_updates_chart_table_and_export(app):
    assert list(app.dataframe[0].value["source"]) == ["sft_messages", "sft_sharegpt"]
    before = app.table[0].value
    assert chart_data(app, 1)["share"].sum() == pytest.approx(1)
    app.slider(key="pct::sft_sharegpt").set_value(60.0).run()
    app.slider(key="pct::sft_messages").set_value(40.0).run()
    after = app.table[0].value
    assert list(after["share %"]) == pytest.approx([40, 60]) and list(after["share %"]) != list(before["share %"])
    assert list(chart_data(app, 1)["share"]) == pytest.approx([0.4, 0.6])
    assert after["epochs"].iloc[1] == pytest.approx(1) and after["epochs"].iloc[0] < 1  # sharegpt runs out first
    assert not app.warning  # no budget, no cap: the mix ends when a source is used up, nothing repeats
    app.number_input(key="cap::sft_sharegpt").set_value(3.0).run()
    app.number_input(key="warn").set_value(2.0).run()
    capped = app.table[0].value
    assert capped["epochs"].iloc[1] == pytest.approx(3) and capped["epochs"].iloc[0] < 1  # sharegpt upsampled
    warnings = [w.value for w in app.warning]
    assert any("repeated 3.00 times (upsampled)" in w for w in warnings)
    assert "source 'sft_sharegpt' is repeated 3.00 times, above 2 epochs" in warnings
    policy = yaml.safe_load(app.code[0].value)
    assert [s["weight"] for s in policy["sources"]] == pytest.approx([40, 60])
    # State persists across reruns and a language switch.
    app.sidebar.radio(key="lang").set_value("中文").run()
    assert app.slider(key="pct::sft_sharegpt").value == 60.0 and app.title[0].value == "数据配比工具"
    assert "轮数" in app.table[0].value.columns


def test_page_saves_then_imports_a_policy(app, tmp_path):
    app.slider(key="pct::sft_messages").set_value(25.0).run()
    other = app.slider(key="pct::sft_sharegpt").value
    app.number_input(key="cap::sft_sharegpt").set_value(2.0).run()
    app.text_input(key="policy_name").input("my mix").run()
    app.button(key="save").click().run()
    saved = tmp_path / "home" / "policies" / "my-mix.yaml"
    assert saved.exists() and any(str(saved) in s.value for s in app.success)
    app.button(key="save").click().run()  # a second save needs the overwrite box
    assert any("confirm to overwrite" in w.value for w in app.warning) and saved.exists()

    app.slider(key="pct::sft_messages").set_value(90.0).run()
    app.sidebar.radio(key="input").set_value("saved").run()
    app.sidebar.selectbox(key="saved").set_value(str(saved)).run()
    app.sidebar.button(key="load").click().run()
    assert app.slider(key="pct::sft_messages").value == pytest.approx(100 * 25 / (25 + other), abs=0.01)
    assert app.number_input(key="cap::sft_sharegpt").value == 2.0


def test_page_reports_bad_manual_input_and_bad_policies_without_a_traceback(app, tmp_path):
    app.sidebar.radio(key="input").set_value("manual").run()
    app.sidebar.text_area(key="manual").input("wiki 1M\nwiki 2M\ncode -3\n%%%").run()
    app.sidebar.button(key="load").click().run()
    assert not app.exception
    shown = app.error[0].value
    assert "duplicate name 'wiki'" in shown and "size must be >= 0" in shown and "line 4" in shown
    app.sidebar.text_area(key="manual").input("wiki 1M\ncode 0").run()
    app.sidebar.button(key="load").click().run()
    assert list(app.dataframe[0].value["source"]) == ["wiki", "code"] and len(app.table) == 1
    assert [e.value for e in app.error] == ["source 'wiki' has no path: a policy needs one (add it after the size)"]
    app.slider(key="pct::wiki").set_value(0.0).run()
    app.slider(key="pct::code").set_value(0.0).run()
    assert not app.exception and "every share is 0%" in app.error[0].value
    app.sidebar.text_area(key="manual").input("wiki 1M data/wiki.jsonl\ncode 0 data/code").run()
    app.sidebar.button(key="load").click().run()
    assert not app.error and yaml.safe_load(app.code[0].value)["sources"] == [
        {"path": "data/wiki.jsonl", "format": "auto", "weight": 100.0, "name": "wiki"}  # code: 0 tokens, 0%
    ]

    bad = tmp_path / "bad.yaml"
    bad.write_text("sources:\n  - path: a.jsonl\n    weight: -2\n")
    app.sidebar.radio(key="input").set_value("file").run()
    app.sidebar.text_input(key="file").input(str(bad)).run()
    app.sidebar.button(key="load").click().run()
    assert not app.exception and "weight" in app.error[0].value and "bad.yaml" in app.error[0].value


def test_viewer_starts_without_torch(tmp_path):
    code = (
        "import sys, json; from streamlit.testing.v1 import AppTest\n"
        f"at = AppTest.from_file({str(ROOT / 'sampler_viewer.py')!r}, default_timeout=60).run()\n"
        f"at.session_state['folder'] = {str(SAMPLES_DIR)!r}\n"
        "at.sidebar.button(key='load').click().run()\n"
        "heavy = [m for m in ('torch', 'transformers', 'datasets') if m in sys.modules]\n"
        "print(json.dumps({'heavy': heavy, 'tables': len(at.table), 'errors': [e.value for e in at.error]}))\n"
    )
    env = {"STUDIO_HOME": str(tmp_path), "PATH": "/usr/bin:/bin", "HF_HUB_OFFLINE": "1"}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result == {"heavy": [], "tables": 1, "errors": []}


def test_edits_survive_reruns_that_hide_their_widgets(app):
    folder = app.session_state["folder"]
    app.slider(key="pct::sft_messages").set_value(12.5).run()
    app.text_input(key="policy_name").input("kept").run()
    app.sidebar.radio(key="input").set_value("manual").run()  # the folder box is not drawn now
    app.sidebar.text_area(key="manual").input("x 5").run()
    app.sidebar.radio(key="input").set_value("folder").run()
    assert app.sidebar.text_input(key="folder").value == folder
    app.sidebar.radio(key="input").set_value("manual").run()
    assert app.sidebar.text_area(key="manual").value == "x 5"
    assert app.slider(key="pct::sft_messages").value == 12.5 and app.text_input(key="policy_name").value == "kept"


def test_alpha_mode_plans_by_size_and_can_keep_alpha_for_the_trainer(app):
    app.radio(key="mode").set_value("alpha").run()
    app.slider(key="alpha").set_value(0.0).run()
    assert app.slider(key="pct::sft_messages").disabled  # the sliders do not apply in alpha mode
    assert list(chart_data(app, 1)["share"]) == pytest.approx([0.5, 0.5])
    assert app.metric[1].value == "—"  # nothing to allocate by hand
    frozen = yaml.safe_load(app.code[0].value)
    assert "temperature" not in frozen["mix"] and [s["weight"] for s in frozen["sources"]] == [50, 50]
    app.checkbox(key="freeze").uncheck().run()
    kept = yaml.safe_load(app.code[0].value)
    assert kept["mix"]["temperature"] == 0 and [s["weight"] for s in kept["sources"]] == [1, 1]


def test_an_uploaded_policy_is_imported_and_a_missing_choice_is_a_message(app, tmp_path):
    app.sidebar.radio(key="input").set_value("saved").run()
    app.sidebar.button(key="load").click().run()  # no policy saved yet
    assert not app.exception and app.error[0].value == "Choose or upload a file first."
    sharegpt = SAMPLES_DIR / "sft_sharegpt.jsonl"
    text = f"sources:\n  - {{path: {sharegpt}, weight: 1, name: chat}}\n  - {{path: {sharegpt}, weight: 3}}\n"
    text += "mix: {total_tokens: 20000}\n"
    app.sidebar.radio(key="input").set_value("file").run()
    app.get("file_uploader")[0].upload("team mix.yaml", text.encode(), "application/x-yaml").run()
    assert not app.error, [e.value for e in app.error]
    assert list(app.dataframe[0].value["source"]) == ["chat", "sft_sharegpt.jsonl"]  # the trainer's labels
    assert app.slider(key="pct::chat").value == 25 and app.number_input(key="budget").value == 20_000
    bad = "sources:\n  - {path: a.jsonl, weight: 0}\n"
    app.get("file_uploader")[0].set_value(("bad mix.yaml", bad.encode(), "application/x-yaml")).run()
    assert not app.exception
    assert "bad-mix.yaml: sources[0].weight: must be greater than 0" in app.error[0].value
