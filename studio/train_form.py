"""Lay out the JobSpec form: one typed input per ``studio.form.FIELDS`` entry, grouped in sections.

A field's section is the first ``GROUPS`` entry whose prefix matches its dotted name, else "Other", so
a new JobSpec field lands in its section with no change here. Main sections are open; advanced ones
(LoRA, QLoRA, freeze, architecture, logging, resume, distributed…) are closed accordions. Each input's
help is its JobSpec field description.
"""

from __future__ import annotations

import html

import gradio as gr

from backend.stages import stages_where
from studio import data_picker
from studio.field_labels import field_help
from studio.form import FIELDS, SOURCE_COLUMNS, TABLE_FIELDS, docs, label
from studio.i18n import DEFAULT_LANGUAGE, Labeller, lookup

# (group key, field prefixes, shown as a closed accordion). First match wins, so more specific
# prefixes come first; a field matching none lands in "other", which is always shown.
GROUPS: list[tuple[str, tuple[str, ...], bool]] = [
    ("group.basics", ("stage", "method.type", "model.name_or_path", "output.run_name", "train.precision"), False),
    ("group.data", ("data.",), False),
    (
        "group.hyper",
        (
            "train.num_epochs",
            "train.max_steps",
            "train.per_device_batch_size",
            "train.gradient_accumulation_steps",
            "train.learning_rate",
            "train.lr_scheduler",
            "train.warmup_ratio",
            "train.weight_decay",
            "train.max_grad_norm",
            "train.optim",
            "train.seed",
            "train.gradient_checkpointing",
        ),
        False,
    ),
    ("group.lora", ("method.lora.",), True),
    ("group.quant", ("method.quant.",), True),
    ("group.freeze", ("method.freeze.",), True),
    ("group.arch", ("model.architecture.",), True),
    ("group.model", ("model.",), True),
    ("group.pref", ("pref.",), True),
    ("group.rl", ("rl.",), True),
    (
        "group.logging",
        (
            "train.logging_steps",
            "train.save_steps",
            "train.eval_steps",
            "train.save_total_limit",
            "train.early_stopping.",
            "train.keep_best",
            "train.report_to",
            "eval.",
        ),
        True,
    ),
    ("group.extras", ("train.neftune_alpha", "train.use_liger_kernel"), True),
    ("group.resume", ("train.resume_from_checkpoint", "train.save_on_sigterm"), True),
    ("group.distributed", ("distributed.",), True),
    ("group.output", ("output.",), True),
    ("group.other", ("",), False),
]


def group_of(field: str) -> str:
    """The key of the group (section) a field is shown in."""
    for key, prefixes, _ in GROUPS:
        if any(field == p or (p.endswith(".") and field.startswith(p)) or p == "" for p in prefixes):
            return key
    return "group.other"


def grouped() -> list[tuple[str, bool, list[str]]]:
    """``[(group key, accordion?, fields)]`` in display order, empty groups left out."""
    members: dict[str, list[str]] = {key: [] for key, _, _ in GROUPS}
    for field in FIELDS:
        members[group_of(field)].append(field)
    return [(key, closed, members[key]) for key, _, closed in GROUPS if members[key]]


# The stages named in the labels of their sections: from the stage table (backend.stages, torch-free).
_PREF = stages_where(form_group="group.pref")
_RL = stages_where(form_group="group.rl")
GROUP_LABELS = {
    "en": {
        "group.basics": "Basics",
        "group.data": "Data",
        "group.hyper": "Hyperparameters",
        "group.lora": "LoRA",
        "group.quant": "QLoRA quantisation",
        "group.freeze": "Freeze",
        "group.arch": "Architecture (from scratch)",
        "group.model": "Model loading",
        "group.pref": f"Preference stages ({', '.join(_PREF)})",
        "group.rl": f"Online RL ({', '.join(_RL)})",
        "group.logging": "Logging, saving and evaluation",
        "group.extras": "NEFTune and kernels",
        "group.resume": "Resume",
        "group.distributed": "Distributed and DeepSpeed",
        "group.output": "Output",
        "group.other": "Other",
    },
    "zh": {
        "group.basics": "基本设置",
        "group.data": "数据",
        "group.hyper": "超参数",
        "group.lora": "LoRA",
        "group.quant": "QLoRA 量化",
        "group.freeze": "冻结训练",
        "group.arch": "模型结构（从头训练）",
        "group.model": "模型加载",
        "group.pref": f"偏好训练（{'、'.join(_PREF)}）",
        "group.rl": f"在线强化学习（{'、'.join(_RL)}）",
        "group.logging": "日志、保存与评估",
        "group.extras": "NEFTune 与加速内核",
        "group.resume": "断点续训",
        "group.distributed": "分布式与 DeepSpeed",
        "group.output": "输出",
        "group.other": "其他",
    },
}
PER_ROW = 4


