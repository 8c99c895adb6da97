"""The Evaluate tab's work outside the page: the exact ``studio eval`` command, running it in a subprocess,
and the HTML of its result and of the stored results compared across runs.

- ``eval_argv``: the form as the arguments of ``studio`` (checked first, so a bad field is one line).
- ``run_eval``: ``python -m cli ... --json`` in a child process with a timeout (torch and
  transformers stay out of the UI); its JSON document, or EvalTabError with the command's ``error:`` line.
- ``headline`` / ``details_html``: the metric(s) as Markdown, and the table that goes with the task
  (per-subject accuracy, generations beside references, reward pairs and margins).
- ``compare_html``: every stored result of a task (``runs/*/eval/*.json`` and ``<workspace>/eval/*``),
  newest first, so runs are compared on the same data.

Every cell of every table goes through ``html.escape``: prompts and model outputs are untrusted text.
"""

from __future__ import annotations

import html
import json
import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

from backend.eval.data import TASKS
from backend.eval.load import all_results
from backend.workspace import PROJECT_ROOT, is_builtin, resolve_data_path
from studio.chat_view import template_choices
from studio.i18n import tr

TASK_NAMES = {"ppl": "perplexity", "choice": "single-choice accuracy", "generate": "generation samples",
              "reward": "reward pair accuracy"}  # fmt: skip
SAMPLE = "builtin:samples/"
DEFAULT_DATA = {"ppl": SAMPLE + "pretrain_zh_en.jsonl", "choice": SAMPLE + "eval_choice.jsonl",
                "generate": SAMPLE + "eval_prompts.jsonl", "reward": SAMPLE + "preference.jsonl"}  # fmt: skip
EVAL_TIMEOUT_S = 3600
PROGRESS_S = 1.0  # how often a running evaluation reports its elapsed time
MAX_ROWS = 200  # rows of a details table (the stored JSON keeps them all)


class EvalTabError(ValueError):
    """A problem the Evaluate tab shows as one line."""


def templates() -> list[str]:
    """``auto`` (the run's or the tokenizer's template), ``none`` (plain text) and the named templates."""
    return ["auto", "none", *template_choices()[1:]]


def _int(value, name: str, minimum: int) -> int:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise EvalTabError(f"{name}: a whole number is needed, got {value!r}") from None
    if number != int(number) or number < minimum:
        raise EvalTabError(f"{name} must be a whole number >= {minimum}, got {value!r}")
    return int(number)


def _model_arg(model) -> str:
    model = str(model or "").strip()
    if not model:
        raise EvalTabError("model: pick one in the list or type a folder, run id or run name")
    looks_like_path = model.startswith((".", "~", "/")) or os.sep in model
    from backend.models.ref import is_hub_ref  # a hub id (hf:ORG/NAME, ORG/NAME) is downloaded first, not a path

    if not is_builtin(model) and looks_like_path and not is_hub_ref(model) and not Path(model).expanduser().is_dir():
        raise EvalTabError(f"model: {model} is not a folder")
    return model


def _data_arg(data) -> str:
    data = str(data or "").strip()
    if not data:
        raise EvalTabError("data: pick a file in the list or type a path")
    try:
        local = resolve_data_path(data)
    except ValueError as exc:
        raise EvalTabError(f"data: {exc}") from None
    if not local.exists():
        raise EvalTabError(f"data: {data}: no such file or folder")
    return data


def eval_argv(home, model, task, data, template="auto", few_shot=0, max_new_tokens=256, limit=None) -> list[str]:
    """The arguments of ``studio`` for this evaluation (``--json``: the tab reads the stored document)."""
    if task not in TASKS:
        raise EvalTabError(f"task must be one of {', '.join(TASKS)}, got {task!r}")
    argv = ["--home", str(home), "eval", _model_arg(model), "--task", task, "--data", _data_arg(data)]
    if template not in templates():
        raise EvalTabError(f"template: unknown template {template!r}")
    if template != "auto":
        argv += ["--template", template]
    if task == "choice" and _int(few_shot, "few-shot", 0):
        argv += ["--few-shot", str(_int(few_shot, "few-shot", 0))]
    if task == "generate":
        argv += ["--max-new-tokens", str(_int(max_new_tokens, "max new tokens", 1))]
    if limit not in (None, "", 0):
        argv += ["--limit", str(_int(limit, "limit", 1))]
    return [*argv, "--json"]


