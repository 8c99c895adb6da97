"""The Export tab: turn a run (its final weights or a checkpoint) into a standalone Hugging Face folder.

Contract:
- The export runs ``studio export`` (``python -m cli export``) in a subprocess: the UI process
  never imports torch. The exact command is shown under the options and follows them.
- The output folder is ``<workspace>/exports/<name>``, the name sanitised and confined to that folder.
- The subprocess's output streams into the log; when it ends, the summary lists the files, the shards
  and the Ollama Modelfile (or why there is none). A failure is one line in the summary, never a traceback.

API name (for gradio_client): ``export_run``.
"""

from __future__ import annotations

import gradio as gr

from backend.workspace import workspace_home
from studio import export_view
from studio.export_view import DTYPES, FINAL, GGUF, ExportTabError
from studio.freshness import keep_fresh
from studio.i18n import Labeller, lookup

LOG_LINES = 400  # the log box keeps the tail of a long export
LABELS = {
    "en": {
        "intro": "Merge a run's LoRA adapter into its base (or take its full model) and write sharded safetensors, "
        "the tokenizer with its chat template, a model card and an Ollama Modelfile. Exports go to the "
        "workspace's exports/ folder; the Chat tab lists them.",
        "run": "Run", "refresh": "Refresh list", "checkpoint": "Weights: final, latest or a checkpoint step",
        "name": "Output folder name (under <workspace>/exports/)", "shard": "Max shard size (e.g. 2GB, 500MB)",
        "dtype": "Saved dtype (auto keeps the base's)", "merge": "Merge the LoRA adapter into the base",
        "force": "Overwrite a non-empty folder", "command": "Command", "export": "Export", "log": "Log",
        "gguf": "Also write a GGUF for llama.cpp / Ollama (llama, qwen2 families)",
        "base": "Base model (--base; empty: the run's own; a hub id is downloaded first)",
        "base_own": "the run's own base",
    },
    "zh": {
        "intro": "把运行的 LoRA 适配器合并进基座模型（或直接取其完整模型），写出分片 safetensors、带对话模板的"
        "分词器、模型卡和 Ollama Modelfile。导出结果位于工作区的 exports/ 目录，对话页会列出它们。",
        "run": "运行", "refresh": "刷新列表", "checkpoint": "权重：最终、最新或某个检查点步数",
        "name": "输出目录名（位于 <workspace>/exports/ 下）", "shard": "最大分片大小（如 2GB、500MB）",
        "dtype": "保存的数据类型（auto 保持基座的类型）", "merge": "将 LoRA 适配器合并进基座",
        "force": "覆盖非空目录", "command": "命令", "export": "导出", "log": "日志",
        "gguf": "同时写出 llama.cpp / Ollama 用的 GGUF（llama、qwen2 系列）",
        "base": "基座模型（--base；留空为运行自己的基座；可填 hub ID，会先下载）", "base_own": "运行自己的基座",
    },
}  # fmt: skip


def base_choices(home: str) -> list[tuple[str, str]]:
    """The base picker: the run's own (empty), the builtin tiny model and the downloaded hub models (their ids)."""
    from studio.models_view import model_choices

    own = [(lookup(LABELS, "base_own"), "")]
    return own + [(lbl, v) for lbl, v in model_choices(home) if lbl.startswith(("builtin", "downloaded"))]


def command(home: str, run_id, checkpoint, name, shard, dtype, merge, force, gguf="none", base="") -> str:
    """The exact command the Export button runs, or ``# why it cannot run``."""
    try:
        argv = export_view.export_argv(home, run_id, checkpoint, name, shard, dtype, merge, force, gguf, base)
    except ExportTabError as exc:
        return f"# {exc}"
    return export_view.command_text(argv)


def run(home: str, run_id, checkpoint, name, shard, dtype, merge, force, gguf="none", base=""):
    """Run the export; yields (log text, summary markdown) as the subprocess writes, then its result."""
    try:
        argv = export_view.export_argv(home, run_id, checkpoint, name, shard, dtype, merge, force, gguf, base)
    except ExportTabError as exc:
        yield "", f"**error:** {exc}"
        return
    out = export_view.out_dir(home, name)
    lines = [f"$ {export_view.command_text(argv)}"]
    yield "\n".join(lines), "exporting …"
    code = None
    for line in export_view.run_export(argv):
        if line.startswith("exit ") and line[5:].lstrip("-").isdigit():
            code = int(line[5:])
            break
        lines.append(line)
        yield "\n".join(lines[-LOG_LINES:]), gr.skip()
    log = "\n".join(lines[-LOG_LINES:])
    if code != 0:
        yield log, f"**error:** {export_view.error_line(lines[1:], code)}"
    else:
        yield log, export_view.summary(out, lines)


