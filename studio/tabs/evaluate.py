"""The Evaluate tab: measure a run's model (or a checkpoint, an export, the builtin tiny model, a folder)
on a data file: perplexity, single-choice accuracy, generation samples or reward-pair accuracy.

Contract:
- The evaluation runs ``studio eval ... --json`` (``python -m cli``) in a subprocess with a
  timeout: the UI process never imports torch. The exact command is shown under the options and follows them.
- The result is its headline metric(s) and the task's table (per-subject accuracy; generations beside
  their references; reward pairs with their margins); a failure is one line, never a traceback.
- "Compare runs" lists every stored result of the chosen task (``runs/*/eval/*.json``), newest first.

API name (for gradio_client): ``eval_run``.
"""

from __future__ import annotations

import html

import gradio as gr

from backend.eval.data import TASKS
from backend.run.registry import format_duration
from backend.workspace import workspace_home
from studio import eval_view
from studio.chat_view import model_choices
from studio.data_files import list_datasets
from studio.eval_view import DEFAULT_DATA, TASK_NAMES, EvalTabError
from studio.freshness import keep_fresh
from studio.i18n import Labeller, lookup, tr

LABELS = {
    "en": {
        "evaluating": "evaluating … `{command}`",
        "evaluating_for": "evaluating … {elapsed} elapsed · `{command}`",
        "intro": "Evaluate a base model, a run's adapter or full model, a checkpoint or an export on a data file. "
        "Results are stored with the run (`runs/<id>/eval/`), so the table below compares them across runs.",
        "model": "Model: a run, checkpoint, export, builtin:tiny-llama, or a typed folder / run id",
        "refresh": "Refresh lists", "task": "Task", "data": "Data file (a sample, a workspace file or a typed path)",
        "template": "Chat template (auto = the run's; none = plain text)", "few_shot": "Few-shot examples (choice)",
        "max_new_tokens": "Max new tokens (generation)", "limit": "Only the first N records (0 = all)",
        "command": "Command", "run": "Evaluate", "result": "### Result",
        "compare": "### Compare runs\nEvery stored result of this task (runs/*/eval/), newest first.",
    },
    "zh": {
        "evaluating": "正在评估 … `{command}`",
        "evaluating_for": "正在评估 … 已用 {elapsed} · `{command}`",
        "intro": "在数据文件上评估基座模型、运行的适配器或完整模型、检查点或导出的模型。结果随运行保存"
        "（`runs/<id>/eval/`），下方表格可跨运行对比。",
        "model": "模型：运行、检查点、导出、builtin:tiny-llama，或输入目录 / 运行 ID",
        "refresh": "刷新列表", "task": "任务", "data": "数据文件（内置样例、工作区文件或输入路径）",
        "template": "对话模板（auto = 运行所用模板；none = 纯文本）", "few_shot": "少样本示例数（选择题）",
        "max_new_tokens": "最大新 token 数（生成）", "limit": "只评估前 N 条（0 = 全部）",
        "command": "命令", "run": "开始评估", "result": "### 结果",
        "compare": "### 跨运行对比\n该任务的全部已保存结果（runs/*/eval/），最新在前。",
    },
}  # fmt: skip
TASK_CHOICES = [(f"{TASK_NAMES[t]} ({t})", t) for t in TASKS]


def command(home: str, *values) -> str:
    """The exact command the Evaluate button runs, or ``# why it cannot run``."""
    try:
        return eval_view.command_text(eval_view.eval_argv(home, *values))
    except EvalTabError as exc:
        return f"# {exc}"


def run(home: str, model, task, data, template, few_shot, max_new_tokens, limit, timeout=eval_view.EVAL_TIMEOUT_S):
    """Run the evaluation; yields (headline markdown, details html, comparison html): first a 'running'
    line, then the result (or its one error line) and the refreshed comparison."""
    try:
        argv = eval_view.eval_argv(home, model, task, data, template, few_shot, max_new_tokens, limit)
    except EvalTabError as exc:
        yield f"**error:** {html.escape(str(exc), quote=False)}", "", gr.skip()
        return
    shown = eval_view.command_text(argv)
    yield tr(LABELS, "evaluating", command=shown), "", gr.skip()
    try:
        for step in eval_view.run_eval_steps(argv, timeout):
            if isinstance(step, dict):
                doc = step
            else:  # still running: the elapsed time moves, so a long job visibly works
                yield tr(LABELS, "evaluating_for", elapsed=format_duration(step), command=shown), "", gr.skip()
    except EvalTabError as exc:
        yield f"**error:** {html.escape(str(exc), quote=False)}", "", gr.skip()
        return
    yield eval_view.headline(doc), eval_view.details_html(doc), eval_view.compare_html(home, task)


