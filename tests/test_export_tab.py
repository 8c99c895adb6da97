"""The Export tab's handlers (no browser): export a tiny trained LoRA run through the ``studio export``
subprocess, with its log and summary; the output folder is confined to <workspace>/exports; errors are one line."""

from __future__ import annotations

import json
import os

import pytest
from safetensors import safe_open

from studio import chat_view, export_view
from studio.export_view import ExportTabError
from studio.tabs import export as export_tab


@pytest.fixture(scope="module")
def lora_run(lora6):
    """The session's six-step tiny LoRA run (conftest ``lora6``) with checkpoints at steps 3 and 6."""
    return lora6


def test_export_streams_the_log_and_summarises_the_files(lora_run, studio_home):
    home = str(studio_home)
    assert (f"lora6 · {lora_run.id} · succeeded", lora_run.id) in export_view.run_choices(home)
    assert export_view.checkpoint_choices(home, lora_run.id) == ["final", "latest", "6", "3"]
    assert export_view.default_name(home, lora_run.id, "3") == "lora6-checkpoint-3"
    shown = export_tab.command(home, lora_run.id, "final", "my model!", "100KB", "fp32", True, False)
    out = studio_home / "exports" / "my_model"
    assert shown == f"studio --home {home} export {lora_run.id} --out {out} --max-shard-size 100KB --dtype fp32"

    updates = list(export_tab.run(home, lora_run.id, "final", "my model!", "100KB", "fp32", True, False))
    assert len(updates) >= 3, "the log grows while the subprocess writes"
    log, summary = updates[-1]
    assert log.startswith(f"$ {shown}\n") and "\nexported " in log and f"to       {out}" in log
    shards = sorted(p.name for p in out.glob("*.safetensors"))
    assert len(shards) > 1, "100KB shards: the tiny model is split"
    assert f"shards: {len(shards)} safetensors file(s)" in summary and "Modelfile: written" in summary
    assert "adapter merged into the full-precision base" in summary
    for name in [*shards, "model.safetensors.index.json", "README.md", "Modelfile", "tokenizer.json"]:
        assert f"`{name}`" in summary
    with safe_open(out / shards[0], "pt") as f:
        assert f.get_tensor(next(iter(f.keys()))).dtype.is_floating_point
    assert json.loads((out / "config.json").read_text())["model_type"] == "llama"
    # The Chat tab now offers the export.
    assert (f"export · {out.name}", str(out)) in chat_view.model_choices(home)

    # Again without Force: the subprocess refuses and the summary is its one error line.
    log, summary = list(export_tab.run(home, lora_run.id, "final", "my model!", "100KB", "fp32", True, False))[-1]
    # Once "error:", and the tab's Overwrite checkbox instead of the CLI's --force.
    assert summary == f"**error:** --out {out} exists and is not empty {export_view.FORCE_UI}"
    assert export_view.FORCE_UI == "(tick “Overwrite a non-empty folder” to replace it)"
    assert "Traceback" not in log

    # A checkpoint, not merged: an adapter folder and the reason there is no Modelfile.
    updates = list(export_tab.run(home, lora_run.id, "3", "ckpt", "2GB", "auto", False, True))
    summary = updates[-1][1]
    assert (studio_home / "exports" / "ckpt" / "adapter_model.safetensors").is_file()
    assert "Modelfile: none: no Modelfile: the adapter was not merged" in summary


def test_output_folder_is_confined_to_the_exports_folder(studio_home, tmp_path):
    home = str(studio_home)
    root = (studio_home / "exports").resolve()
    assert export_view.out_dir(home, "../../etc/passwd") == root / "etc_passwd"
    assert export_view.out_dir(home, "/abs/path") == root / "abs_path"
    assert export_view.out_dir(home, "..\\..\\win") == root / "win"
    assert export_view.out_dir(home, "模型 v1") == root / "模型_v1"
    for bad in ("..", "  ", "/", "._-"):
        with pytest.raises(ExportTabError, match="leaves no folder name"):
            export_view.out_dir(home, bad)
    root.mkdir(parents=True, exist_ok=True)
    os.symlink(tmp_path, root / "elsewhere")
    with pytest.raises(ExportTabError, match="is outside"):
        export_view.out_dir(home, "elsewhere")


def test_bad_choices_are_one_line_and_run_nothing(lora_run, studio_home):
    home = str(studio_home)
    cases = [
        ((None, "final", "x", "2GB", "auto"), "run: pick a run to export"),
        ((lora_run.id, "final", "x", "lots", "auto"), "max shard size 'lots' is not a size"),
        ((lora_run.id, "final", "x", "2GB", "int4"), "dtype must be one of auto, fp32, bf16, fp16"),
        ((lora_run.id, "final", "..", "2GB", "auto"), "leaves no folder name"),
    ]
    for args, expected in cases:
        updates = list(export_tab.run(home, *args, True, False))
        assert len(updates) == 1 and updates[0][0] == "" and expected in updates[0][1], updates
        assert "\n" not in updates[0][1]
        assert export_tab.command(home, *args, True, False).startswith(f"# {updates[0][1][len('**error:** ') :]}")
    # A checkpoint the run does not have: the subprocess's own error line.
    log, summary = list(export_tab.run(home, lora_run.id, "99", "nope", "2GB", "auto", True, False))[-1]
    assert summary.startswith("**error:** run ") and "has no checkpoint '99'" in summary
    assert "\n" not in summary and not (studio_home / "exports" / "nope").exists()


def test_every_label_has_both_languages():
    from studio.tabs import chat

    for labels in (export_tab.LABELS, chat.LABELS):
        assert set(labels["en"]) == set(labels["zh"])
