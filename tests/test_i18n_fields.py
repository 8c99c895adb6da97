"""The Chinese help of the JobSpec fields (``studio.field_help_zh``) is complete and has no stale keys, and the
form shows it (help under the inputs, the Datasets table's column help) in 中文 and the English descriptions
otherwise; the per-session language helpers of ``studio.i18n``."""

from __future__ import annotations

import html
import re
import types
import typing

from pydantic import BaseModel

from backend.spec import JobSpec
from studio import i18n
from studio.field_help_zh import FIELD_HELP_ZH
from studio.field_labels import field_help


def _models_in(annotation) -> list[type[BaseModel]]:
    """The pydantic models an annotation holds: itself, or inside list[...], Optional[...], unions."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    origin = typing.get_origin(annotation)
    if origin in (list, tuple, typing.Union, types.UnionType):
        return [m for arg in typing.get_args(annotation) for m in _models_in(arg)]
    return []


def leaf_fields(model: type[BaseModel] = JobSpec, prefix: str = "") -> dict[str, str]:
    """Every leaf field of ``model``, walked recursively (rows of list fields too), as {dotted: description}."""
    out = {}
    for name, info in model.model_fields.items():
        dotted = prefix + name
        nested = _models_in(info.annotation)
        if nested and isinstance(info.annotation, type):
            out.update(leaf_fields(nested[0], dotted + "."))  # a section: only its leaves are fields
            continue
        out[dotted] = info.description or ""
        for row in nested:  # a list of rows (data.sources): the row's columns are fields as well
            out.update(leaf_fields(row, dotted + "."))
    return out


def test_every_jobspec_field_has_chinese_help_and_no_key_is_stale():
    fields = leaf_fields()
    assert "data.sources.path" in fields and "train.learning_rate" in fields and len(fields) > 120
    missing = sorted(set(fields) - set(FIELD_HELP_ZH))
    stale = sorted(set(FIELD_HELP_ZH) - set(fields))
    assert not missing, "JobSpec fields without a zh entry in studio/field_help_zh.py:\n" + "\n".join(
        f"  {f}: {fields[f]!r}" for f in missing
    )
    assert not stale, f"entries of studio/field_help_zh.py that name no JobSpec field: {stale}"


def test_chinese_help_is_chinese_and_keeps_the_code_names():
    for field, text in FIELD_HELP_ZH.items():
        assert re.search(r"[\u4e00-\u9fff]", text), f"{field}: no Chinese in {text!r}"
        assert not re.search(r"[A-Za-z]+ [A-Za-z]+ [A-Za-z]+ [A-Za-z]+", text), f"{field}: English left in {text!r}"
    # Values a user types are kept verbatim from the English description.
    for field, token in [("train.resume_from_checkpoint", "'latest'"), ("data.val_size", ">=1"), ("rl.top_p", "1")]:
        assert token in FIELD_HELP_ZH[field] and token in field_help(field, "English")


def test_field_help_follows_the_language():
    assert field_help("data.cutoff_len", "English").startswith("Maximum tokens per training sequence")
    assert field_help("data.cutoff_len", "中文") == FIELD_HELP_ZH["data.cutoff_len"]
    assert field_help("data.sources.weight", "zh") == FIELD_HELP_ZH["data.sources.weight"]
    assert field_help("data.sources.weight", "en").startswith("Mixing weight")


def test_form_relabels_help_and_column_help_in_one_update_per_component():
    import gradio as gr

    from backend.spec import load_spec
    from studio.form import FIELDS, spec_to_form
    from studio.presets import preset_path
    from studio.train_form import build_form

    with gr.Blocks():
        inputs, labeller = build_form(spec_to_form(load_spec(preset_path("presets/sft/tiny-lora.yaml"))))
    assert len(labeller.components) == len({id(c) for c in labeller.components})  # each component once
    updates = dict(zip(map(id, labeller.components), labeller.relabel("中文"), strict=True))
    lr = updates[id(inputs[FIELDS.index("train.learning_rate")])]
    assert lr["label"] == "学习率" and lr["info"] == FIELD_HELP_ZH["train.learning_rate"]
    table = updates[id(inputs[FIELDS.index("data.sources")])]
    assert table["label"].startswith("数据集") and "info" not in table
    columns = [u for u in updates.values() if "value" in u and "`path`" in str(u["value"])]
    # HTML-escaped in the Markdown: the 'dataset:<name>' placeholder is text, not a tag
    assert len(columns) == 1 and html.escape(FIELD_HELP_ZH["data.sources.path"]) in columns[0]["value"]
    english = dict(zip(map(id, labeller.components), labeller.relabel("English"), strict=True))
    assert english[id(inputs[FIELDS.index("train.learning_rate")])]["info"] == "Peak learning rate."


def test_session_language_and_override():
    assert i18n.current() == "en"  # outside any request: English
    table = {"en": {"hi": "hello {who}"}, "zh": {"hi": "你好 {who}"}}
    with i18n.using("中文"):
        assert i18n.current() == "zh" and i18n.tr(table, "hi", who="x") == "你好 x"
    assert i18n.tr(table, "hi", who="x") == "hello x"
    request = types.SimpleNamespace(session_hash="s1")
    i18n.remember("中文", request)
    assert i18n._sessions["s1"] == "zh"
    assert i18n.code("klingon") == "en" and i18n.name("zh") == "中文"
    assert "localStorage" in i18n.SAVE_JS and 'startsWith("zh")' in i18n.LOAD_JS


def test_every_form_field_has_a_chinese_label():
    from studio.field_labels import ZH
    from studio.form import FIELDS

    missing = [f for f in FIELDS if f not in ZH]
    assert not missing, f"form fields without a Chinese label in studio/field_labels.py ZH: {missing}"
