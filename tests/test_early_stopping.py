"""Early stopping and the best checkpoint: the patience/min_delta rule, the spec's refusals, and a tiny SFT run
that stops before its last step, ends succeeded with the reason, keeps its best checkpoint and exports it."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import ROOT, run_cli
from transformers import TrainerControl, TrainerState

from backend.events import read_events
from backend.run.registry import Registry
from backend.spec import SpecError, apply_overrides, load_spec
from backend.train.best import BestCallback

TINY_SFT = ROOT / "presets/sft/tiny-lora.yaml"


class Events:
    def __init__(self):
        self.lines = []

    def log(self, message, **_):
        self.lines.append(message)


def feed(cb: BestCallback, values: list[float]) -> tuple[TrainerState, TrainerControl, int | None]:
    """Evaluations at steps 10, 20, ...; returns the state, the control and the step training stopped at."""
    state, control = TrainerState(), TrainerControl()
    for i, value in enumerate(values, start=1):
        state.global_step = 10 * i
        control.should_save = False
        cb.on_evaluate(None, state, control, metrics={"eval_loss": value})
        if control.should_training_stop:
            return state, control, state.global_step
    return state, control, None


def test_patience_counts_evaluations_without_an_improvement_beyond_min_delta():
    events = Events()
    cb = BestCallback(events, "eval_loss", patience=2, min_delta=0.05, keep_best=True)
    # 2.0 best; 1.97 is not better by > 0.05 (1 bad); 1.90 is (reset); 1.88, 1.99 are not: stop at step 50.
    state, _, stopped = feed(cb, [2.0, 1.97, 1.90, 1.88, 1.99, 1.0])
    assert stopped == 50
    assert cb.best == (1.90, 30) and (state.best_metric, state.best_global_step) == (1.90, 30)
    assert events.lines == [
        "early stopping at step 50: eval_loss did not improve by more than 0.05 for 2 evaluation(s); "
        "best 1.9 at step 30"
    ]
    assert cb.summary() == {"best_step": 30, "best_eval_loss": 1.90, "stopped_early": events.lines[0]}


def test_keep_best_asks_for_a_checkpoint_only_at_a_new_best_and_accuracy_goes_up():
    cb = BestCallback(Events(), "eval_loss", patience=0, min_delta=0.0, keep_best=True)
    state, control = TrainerState(global_step=5), TrainerControl()
    cb.on_evaluate(None, state, control, metrics={"eval_loss": 3.0})
    assert control.should_save
    control.should_save = False
    state.global_step = 10
    cb.on_evaluate(None, state, control, metrics={"eval_loss": 3.0})  # equal is not better
    assert not control.should_save and not control.should_training_stop  # patience 0: never stops
    acc = BestCallback(Events(), "eval_choice_acc", patience=1, min_delta=0.0, keep_best=False, choice=object())
    acc.observe(0.5, state, control)
    assert acc.best == (0.5, 10)
    assert acc.improves(0.6) and not acc.improves(0.5) and not acc.improves(0.4)  # higher is better


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            ["train.keep_best=true", "train.eval_steps=0"],
            "train.eval_steps: must be > 0 for train.keep_best on eval_loss (evaluate during training) (got 0)",
        ),
        (
            ["train.early_stopping.patience=2", "data.val_size=0"],
            "data.val_size: must be > 0 for train.early_stopping.patience on eval_loss (a held-out split) (got 0)",
        ),
        (
            ["train.early_stopping.patience=2", "train.early_stopping.metric=eval_choice_acc"],
            "eval.choice_data: is required for train.early_stopping.patience on eval_choice_acc",
        ),
        (["train.keep_best=true", "stage=dpo"], "train.keep_best: works with the pt and sft stages, not dpo"),
    ],
)
def test_spec_refuses_early_stopping_without_its_evaluation(overrides, message):
    with pytest.raises(SpecError) as err:
        apply_overrides(load_spec(TINY_SFT), overrides)
    assert message in str(err.value)


@pytest.mark.scale
@pytest.mark.slow
def test_tiny_run_stops_early_keeps_the_best_checkpoint_and_exports_it(studio_home, tiny_model, tmp_path):
    from backend.eval.load import resolve_target
    from backend.export.run import export
    from backend.run_best import best_checkpoint
    from studio import chat_view, export_view, runs_view

    # min_delta 100 makes every evaluation after the first "no improvement", whatever the loss does: the
    # first (step 2) is the best, steps 4 and 6 exhaust patience 2, and the run stops at 6 of 40.
    sets = [
        "output.run_name=early-stop",
        "train.max_steps=40",
        "train.eval_steps=2",
        "train.logging_steps=2",
        "train.save_total_limit=1",
        "train.early_stopping.patience=2",
        "train.early_stopping.min_delta=100",
        "train.keep_best=true",
    ]
    proc = run_cli("train", str(TINY_SFT), *[a for s in sets for a in ("--set", s)], home=studio_home)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (run,) = [r for r in Registry(studio_home).list() if r.name == "early-stop"]
    assert run.status == "succeeded"
    events = read_events(run.path / "events.jsonl")
    metrics = [e for e in events if e["type"] == "result"][-1]["metrics"]
    assert metrics["stopped_early"].startswith("early stopping at step 6: eval_loss did not improve")
    assert metrics["best_step"] == 2
    assert metrics["best_checkpoint"] == str(run.path / "checkpoints" / "checkpoint-2")
    # Stopped at step 6 of 40 (progress events are throttled, so the logged metrics at steps 2, 4, 6 tell it).
    assert max(e["step"] for e in events if e["type"] in ("progress", "metric") and "step" in e) == 6
    assert (run.path / "checkpoints" / "checkpoint-2" / "adapter_model.safetensors").is_file()
    assert (run.path / "adapter").is_dir()  # the final weights were saved too
    # Live throughput on CPU (backend.flops): tokens/s per device in every rated metric event, no MFU.
    rated = [e for e in events if e["type"] == "metric" and "tokens_per_s" in e]
    assert rated and all(e["tokens_per_s_per_device"] == e["tokens_per_s"] and "mfu" not in e for e in rated)
    assert any("no peak known for CPU" in e.get("message", "") for e in events if e["type"] == "log")
    best = str(run.path / "checkpoints" / "checkpoint-2")
    assert best_checkpoint(run.path) == Path(best)
    assert export_view.checkpoint_choices(str(studio_home), run.id)[:2] == ["final", "best"]
    assert (f"early-stop · {run.id} · best (checkpoint-2)", best) in chat_view.model_choices(str(studio_home))
    assert resolve_target(run.id, home=studio_home, checkpoint="best").checkpoint == "checkpoint-2"  # studio eval
    frame = runs_view.curves(run)  # the Runs tab marks the best step with a vertical "best" line
    assert sorted(frame[frame.series == "best"].dropna().step) == [2, 2]
    panel = runs_view.details(str(studio_home), run.id)["checkpoints"].splitlines()
    assert panel[0].startswith(f"best: step 2, eval_loss {metrics['best_eval_loss']:.6g} ({best}); early stopping")
    result = export(run.id, tmp_path / "best", home=studio_home, checkpoint="best")
    assert result.source.weights == run.path / "checkpoints" / "checkpoint-2"
    assert "checkpoint-2" in result.source.label


def _trainer(output_dir: Path, callbacks: list):
    """A real Trainer on a 1-layer Llama of width 16: 12 steps, an evaluation every 2 steps, on the CPU."""
    import torch
    from datasets import Dataset
    from transformers import LlamaConfig, LlamaForCausalLM, Trainer, TrainingArguments

    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=32, hidden_size=16, intermediate_size=32, num_hidden_layers=1, num_attention_heads=2,
        num_key_value_heads=2, max_position_embeddings=16,
    )  # fmt: skip
    rows = [[(i * 7 + j) % 32 for j in range(8)] for i in range(16)]
    data = Dataset.from_dict({"input_ids": rows, "labels": rows})
    args = TrainingArguments(
        output_dir=str(output_dir), max_steps=12, per_device_train_batch_size=2, per_device_eval_batch_size=4,
        eval_strategy="steps", eval_steps=2, save_strategy="steps", save_steps=1000, logging_steps=1000,
        report_to=[], use_cpu=True, disable_tqdm=True, learning_rate=1e-3, seed=0,
    )  # fmt: skip
    return Trainer(model=LlamaForCausalLM(config), args=args, train_dataset=data, eval_dataset=data.select(range(4)),
                   callbacks=callbacks)  # fmt: skip


class StopAt:
    """Writes the run's stop request (as the Stop & save button does) when training reaches ``step``."""

    def __init__(self, run_dir: Path, step: int):
        from transformers import TrainerCallback

        from backend.events import STOP_FILE

        request = run_dir / STOP_FILE

        class _Cb(TrainerCallback):
            def on_step_end(self, args, state, control, **kwargs):
                if state.global_step == step:
                    request.write_text("{}")

        self.callback = _Cb()


