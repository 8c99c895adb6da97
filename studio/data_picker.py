"""The Train form's Datasets helpers: a picker of datasets for the ``data.sources`` table and the sample-policy
picker beside it (``data.mix.policy``).

Contract:
- The dataset picker lists the shipped samples (``builtin:samples/…``), the dataset files under the
  workspace's ``data/`` and ``datasets/`` folders (uploads included) by their workspace-relative path (a
  JobSpec reads a relative path from the workspace), and the registry's datasets (``dataset:<name>``).
  "Use only this" makes it the table's one source; "Add as a row" appends it. The table's cells stay free text.
- The policy picker lists ``<workspace>/policies/*.yaml`` by name; picking one fills ``data.mix.policy``.
  Whenever that field holds a policy, a banner above the table says that the policy's sources replace the
  table and lists them (or the one-line reason the policy cannot be read).
- Nothing here imports torch; every user-visible sentence is in ``LABELS`` (en and zh).
"""

from __future__ import annotations

import html
from pathlib import Path

from studio.i18n import lookup

LABELS = {
    "en": {
        "picker.dataset": "Pick a dataset: shipped samples, files under the workspace's data/ (uploads too), "
        "registry datasets (dataset:<name>)",
        "picker.only": "Use only this",
        "picker.add": "Add as a row",
        "picker.viewer": "Mix several sources in the [data-mix viewer](http://127.0.0.1:8001) (`studio viewer`), "
        "save the policy there, then pick it here:",
        "picker.policy": "Sample policy → data.mix.policy (empty: the table above)",
        "picker.replaced": "**A sample policy is set: its sources replace the Datasets table** "
        "(clear data.mix.policy to train on the table).",
    },
    "zh": {
        "picker.dataset": "选择数据集：自带示例、工作区 data/ 下的文件（含上传的文件）、注册表数据集（dataset:<名称>）",
        "picker.only": "只用这一个",
        "picker.add": "添加为一行",
        "picker.viewer": "在[数据配比工具](http://127.0.0.1:8001)（`studio viewer`）中调整多个数据源的配比并保存策略，"
        "再在这里选择：",
        "picker.policy": "采样策略 → data.mix.policy（留空：使用上面的表格）",
        "picker.replaced": "**已设置采样策略：训练使用策略中的数据源，而不是数据集表格**"
        "（清空 data.mix.policy 即改用表格）。",
    },
}


def text(key: str, language: str) -> str:
    """The label of ``key`` in ``language``."""
    return lookup(LABELS, key, language)


def relative(path: str, home) -> str:
    """A dataset path as a JobSpec should hold it: workspace-relative when it lies inside the workspace."""
    p = Path(path)
    home = Path(home).resolve()
    if p.is_absolute() and p.resolve().is_relative_to(home):
        return p.resolve().relative_to(home).as_posix()
    return path


def dataset_choices(home) -> list[tuple[str, str]]:
    """Dropdown choices ``(label, value)``: shipped samples, workspace dataset files, then registry datasets."""
    from backend.data import registry
    from backend.data.formats import DataError
    from studio.data_files import list_datasets

    choices = [(label, relative(value, home)) for label, value in list_datasets(home)]
    try:
        entries = registry.load_registry(Path(home))
    except DataError:
        entries = {}  # a malformed registry is reported where it is used (pre-flight names file and field)
    for name, entry in sorted(entries.items()):
        value = registry.PREFIX + name
        choices.append((f"{value} ({entry.description})" if entry.description else value, value))
    return choices


def with_source(rows, path: str | None, replace: bool, columns: list[str]) -> list[list]:
    """The table rows with ``path`` as its one source (``replace``) or as a new last row."""
    from studio.form import _blank, _rows

    if not path:
        return [list(r) for r in _rows(rows)]
    row = [path, "auto", 1.0] + [None] * (len(columns) - 3)
    kept = [list(r) for r in _rows(rows) if not all(_blank(c) for c in r)]
    return [row] if replace else [*kept, row]


