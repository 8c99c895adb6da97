"""``studio eval``: run one evaluator on a base model, run, checkpoint, adapter or export.

    studio eval MODEL --task ppl|choice|generate|reward --data PATH [--adapter A] [--checkpoint N|latest|best]
                [--template T|none] [--few-shot N] [--few-shot-data PATH] [--max-new-tokens N] [--sample]
                [--cutoff-len N] [--batch-size N] [--limit N] [--out DIR] [--json] [--trust-remote-code]

MODEL is what ``studio export`` takes (run id, name or folder, checkpoint, adapter/model/export folder)
or ``builtin:tiny-llama``. The result is stored as ``<task>-<timestamp>.json`` (generations also as
``.jsonl``) in ``runs/<id>/eval/`` for a run, else ``<workspace>/eval/<name>/``, or in ``--out``; a
readable summary (or, with ``--json``, the stored document) is printed. Exit status 2 with one
``error:`` line when the model or the data cannot be used. Also ``python -m cli eval ...``.
"""

from __future__ import annotations

import json
import os
import shlex
import sys
import time
from pathlib import Path

from backend.eval.data import TASKS
from cli.errors import one_line_errors


def _summary(doc: dict) -> str:
    m, task = doc["metrics"], doc["task"]
    head = f"{task} on {doc['data']} | {doc['model']}"
    if task == "ppl":
        lines = [f"perplexity {m['perplexity']:.4f}  (NLL {m['nll']:.4f} over {m['tokens']} tokens, "
                 f"{m['records']} records)"]  # fmt: skip
    elif task == "choice":
        lines = [f"accuracy {m['accuracy']:.2%}  ({m['correct']}/{m['total']}, {doc['few_shot']}-shot)"]
        lines += [f"  {name:<32} {s['accuracy']:7.2%}  ({s['correct']}/{s['total']})"
                  for name, s in m["subjects"].items()]  # fmt: skip
    elif task == "generate":
        scores = "" if m["char_f1"] is None else f"; exact match {m['exact_match']:.2%}, char F1 {m['char_f1']:.3f}"
        lines = [f"{m['samples']} samples, {m['mean_output_tokens']:.1f} tokens on average{scores}"]
        for o in doc.get("outputs", [])[:3]:
            lines.append(f"  > {o['prompt'][-1]['content'][:70]}\n    {o['output'][:200]!r}")
    else:
        lines = [f"pair accuracy {m['accuracy']:.2%} over {m['pairs']} pairs ({m['ties']} ties); "
                 f"margin {m['margin_mean']:.4f} ± {m['margin_std']:.4f}"]  # fmt: skip
    stored = [doc["file"]] + ([doc["outputs_file"]] if doc.get("outputs_file") else [])
    return "\n".join([head, *lines, "saved: " + ", ".join(stored)])


def cmd_eval(args) -> int:
    from backend.models.hub import offline_intent

    with offline_intent():  # a hub id is downloaded on demand unless the studio itself is offline
        return _cmd_eval(args)


