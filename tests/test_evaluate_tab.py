"""The Evaluate tab's handlers (no browser): real ``studio eval`` subprocesses on the builtin tiny model
with the shipped samples, the rendering of their results, the comparison of stored results across runs,
one-line errors, and HTML escaping of model outputs."""

from __future__ import annotations

import html
import json
import math

import pytest

from studio import eval_view
from studio.eval_view import EvalTabError
from studio.tabs import evaluate as eval_tab

TINY = "builtin:tiny-llama"
PPL_DATA = "builtin:samples/pretrain_zh_en.jsonl"
CHOICE_DATA = "builtin:samples/eval_choice.jsonl"


def _stored(studio_home, task: str) -> dict:
    """The newest stored result of ``task`` for the builtin model."""
    files = sorted((studio_home / "eval" / "tiny-llama").glob(f"{task}-*.json"), key=lambda p: p.stat().st_mtime)
    assert files, f"no stored {task} result"
    return json.loads(files[-1].read_text(encoding="utf-8"))


def test_perplexity_and_choice_run_in_a_subprocess(studio_home, tiny_model):
    home = str(studio_home)
    shown = eval_tab.command(home, TINY, "ppl", PPL_DATA, "auto", 0, 256, 0)
    assert shown == f"studio --home {home} eval {TINY} --task ppl --data {PPL_DATA} --json"

    updates = list(eval_tab.run(home, TINY, "ppl", PPL_DATA, "auto", 0, 256, 50))  # the first 50 records
    assert updates[0][0].startswith("evaluating … `studio --home")
    headline, details, compare = updates[-1]
    doc = _stored(studio_home, "ppl")
    m = doc["metrics"]
    assert math.isclose(m["perplexity"], math.exp(m["nll"]), rel_tol=1e-9) and m["tokens"] > 100
    assert m["records"] == 50 and doc["command"].endswith("--limit 50 --json")
    assert headline.startswith(f"**perplexity {m['perplexity']:.4f}** (NLL {m['nll']:.4f} over {m['tokens']} tokens")
    assert details == "" and doc["file"].rsplit("/", 1)[-1] in compare

    updates = list(eval_tab.run(home, TINY, "choice", CHOICE_DATA, "auto", 2, 256, 0))
    headline, details, compare = updates[-1]
    doc = _stored(studio_home, "choice")
    m = doc["metrics"]
    assert doc["few_shot"] == 2 and doc["command"].endswith("--few-shot 2 --json")
    assert m["total"] == 30 and m["correct"] == sum(p["correct"] for p in m["predictions"])
    assert headline.startswith(f"**accuracy {m['correct'] / 30:.2%}** ({m['correct']}/30, 2-shot)")
    assert "<td style='white-space:pre-wrap'>eval_choice</td>" in details and ">30</td>" in details
    # The comparison lists the choice result (newest first) and not the perplexity one.
    rows = eval_view.compare_rows(home, "choice")
    assert rows[0][-1] == doc["file"].rsplit("/", 1)[-1] and rows[0][6] == 2
    assert not any(r[-1].startswith("ppl-") for r in rows) and "ppl-" not in compare


def test_generation_table_matches_the_stored_outputs(studio_home, tiny_model):
    home = str(studio_home)
    headline, details, _ = list(eval_tab.run(home, TINY, "generate", "builtin:samples/eval_prompts.jsonl",
                                             "auto", 0, 4, 3))[-1]  # fmt: skip
    doc = _stored(studio_home, "generate")
    assert doc["metrics"]["samples"] == 3 and headline.startswith("**3 samples**")
    assert details.count("<tr>") == 1 + 3  # header + one row per prompt
    for o in doc["outputs"]:
        assert o["tokens"] <= 4
        assert f">{html.escape(o['reference'])}</td>" in details
    assert (
        len((studio_home / "eval" / "tiny-llama" / doc["outputs_file"].rsplit("/", 1)[-1]).read_text().splitlines())
        == 3
    )