def build(home: str | None, demo: gr.Blocks) -> list[Labeller]:
    """Build the Evaluate tab inside the current Blocks context; returns its labeller (for the language switch)."""
    home = str(workspace_home(home))
    text = Labeller(lambda key, language: lookup(LABELS, key, language))
    L = lambda key: lookup(LABELS, key)  # noqa: E731 - the default-language label at build time

    models, datasets = model_choices(home), list_datasets(home)
    text("intro", gr.Markdown(L("intro")), "value")
    with gr.Row(equal_height=True):
        model = text("model", gr.Dropdown(models, value=models[0][1], allow_custom_value=True, label=L("model"),
                                          scale=5, elem_id="eval-model"))  # fmt: skip
        refresh = text("refresh", gr.Button(L("refresh"), size="sm", scale=0, elem_id="eval-refresh"), "value")
    with gr.Row(equal_height=True):
        task = text("task", gr.Dropdown(TASK_CHOICES, value="ppl", label=L("task"), scale=2, elem_id="eval-task"))
        data = text("data", gr.Dropdown(datasets, value=DEFAULT_DATA["ppl"], allow_custom_value=True,
                                        label=L("data"), scale=4, elem_id="eval-data"))  # fmt: skip
    with gr.Row(equal_height=True):
        tmpl = gr.Dropdown(eval_view.templates(), value="auto", label=L("template"), elem_id="eval-template")
        template = text("template", tmpl)
        few_shot = text("few_shot", gr.Number(0, precision=0, minimum=0, label=L("few_shot"), elem_id="eval-few-shot"))
        max_new = text("max_new_tokens", gr.Number(256, precision=0, minimum=1, label=L("max_new_tokens"),
                                                   elem_id="eval-max-new-tokens"))  # fmt: skip
        limit = text("limit", gr.Number(0, precision=0, minimum=0, label=L("limit"), elem_id="eval-limit"))
    fields = [model, task, data, template, few_shot, max_new, limit]
    shown = command(home, models[0][1], "ppl", DEFAULT_DATA["ppl"], "auto", 0, 256, 0)
    cmd = text("command", gr.Code(shown, language="shell", wrap_lines=True, label=L("command"), interactive=False,
                                  elem_id="eval-command"))  # fmt: skip
    go = text("run", gr.Button(L("run"), variant="primary", elem_id="eval-go"), "value")
    text("result", gr.Markdown(L("result")), "value")
    status = gr.Markdown("", elem_id="eval-status")
    details = gr.HTML("", elem_id="eval-details")
    text("compare", gr.Markdown(L("compare"), elem_id="eval-compare-title"), "value")
    compare = gr.HTML(eval_view.compare_html(home, "ppl"), elem_id="eval-compare")

    private = dict(api_visibility="private", show_progress="hidden")
    text.on_switch(lambda chosen_task: eval_view.compare_html(home, chosen_task), [task], [compare])

    def refreshed(chosen_task):
        return (gr.update(choices=model_choices(home)), gr.update(choices=list_datasets(home)),
                eval_view.compare_html(home, chosen_task))  # fmt: skip

    def task_changed(chosen_task):
        return DEFAULT_DATA.get(chosen_task, gr.skip()), eval_view.compare_html(home, chosen_task)

    refresh.click(refreshed, task, [model, data, compare], **private)
    demo.load(refreshed, task, [model, data, compare], **private)
    keep_fresh(home, refreshed, [task], [model, data, compare])  # on opening the tab and when a run ends
    task.input(task_changed, task, [data, compare], **private)
    for field in fields:
        field.change(lambda *v: command(home, *v), fields, cmd, **private)

    def evaluate_click(*values):
        yield from run(home, *values)

    go.click(evaluate_click, fields, [status, details, compare], api_name="eval_run", concurrency_limit=None,
             show_progress="minimal")  # fmt: skip
    return [text]