def build(home: str | None, demo: gr.Blocks) -> list[Labeller]:
    """Build the Export tab inside the current Blocks context; returns its labeller (for the language switch)."""
    home = str(workspace_home(home))
    text = Labeller(lambda key, language: lookup(LABELS, key, language))
    L = lambda key: lookup(LABELS, key)  # noqa: E731 - the default-language label at build time

    runs0 = export_view.run_choices(home)
    first = runs0[0][1] if runs0 else None
    text("intro", gr.Markdown(L("intro")), "value")
    with gr.Row(equal_height=True):
        run_id = text("run", gr.Dropdown(runs0, value=first, label=L("run"), scale=4, elem_id="export-run"))
        ckpts = export_view.checkpoint_choices(home, first)
        checkpoint = text("checkpoint", gr.Dropdown(ckpts, value=FINAL, label=L("checkpoint"), elem_id="export-ckpt"))
        refresh = text("refresh", gr.Button(L("refresh"), size="sm", scale=0, elem_id="export-refresh"), "value")
    with gr.Row(equal_height=True):
        name0 = export_view.default_name(home, first, FINAL)
        name = text("name", gr.Textbox(name0, label=L("name"), scale=3, elem_id="export-name"))
        shard = text("shard", gr.Textbox("2GB", label=L("shard"), elem_id="export-shard"))
        dtype = text("dtype", gr.Dropdown(list(DTYPES), value="auto", label=L("dtype"), elem_id="export-dtype"))
    with gr.Row():
        merge = text("merge", gr.Checkbox(True, label=L("merge"), elem_id="export-merge"))
        force = text("force", gr.Checkbox(False, label=L("force"), elem_id="export-force"))
        gguf = text("gguf", gr.Dropdown(list(GGUF), value="none", label=L("gguf"), elem_id="export-gguf"))
    base = text("base", gr.Dropdown(base_choices(home), value="", allow_custom_value=True, label=L("base"),
                                    elem_id="export-base"))  # fmt: skip
    fields = [run_id, checkpoint, name, shard, dtype, merge, force, gguf, base]
    shown = command(home, first, FINAL, name0, "2GB", "auto", True, False, "none")
    cmd = text("command", gr.Code(shown, language="shell", wrap_lines=True, label=L("command"), interactive=False,
                                  elem_id="export-command"))  # fmt: skip
    go = text("export", gr.Button(L("export"), variant="primary", elem_id="export-go"), "value")
    summary = gr.Markdown("", elem_id="export-summary")
    log = text("log", gr.Textbox("", label=L("log"), lines=12, max_lines=24, autoscroll=True, elem_id="export-log"))

    def runs_changed(run):
        steps = export_view.checkpoint_choices(home, run)
        return gr.update(choices=steps, value=FINAL), export_view.default_name(home, run, FINAL)

    def refreshed(run):
        choices = export_view.run_choices(home)
        keep = run if run in [v for _, v in choices] else (choices[0][1] if choices else None)
        return gr.update(choices=choices, value=keep)

    def fresh(run, step):
        # Runs that finished after the page loaded: the list, and the picked run's checkpoints (kept if still there).
        choices = export_view.run_choices(home)
        keep = run if run in [v for _, v in choices] else (choices[0][1] if choices else None)
        steps = export_view.checkpoint_choices(home, keep)
        same = keep == run and step in steps
        if same:  # new choices only: setting the same values again would re-run every field's change handler
            return gr.update(choices=choices), gr.update(choices=steps), gr.skip()
        return (gr.update(choices=choices, value=keep), gr.update(choices=steps, value=FINAL),
                export_view.default_name(home, keep, FINAL))  # fmt: skip

    keep_fresh(home, fresh, [run_id, checkpoint], [run_id, checkpoint, name])
    private = dict(api_visibility="private", show_progress="hidden")
    base.focus(lambda: gr.update(choices=base_choices(home)), None, base, **private)
    run_id.input(runs_changed, run_id, [checkpoint, name], **private)
    checkpoint.input(lambda r, c: export_view.default_name(home, r, c), [run_id, checkpoint], name, **private)
    refresh.click(refreshed, run_id, run_id, **private).then(runs_changed, run_id, [checkpoint, name], **private)
    demo.load(refreshed, run_id, run_id, **private).then(runs_changed, run_id, [checkpoint, name], **private)
    for field in fields:
        field.change(lambda *v: command(home, *v), fields, cmd, **private)
    text.on_switch(lambda *v: command(home, *v), fields, [cmd])  # its "# why it cannot run" line

    def export_click(*values):
        yield from run(home, *values)

    go.click(export_click, fields, [log, summary], api_name="export_run", concurrency_limit=None,
             show_progress="minimal")  # fmt: skip
    return [text]