def policy_choices(home) -> list[tuple[str, str]]:
    """Saved policies ``(file name, path)`` (a short label: long paths overlapped the dropdown's arrow)."""
    from backend.data.mix_policy import list_policies

    return [(p.name, str(p)) for p in list_policies(Path(home))]


def policy_summary(path: str | None) -> tuple[bool, str]:
    """(a policy is set, HTML listing its sources as ``name (format, weight)`` or the reason it cannot be read)."""
    path = str(path or "").strip()
    if not path:
        return False, ""
    from backend.spec import load_policy

    try:
        policy = load_policy(path)
    except (ValueError, OSError) as exc:
        return True, f'<div class="policy-sources" style="color:#b91c1c">{html.escape(str(exc))}</div>'
    items = "".join(
        f"<li><code>{html.escape(s.name or Path(s.path).name)}</code> · {html.escape(s.path)} · "
        f"{html.escape(s.format)} · {s.weight:g}</li>"
        for s in policy.sources
    )
    return True, f'<div class="policy-sources"><code>{html.escape(path)}</code><ul>{items}</ul></div>'


def build_banner(labeller):
    """The banner (hidden until a policy is set) placed above the Datasets table: (banner, its sources list)."""
    import gradio as gr

    banner = gr.Markdown(text("picker.replaced", "en"), visible=False, elem_id="train-policy-replaces")
    labeller("picker.replaced", banner, "value")
    return banner, gr.HTML("", visible=False, elem_id="train-policy-sources")


def build_pickers(table, home, labeller):
    """The dataset and policy pickers under the Datasets ``table`` (inside the current Blocks context);
    returns the policy dropdown (see :func:`wire_policy`)."""
    import gradio as gr

    from studio.form import SOURCE_COLUMNS

    home = str(home)
    L = lambda key: text(key, "en")  # noqa: E731 - the default-language label at build time
    with gr.Row(equal_height=True):
        picker = gr.Dropdown(dataset_choices(home), value=None, label=L("picker.dataset"), scale=4,
                             elem_id="train-dataset-picker")  # fmt: skip
        labeller("picker.dataset", picker)
        only = labeller("picker.only", gr.Button(L("picker.only"), size="sm", scale=1, elem_id="train-dataset-only"),
                        "value")  # fmt: skip
        add = labeller("picker.add", gr.Button(L("picker.add"), size="sm", scale=1, elem_id="train-dataset-add"),
                       "value")  # fmt: skip
    with gr.Row(equal_height=True):
        labeller("picker.viewer", gr.Markdown(L("picker.viewer")), "value")
        policy_dd = gr.Dropdown(policy_choices(home), value=None, label=L("picker.policy"), scale=1,
                                elem_id="train-policy-picker")  # fmt: skip
        labeller("picker.policy", policy_dd)
    only.click(lambda rows, p: with_source(rows, p, True, SOURCE_COLUMNS), [table, picker], table, **PRIVATE)
    add.click(lambda rows, p: with_source(rows, p, False, SOURCE_COLUMNS), [table, picker], table, **PRIVATE)
    picker.focus(lambda: gr.update(choices=dataset_choices(home)), None, picker, **PRIVATE)
    policy_dd.focus(lambda: gr.update(choices=policy_choices(home)), None, policy_dd, **PRIVATE)
    return policy_dd


def wire_policy(policy_dd, policy_field, banner, sources) -> None:
    """Picking a policy fills ``data.mix.policy`` (empty: back to the table); whatever sets that field shows
    or hides the banner and the policy's sources."""
    import gradio as gr

    def shown(path):
        active, body = policy_summary(path)
        return gr.update(visible=active), gr.update(value=body, visible=active)

    policy_dd.input(lambda p: p or "", policy_dd, policy_field, **PRIVATE)
    policy_field.change(shown, policy_field, [banner, sources], **PRIVATE)


PRIVATE = dict(api_visibility="private", show_progress="hidden")