def command_text(argv: list[str]) -> str:
    """The command as a shell line (``studio`` is the console script; ``python -m cli`` too)."""
    return shlex.join(["studio", *argv])


def _error_line(stderr: str, code: int) -> str:
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("error:")]
    return (errors or lines or [f"the command exited with status {code}"])[-1].removeprefix("error:").strip()


def run_eval(argv: list[str], timeout: float = EVAL_TIMEOUT_S) -> dict:
    """Run the evaluation in a child process; the stored result document, or EvalTabError (one line)."""
    for step in run_eval_steps(argv, timeout):
        if isinstance(step, dict):
            return step
    raise AssertionError("run_eval_steps ended without a result")  # pragma: no cover - it returns or raises


def run_eval_steps(argv: list[str], timeout: float = EVAL_TIMEOUT_S, every: float = PROGRESS_S):
    """``run_eval`` that reports while it waits: yields the seconds elapsed every ``every`` seconds, then the
    result document (its last item); EvalTabError (one line) on a failure or after ``timeout``."""
    env = os.environ | {"HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false", "PYTHONIOENCODING": "utf-8"}
    from backend.models.hub import is_offline

    env["STUDIO_HUB_OFFLINE"] = "1" if is_offline() else "0"  # the studio's setting: a hub id downloads first
    try:
        proc = subprocess.Popen([sys.executable, "-m", "cli", *argv], cwd=PROJECT_ROOT, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, encoding="utf-8",
                                errors="replace")  # fmt: skip
    except OSError as exc:
        raise EvalTabError(f"could not start the command: {exc}") from None
    started = time.monotonic()
    try:
        while True:
            try:
                stdout, stderr = proc.communicate(timeout=every)
                break
            except subprocess.TimeoutExpired:
                elapsed = time.monotonic() - started
                if elapsed > timeout:
                    raise EvalTabError(
                        f"timed out after {timeout:.0f} s; use --limit or run the command in a terminal"
                    ) from None
                yield elapsed
    finally:
        if proc.poll() is None:  # timed out, or the page went away: the child must not outlive the request
            proc.kill()
            proc.communicate()
    if proc.returncode == 0:
        for line in reversed(stdout.splitlines()):  # libraries may print warnings before the document
            if line.startswith("{"):
                try:
                    yield json.loads(line)
                    return
                except json.JSONDecodeError:
                    break
    raise EvalTabError(_error_line(stderr, proc.returncode))


def _pct(x) -> str:
    return "–" if x is None else f"{x:.2%}"


def _num(x, digits: int = 4) -> str:
    return "–" if x is None else f"{x:.{digits}f}"


def headline(doc: dict) -> str:
    """The result's metric(s) in one Markdown paragraph, with what was evaluated and where it is stored."""
    m, task = doc["metrics"], doc["task"]
    if task == "ppl":
        main = (f"**perplexity {m['perplexity']:.4f}** (NLL {m['nll']:.4f} over {m['tokens']} tokens, "
                f"{m['records']} records)")  # fmt: skip
    elif task == "choice":
        main = f"**accuracy {_pct(m['accuracy'])}** ({m['correct']}/{m['total']}, {doc.get('few_shot') or 0}-shot)"
    elif task == "generate":
        scores = (
            f", exact match {_pct(m['exact_match'])}, char F1 {_num(m['char_f1'], 3)}"
            if m["char_f1"] is not None
            else ""
        )
        main = f"**{m['samples']} samples**, {m['mean_output_tokens']:.1f} tokens on average{scores}"
    else:
        main = (f"**pair accuracy {_pct(m['accuracy'])}** over {m['pairs']} pairs ({m['ties']} ties); "
                f"margin {m['margin_mean']:.4f} ± {m['margin_std']:.4f}")  # fmt: skip
    model, template = html.escape(str(doc["model"])), html.escape(str(doc.get("template")))
    where = f"{model} · template {template} · {doc.get('elapsed_s')} s"
    return f"{main}\n\n{where}\n\nsaved: `{doc.get('file', '')}`"