def _cmd_eval(args) -> int:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    from backend.eval import evaluators as evaluate
    from backend.eval import load as eval_load
    from backend.eval.data import read_records
    from backend.workspace import is_builtin, resolve_data_path

    def local(name):
        return resolve_data_path(name) if is_builtin(name) else Path(name).expanduser()

    data = local(args.data)
    shots = local(args.few_shot_data) if args.few_shot_data else None
    records = read_records(data, args.task, args.limit)  # bad data fails before any weights load
    target = eval_load.resolve_target(args.model, args.adapter, home=args.home, checkpoint=args.checkpoint,
                                      template=args.template)  # fmt: skip
    folder = Path(args.out) if args.out else eval_load.results_dir(target, args.home)
    path = eval_load.result_path(folder, args.task)
    started = time.time()
    extra: dict = {}
    if args.task == "reward":
        model, tok = eval_load.load_reward_model(target, trust_remote_code=args.trust_remote_code)
        tmpl = None if target.template == "auto" else target.template  # an rm run's own template, if it named one
        if tmpl is not None:
            from backend.data.templates import resolve_template

            tmpl = resolve_template(tok, tmpl)
        metrics = evaluate.reward_accuracy(model, tok, data, tmpl, args.batch_size, args.cutoff_len, records=records)
    else:
        model, tok, tmpl, info = eval_load.load_causal_lm(target, trust_remote_code=args.trust_remote_code)
        extra["load"] = info
        if args.task == "ppl":
            metrics = evaluate.perplexity(model, tok, data, tmpl, args.cutoff_len, args.batch_size, records=records)
        elif args.task == "choice":
            metrics = evaluate.choice_accuracy(model, tok, data, tmpl, args.few_shot, shots,
                                               args.batch_size, records=records)  # fmt: skip
        else:
            outputs = path.with_suffix(".jsonl")
            metrics = evaluate.generate_samples(model, tok, data, tmpl, args.max_new_tokens, not args.sample,
                                                outputs, args.batch_size, records=records)  # fmt: skip
            extra["outputs"] = metrics.pop("outputs")
            extra["outputs_file"] = metrics.pop("path")
    argv = sys.argv[1:]
    doc = {
        "task": args.task, "model": target.label, "run": target.run_dir.name if target.run_dir else None,
        "checkpoint": target.checkpoint, "base": str(target.base),
        "adapter": str(target.adapter) if target.adapter else None, "data": str(data),
        "template": target.template, "few_shot": args.few_shot if args.task == "choice" else None,
        "time": started, "elapsed_s": round(time.time() - started, 2),
        "command": "studio " + shlex.join(argv[argv.index("eval") :] if "eval" in argv else ["eval", args.model]),
        "metrics": metrics, **extra, "file": str(path),
    }  # fmt: skip
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=1, default=str) + "\n", encoding="utf-8")
    print(json.dumps(doc, ensure_ascii=False, default=str) if args.json else _summary(doc))
    return 0


def add_parser(sub) -> None:
    """Add the ``eval`` command to the ``studio`` sub-parsers."""
    p = sub.add_parser("eval", help="perplexity, single-choice accuracy, generation samples or reward accuracy")
    p.add_argument("model", metavar="MODEL", help="run id/name/dir, checkpoint, adapter/model/export dir, builtin:")
    p.add_argument("--task", required=True, choices=TASKS, help="which evaluator to run")
    p.add_argument("--data", required=True, help="file or folder (builtin:samples/<file> for a shipped sample)")
    p.add_argument("--adapter", help="a LoRA adapter (folder or run) to put on MODEL")
    p.add_argument("--checkpoint", help="evaluate checkpoint N of the run, 'latest' or 'best' (train.keep_best)")
    p.add_argument("--template", default="auto", help="chat template: auto (the run's), a named one, or none (plain)")
    p.add_argument("--few-shot", type=int, default=0, help="choice: examples of the same subject before each question")
    p.add_argument("--few-shot-data", help="choice: take the examples from this file (e.g. C-Eval's dev split)")
    p.add_argument("--max-new-tokens", type=int, default=256, help="generate: longest answer in tokens")
    p.add_argument("--sample", action="store_true", help="generate: sample (temperature 0.7, top-p 0.9), not greedy")
    p.add_argument("--cutoff-len", type=int, default=1024, help="ppl/reward: tokens per row")
    p.add_argument("--batch-size", type=int, default=8, help="records per forward pass")
    p.add_argument("--limit", type=int, help="evaluate only the first N records")
    p.add_argument("--out", type=Path, help="store the result here instead of the run's eval/ folder")
    p.add_argument("--json", action="store_true", help="print the stored result as one JSON document")
    p.add_argument("--trust-remote-code", action="store_true", help="run modelling code shipped with the model")
    p.set_defaults(func=one_line_errors(cmd_eval))