def test_patience_count_survives_stop_and_save_then_resume(tmp_path):
    from types import SimpleNamespace

    from backend.train.stop import Stopped, train

    def spec(resume):
        return SimpleNamespace(train=SimpleNamespace(save_on_sigterm=False, resume_from_checkpoint=resume))

    def best():  # min_delta 100: the first evaluation (step 2) is the best, every later one counts against it
        return BestCallback(Events(), "eval_loss", patience=2, min_delta=100.0, keep_best=False)

    # Uninterrupted: evaluations at 2 (best), 4 (1 without improvement), 6 (2): stops at step 6 of 12.
    whole = _trainer(tmp_path / "whole", [best()])
    assert train(whole, spec(None), tmp_path / "whole").global_step == 6

    # Stop & save at step 5 (after the evaluation at 4 counted one), then resume from checkpoint-5.
    first = _trainer(tmp_path / "cut", [best(), StopAt(tmp_path, 5).callback])
    with pytest.raises(Stopped) as stopped:
        train(first, spec(None), tmp_path)
    assert stopped.value.step == 5 and Path(stopped.value.checkpoint).name == "checkpoint-5"
    saved = (Path(stopped.value.checkpoint) / "trainer_state.json").read_text()
    assert '"BestCallback": {' in saved and '"bad": 1' in saved
    resumed_cb = best()
    resumed = _trainer(tmp_path / "cut", [resumed_cb])
    # Without the saved count the resumed run would start from 0 and stop at step 8.
    assert train(resumed, spec("latest"), tmp_path).global_step == 6
    assert resumed_cb.best == (pytest.approx(whole.state.best_metric), 2) and resumed_cb.bad == 2
    assert resumed_cb.stopped.startswith("early stopping at step 6: eval_loss did not improve")