def _text(key: str, language: str) -> str:
    if key.startswith("picker."):
        return data_picker.text(key, language)
    if key.startswith("group."):
        return lookup(GROUP_LABELS, key, language)
    if key.startswith("help:"):
        return field_help(key.removeprefix("help:"), language)
    if key.startswith("columns:"):
        return _columns_help(key.removeprefix("columns:"), language)
    return label(key, language)


def build_form(values: list, home: str | None = None) -> tuple[list, Labeller]:
    """The inputs (in FIELDS order) inside the current Blocks context, and the labeller of their labels.

    With ``home`` (the workspace), the Datasets table gets its pickers (:mod:`studio.data_picker`): datasets
    of the workspace, samples and registry, and the sample policy that replaces the table when set; the
    model picker lists that workspace's models."""
    labeller = Labeller(_text)
    by_field = dict(zip(FIELDS, values, strict=True))
    made: dict[str, gr.components.Component] = {}
    pickers = None
    for key, closed, fields in grouped():
        with labeller(key, gr.Accordion(_text(key, DEFAULT_LANGUAGE), open=not closed)):
            tables = [f for f in fields if docs()[f]["kind"] == "table"]
            for field in tables:
                with_pickers = field == "data.sources" and home is not None
                banner = data_picker.build_banner(labeller) if with_pickers else None  # above what it replaces
                made[field] = labeller(field, component(field, by_field[field], home))
                if with_pickers:
                    pickers = (data_picker.build_pickers(made[field], home, labeller), *banner)
                help_md = gr.Markdown(_columns_help(field), elem_classes="studio-help")
                labeller("columns:" + field, help_md, "value")
            plain = [f for f in fields if f not in tables]
            for start in range(0, len(plain), PER_ROW):
                with gr.Row():
                    for field in plain[start : start + PER_ROW]:
                        made[field] = labeller(field, component(field, by_field[field], home))
                        labeller("help:" + field, made[field], "info")
    if pickers is not None and "data.mix.policy" in made:
        policy_dd, banner, sources = pickers
        data_picker.wire_policy(policy_dd, made["data.mix.policy"], banner, sources)
    for field in MODEL_PICKERS:  # the list follows new downloads, exports and runs each time it opens
        made[field].focus(lambda: gr.update(choices=_model_choices(home)), None, made[field], api_visibility="private")
    return [made[f] for f in FIELDS], labeller


MODEL_PICKERS = ("model.name_or_path",)


def _model_choices(home: str | None) -> list[tuple[str, str]]:
    from backend.workspace import workspace_home
    from studio.models_view import model_choices

    return model_choices(workspace_home(home))


def model_picker(home: str | None = None, **common) -> gr.Dropdown:
    """The model field: a list of the local models (builtin, downloads, exports, runs' full models) that also
    takes free text: a folder, or a hub id (downloaded first, as the preview says)."""
    choices = _model_choices(home)
    value = common.get("value")
    if value and value not in [v for _, v in choices]:
        choices.append((value, value))
    return gr.Dropdown(choices, allow_custom_value=True, filterable=True, **common)


def _columns_help(field: str, language: str = DEFAULT_LANGUAGE) -> str:
    """One line per column of a table field, from the JobSpec descriptions of the row's fields (``field_help``)."""
    row = TABLE_FIELDS[field]
    # Escaped: a description's placeholder such as 'dataset:<name>' would otherwise be eaten as an HTML tag.
    return "\n".join(f"- `{name}`: {html.escape(field_help(f'{field}.{name}', language))}" for name in row.model_fields)


def elem_id(field: str) -> str:
    """The DOM id of a field's input (stable, for tests and custom CSS)."""
    return "field-" + field.replace(".", "-").replace("_", "-")


def component(field: str, value, home: str | None = None):
    """The input for one JobSpec field, typed from its annotation, with its description as help."""
    doc = docs()[field]
    kind = doc["kind"]
    common = dict(value=value, label=label(field, DEFAULT_LANGUAGE), elem_id=elem_id(field))
    if kind == "table":
        return gr.Dataframe(
            headers=SOURCE_COLUMNS,
            datatype=["str", "str", "number", "number"],
            column_count=len(SOURCE_COLUMNS),
            type="array",
            interactive=True,
            **common,
        )
    common["info"] = field_help(field, DEFAULT_LANGUAGE)
    if field in MODEL_PICKERS:
        return model_picker(home, **common)
    if kind == "choice":
        return gr.Dropdown([str(c) for c in doc["choices"]], **common)
    if kind == "bool":
        return gr.Checkbox(**common)
    if kind == "int":
        return gr.Number(precision=0, **common)
    if kind == "float":
        return gr.Number(**common)
    if kind == "list":
        return gr.Textbox(placeholder="a, b  or  [a, b]", **common)
    if kind in ("int?", "float?"):
        return gr.Textbox(placeholder="empty: default", **common)
    return gr.Textbox(**common)