def html_table(headers: list[str], rows: list[list], elem_class: str = "eval-table") -> str:
    """An HTML table with every header and cell escaped (cells are untrusted text)."""
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td style='white-space:pre-wrap'>{html.escape(str(c))}</td>" for c in row) + "</tr>"
        for row in rows
    )
    return f"<table class='{elem_class}'><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _prompt_text(prompt) -> str:
    if isinstance(prompt, list):  # chat turns: the last user turn is the question
        return "\n".join(f"{t.get('role')}: {t.get('content')}" for t in prompt)
    return str(prompt)


def details_html(doc: dict) -> str:
    """The table that goes with the task ('' for perplexity, whose numbers are all in the headline)."""
    m, task = doc["metrics"], doc["task"]
    if task == "choice":
        rows = [[name, s["correct"], s["total"], _pct(s["accuracy"])] for name, s in m["subjects"].items()]
        return html_table(["subject", "correct", "total", "accuracy"], rows)
    if task == "generate":
        outputs = doc.get("outputs", [])[:MAX_ROWS]
        rows = [[_prompt_text(o["prompt"]), o["output"], o.get("reference") or "", o.get("tokens"),
                 o.get("finish_reason")] for o in outputs]  # fmt: skip
        return html_table(["prompt", "output", "reference", "tokens", "finish"], rows)
    if task == "reward":
        rows = [[d["where"], _num(d["chosen"]), _num(d["rejected"]), _num(d["margin"])]
                for d in m.get("pairs_detail", [])[:MAX_ROWS]]  # fmt: skip
        return html_table(["pair", "chosen score", "rejected score", "margin"], rows)
    return ""


def _metric_cells(task: str, m: dict) -> list:
    if task == "ppl":
        return [_num(m.get("perplexity")), _num(m.get("nll")), m.get("tokens")]
    if task == "choice":
        return [_pct(m.get("accuracy")), f"{m.get('correct')}/{m.get('total')}"]
    if task == "generate":
        return [_pct(m.get("exact_match")), _num(m.get("char_f1"), 3), _num(m.get("mean_output_tokens"), 1)]
    return [_pct(m.get("accuracy")), m.get("pairs"), _num(m.get("margin_mean"))]


METRIC_HEADERS = {"ppl": ["perplexity", "NLL", "tokens"], "choice": ["accuracy", "correct/total"],
                  "generate": ["exact match", "char F1", "mean tokens"],
                  "reward": ["pair accuracy", "pairs", "mean margin"]}  # fmt: skip


def compare_rows(home, task: str) -> list[list]:
    """One row per stored result of ``task`` in the workspace, newest first."""
    rows = []
    for r in reversed(all_results(home, task)):
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(r.get("time") or 0))
        extra = [r.get("few_shot") or 0] if task == "choice" else []
        what = [r.get("run") or "–", r.get("model"), r.get("checkpoint") or "", Path(str(r.get("data"))).name]
        metrics = _metric_cells(task, r.get("metrics") or {})
        rows.append([when, *what, r.get("template"), *extra, *metrics, Path(r["file"]).name])
    return rows


# The comparison table's texts in Chinese (studio.i18n.tr; English is the text itself).
LABELS = {
    "en": {"none": "No stored {task} results yet."},
    "zh": {
        "none": "还没有已保存的{task}结果。",
        "perplexity": "困惑度",
        "single-choice accuracy": "单选题准确率",
        "generation samples": "生成样例",
        "reward pair accuracy": "奖励模型偏好对准确率",
        "when": "时间",
        "run": "运行",
        "model": "模型",
        "checkpoint": "检查点",
        "data": "数据",
        "template": "模板",
        "few-shot": "少样本数",
        "accuracy": "准确率",
        "correct/total": "正确/总数",
        "exact match": "完全匹配",
        "char F1": "字符 F1",
        "mean tokens": "平均 token 数",
        "pair accuracy": "偏好对准确率",
        "pairs": "偏好对数",
        "mean margin": "平均差值",
        "file": "文件",
    },
}


def compare_html(home, task: str) -> str:
    """The comparison table of ``task``'s stored results (a sentence when there are none)."""
    if task not in TASKS:
        return ""
    rows = compare_rows(home, task)
    if not rows:
        return f"<p>{html.escape(tr(LABELS, 'none', task=tr(LABELS, TASK_NAMES[task])))}</p>"
    extra = ["few-shot"] if task == "choice" else []
    headers = ["when", "run", "model", "checkpoint", "data", "template", *extra, *METRIC_HEADERS[task], "file"]
    return html_table([tr(LABELS, h) for h in headers], rows, "eval-compare")