def test_errors_are_one_line(studio_home, tiny_model):
    home = str(studio_home)

    def last(*values):
        status, details, _ = list(eval_tab.run(home, *values))[-1]
        assert status.startswith("**error:** ") and "\n" not in status and "Traceback" not in status
        assert details == ""
        return html.unescape(status.removeprefix("**error:** "))  # escaped for the Markdown box

    assert (
        last(TINY, "ppl", "/no/such/file.jsonl", "auto", 0, 256, 0)
        == "data: /no/such/file.jsonl: no such file or folder"
    )
    assert last("/no/such/model", "ppl", PPL_DATA, "auto", 0, 256, 0) == "model: /no/such/model is not a folder"
    assert last(TINY, "generate", PPL_DATA, "auto", 0, 0, 0) == "max new tokens must be a whole number >= 1, got 0"
    assert last(TINY, "choice", CHOICE_DATA, "chatml-ish", 0, 256, 0) == "template: unknown template 'chatml-ish'"
    # From the subprocess: an unknown run, data of the wrong shape, a causal LM where a reward model is needed.
    assert last("no-such-run", "ppl", PPL_DATA, "auto", 0, 256, 0).startswith("no run or directory 'no-such-run'")
    assert "--task choice needs" in last(TINY, "choice", "builtin:samples/sft_messages.jsonl", "auto", 0, 256, 0)
    assert "is not a reward model" in last(TINY, "reward", "builtin:samples/preference.jsonl", "auto", 0, 256, 0)
    assert (
        eval_tab.command(home, TINY, "ppl", "", "auto", 0, 256, 0) == "# data: pick a file in the list or type a path"
    )


def test_model_outputs_and_names_are_html_escaped():
    evil = "<script>alert('x')</script>&"
    doc = {"task": "generate", "model": evil, "template": "auto", "elapsed_s": 1.0, "file": "/x/generate-1.json",
           "metrics": {"samples": 1, "mean_output_tokens": 3.0, "exact_match": 0.0, "char_f1": 0.5},
           "outputs": [{"prompt": [{"role": "user", "content": "<b>hi</b>"}], "output": evil, "reference": "<i>r</i>",
                        "tokens": 3, "finish_reason": "length"}]}  # fmt: skip
    details = eval_view.details_html(doc)
    assert "<script>" not in details and "<b>" not in details and "<i>" not in details
    assert (
        "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;&amp;" in details and "user: &lt;b&gt;hi&lt;/b&gt;" in details
    )
    assert "<script>" not in eval_view.headline(doc)


def test_comparison_reads_stored_results_across_runs_newest_first(tmp_path):
    def store(folder, name, when, accuracy, model):
        path = tmp_path / folder / f"{name}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        doc = {"task": "reward", "model": model, "run": folder.split("/")[1] if folder.startswith("runs/") else None,
               "data": "/d/preference.jsonl", "template": "auto", "time": when, "file": str(path),
               "metrics": {"accuracy": accuracy, "pairs": 8, "ties": 0, "margin_mean": 0.25,
                           "margin_std": 0.1}}  # fmt: skip
        path.write_text(json.dumps(doc), encoding="utf-8")

    store("runs/r-old/eval", "reward-1", 1000.0, 0.5, "run r-old (adapter)")
    store("runs/r-new/eval", "reward-2", 2000.0, 0.875, "run r-new (adapter)")
    store("eval/tiny-llama", "reward-3", 1500.0, 0.25, "<b>base</b>")
    (tmp_path / "runs/r-new/eval/notes.json").write_text("{not json")  # a foreign file is skipped
    rows = eval_view.compare_rows(tmp_path, "reward")
    assert [r[1] for r in rows] == ["r-new", "–", "r-old"]
    assert rows[0][6:] == ["87.50%", 8, "0.2500", "reward-2.json"]
    table = eval_view.compare_html(tmp_path, "reward")
    assert table.index("r-new") < table.index("r-old") and "&lt;b&gt;base&lt;/b&gt;" in table and "<b>" not in table
    assert eval_view.compare_html(tmp_path, "ppl") == "<p>No stored perplexity results yet.</p>"


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (("ppl", PPL_DATA, "auto", 0, 256, -1), "limit must be a whole number >= 1"),
        (("choice", CHOICE_DATA, "auto", -2, 256, 0), "few-shot must be a whole number >= 0"),
        (("choice", CHOICE_DATA, "auto", 1.5, 256, 0), "few-shot must be a whole number >= 0"),
        (("bleu", CHOICE_DATA, "auto", 0, 256, 0), "task must be one of ppl, choice, generate, reward"),
        (("ppl", "builtin:other/x.jsonl", "auto", 0, 256, 0), "data: unknown builtin dataset"),
    ],
)
def test_form_is_checked_before_anything_runs(tmp_path, values, message):
    with pytest.raises(EvalTabError, match=message.replace("(", r"\(")):
        eval_view.eval_argv(tmp_path, TINY, *values)


def test_the_running_line_follows_the_language():
    from studio import i18n
    from studio.tabs.evaluate import LABELS

    with i18n.using("中文"):
        assert i18n.tr(LABELS, "evaluating_for", elapsed="0:05", command="studio eval") == (
            "正在评估 … 已用 0:05 · `studio eval`"
        )
    assert i18n.tr(LABELS, "evaluating", command="studio eval") == "evaluating … `studio eval`"
