"""A full disk (issue 15, item 3): the ``disk`` failure class, one line with the path and the free space,
no traceback, and no registry row lost, wherever ENOSPC surfaces.

Unit checks inject the error (ENOSPC, safetensors' and SQLite's texts); ``test_real_30mb_filesystem``
trains on a real 30 MB tmpfs filled up mid-run (skipped where mounting is not permitted).
"""

from __future__ import annotations

import errno
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from collections import namedtuple
from pathlib import Path

import pytest

from backend import failures
from backend.events import EventWriter, read_events
from backend.run import registry as run_registry
from backend.run import story as run_story
from backend.run.launchers.local import run_processes
from backend.run.queue import abort_run, reconcile
from backend.run.registry import ACTIVE_STATES, Registry, Run, create_run
from backend.train.__main__ import RunEvents, classify, describe
from cli import runs as runs_cli
from cli.__main__ import main as studio_main
from tests.conftest import ROOT

SAFETENSORS_ENOSPC = (
    'Error while serializing: IoError(Os { code: 28, kind: StorageFull, message: "No space left on device" })'
)


def test_disk_errors_are_their_own_class(tmp_path):
    from safetensors import SafetensorError

    cases = [
        OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "checkpoints" / "optimizer.pt")),
        OSError(errno.EDQUOT, "Disk quota exceeded"),
        SafetensorError(SAFETENSORS_ENOSPC),
        sqlite3.OperationalError("database or disk is full"),
        RuntimeError(
            "[enforce fail at inline_container.cc:603] . PytorchStreamWriter failed writing file data/0: "
            "file write failed"
        ),  # fmt: skip
    ]
    assert [classify(exc) for exc in cases] == ["disk"] * len(cases)
    assert classify(FileNotFoundError(errno.ENOENT, "No such file", "model/config.json")) == "model"
    assert failures.text_kind("OSError: [Errno 28] No space left on device") == "disk"
    # A wrapper that hides the OSError in its cause chain is still a full disk.
    try:
        try:
            raise OSError(errno.ENOSPC, "No space left on device", "/x/events.jsonl")
        except OSError as inner:
            raise RuntimeError("could not save") from inner
    except RuntimeError as outer:
        assert failures.is_disk_error(outer)
        assert failures.disk_path(outer) == "/x/events.jsonl"


def test_disk_line_names_path_and_free_space(tmp_path, monkeypatch):
    Usage = namedtuple("Usage", "total used free")
    monkeypatch.setattr(failures.shutil, "disk_usage", lambda p: Usage(30 << 20, 30 << 20, 12 << 10))
    exc = OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "ckpt" / "model.safetensors"))
    line = describe(exc, "disk", tmp_path)
    assert line.startswith(
        f"Disk full: no space left writing {tmp_path / 'ckpt' / 'model.safetensors'} (12.0 KiB free): "
        "No space left on device — free space on that filesystem"
    )
    assert "\n" not in line
    from safetensors import SafetensorError

    line = describe(SafetensorError(SAFETENSORS_ENOSPC), "disk", tmp_path)
    assert line.startswith(f"Disk full: no space left under {tmp_path} (12.0 KiB free): SafetensorError: Error while")


def test_trainer_events_survive_a_full_disk(tmp_path, monkeypatch, capsys):
    events = RunEvents(tmp_path, main=True)

    def full(*a, **k):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(events.writer, "emit", full)
    events.emit("error", kind="disk", message="x")  # must not raise: the supervisor tells the story
    assert "could not write a error event" in capsys.readouterr().err


def _registry_with_run(home: Path, status: str = "running", pgid: int | None = None) -> Run:
    registry = Registry(home)
    run_dir = home / "runs" / "r1"
    run_dir.mkdir(parents=True)
    (run_dir / "job.yaml").write_text("stage: sft\n", encoding="utf-8")
    run = Run(id="r1", name="r1", stage="sft", method="lora", model="m", status=status, run_dir=str(run_dir),
                   created=time.time(), started=time.time(), pgid=pgid)  # fmt: skip
    registry.insert(run)
    return run


def _full_sqlite(monkeypatch):
    """Every ordinary SQLite open fails as on a full disk; the immutable read-only view still works."""
    real = sqlite3.connect

    class Full:
        def execute(self, *a, **k):
            raise sqlite3.OperationalError("disk I/O error")

        def close(self):
            pass

        def __enter__(self):
            return self

        def __exit__(self, *a):
            return False

        row_factory = None

    monkeypatch.setattr(
        run_registry.sqlite3, "connect", lambda db, *a, uri=False, **k: real(db, uri=True) if uri else Full()
    )


def test_registry_reads_work_and_writes_say_disk_when_full(tmp_path, monkeypatch, capsys):
    run = _registry_with_run(tmp_path)
    _full_sqlite(monkeypatch)
    registry = Registry(tmp_path)
    assert registry.read_only and "disk I/O error" in registry.read_only
    assert [r.id for r in registry.list()] == ["r1"] and registry.get("r1").status == "running"
    with pytest.raises(OSError) as caught:
        registry.update("r1", status="failed")
    assert caught.value.errno == errno.ENOSPC and caught.value.filename == str(tmp_path / "registry.db")
    # `studio runs list|show`: the rows, one warning line, exit 0, no traceback.
    assert studio_main(["--home", str(tmp_path), "runs", "list"]) == 0
    out, err = capsys.readouterr()
    assert run.id in out and "running" in out
    assert err.count("\n") == 1 and err.startswith(
        f"warning: Disk full: no space left writing {tmp_path / 'registry.db'} ("
    )
    assert "cannot write the run registry: disk I/O error; runs are shown as last recorded" in err
    assert studio_main(["--home", str(tmp_path), "runs", "show", "r1"]) == 0
    out, err = capsys.readouterr()
    assert "status   running" in out and "Traceback" not in out + err


def test_create_run_on_a_full_disk_leaves_nothing_half_made(tmp_path, monkeypatch):
    from backend.spec import JobSpec, spec_from_dict

    spec = spec_from_dict(
        {"stage": "sft", "data": {"sources": [{"path": "a.jsonl"}]}, "output": {"workspace": str(tmp_path)}}
    )

    def full(self, path):
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(JobSpec, "save", full)
    with pytest.raises(OSError) as caught:
        create_run(spec, tmp_path)
    assert failures.is_disk_error(caught.value)
    assert list((tmp_path / "runs").iterdir()) == [] and Registry(tmp_path).list() == []


def test_cli_prints_one_disk_line(tmp_path, monkeypatch, capsys):
    def full(*a, **k):
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "runs" / "x" / "job.yaml"))

    monkeypatch.setattr(runs_cli, "abort_run", full)
    assert studio_main(["--home", str(tmp_path), "runs", "abort", "x"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith(f"error: [disk] Disk full: no space left writing {tmp_path / 'runs' / 'x' / 'job.yaml'} (")
    assert " free): No space left on device — free space on that filesystem" in err


def _dead_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


def test_reconcile_keeps_the_disk_story_not_process_disappeared(tmp_path):
    run = _registry_with_run(tmp_path, pgid=_dead_pid())
    with EventWriter(run.path / "events.jsonl") as w:
        w.emit("status", state="queued", message="waiting for the CPU")
        w.emit("status", state="running", message="stage sft")
        w.emit("error", kind="disk", message="Disk full: no space left under X (0 B free): … — free space")
        w.emit("status", state="failed", message="disk error")
    (run,) = reconcile(tmp_path)
    assert (run.status, run.error_kind) == ("failed", "disk")
    assert run.error.startswith("Disk full: no space left under X (0 B free)")
    assert [e.get("state") for e in read_events(run.path / "events.jsonl")][-1] == "failed"  # not written twice


def test_reconcile_blames_a_nearly_full_disk_when_nothing_was_said(tmp_path, monkeypatch):
    run = _registry_with_run(tmp_path, pgid=_dead_pid())
    Usage = namedtuple("Usage", "total used free")
    monkeypatch.setattr(run_story.shutil, "disk_usage", lambda p: Usage(30 << 20, 30 << 20, 0))
    (run,) = reconcile(tmp_path)
    assert (run.status, run.error_kind) == ("failed", "disk")
    assert run.error.startswith(f"Disk full: the run's processes ended while the disk was full ({run.path}, ")


def test_preflight_sizes_checkpoints_from_model_and_method(studio_home, tiny_model, monkeypatch):
    from backend import preflight as pf
    from backend.launch import Hardware
    from backend.spec import spec_from_dict

    Usage = namedtuple("Usage", "total used free")
    monkeypatch.setattr(pf.shutil, "disk_usage", lambda p: Usage(30 << 20, 0, 30 << 20))
    cpu = Hardware(gpu_count=0, cpu_count=2)
    base = {"stage": "sft", "model": {"name_or_path": str(tiny_model)}, "output": {"workspace": str(studio_home)},
            "data": {"sources": [{"path": "builtin:samples/sft_messages.jsonl"}]},
            "train": {"max_steps": 300, "save_steps": 1, "save_total_limit": None}}  # fmt: skip
    tok = sum((tiny_model / f).stat().st_size for f in pf.TOKENIZER_SAVED if (tiny_model / f).is_file())
    weights = (tiny_model / "model.safetensors").stat().st_size  # what the trainer really writes (fp32)
    checks = {}
    for method in ("lora", "full"):
        spec = spec_from_dict({**base, "method": {"type": method}})
        checks[method] = {c.name: c for c in pf.preflight(spec, studio_home, cpu)}["disk"]
        est = pf.estimate_memory(spec, pf.shape_for_spec(spec, studio_home), cpu)
        ckpt, out = pf.checkpoint_bytes(spec, est, pf.shape_for_spec(spec, studio_home), studio_home)
        if method == "full":  # fp32 weights + tokenizer; a checkpoint adds AdamW's 8 bytes per parameter
            assert abs(out - (weights + tok)) / (weights + tok) < 0.01
            assert abs(ckpt - out - 2 * weights) / (2 * weights) < 0.01
        else:  # the adapter: 156,160 LoRA parameters in fp32, its AdamW state, and the tokenizer
            assert (ckpt, out) == (156_160 * 12 + tok, 156_160 * 4 + tok)
        h = failures.human_bytes
        assert checks[method].message.startswith(
            f"needs ~{h(300 * ckpt + out)} (300 checkpoint(s) × {h(ckpt)} + output {h(out)}), 30.0 MiB free in "
        )
        assert checks[method].level == "fail"
    assert "(300 checkpoint(s) × 2.4 MiB + output 1.2 MiB)" in checks["lora"].message


def _mount_tmpfs(path: Path, size: str) -> bool:
    if os.geteuid() != 0 or not shutil.which("mount"):
        return False
    path.mkdir(parents=True, exist_ok=True)
    return subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
                          capture_output=True).returncode == 0  # fmt: skip


def _fill(path: Path) -> None:
    """Write zeros to ``path`` until the filesystem is full."""
    try:
        with open(path, "wb", buffering=0) as fh:
            while True:
                fh.write(b"\0" * 4096)
    except OSError as exc:
        assert exc.errno == errno.ENOSPC


@pytest.mark.scale
@pytest.mark.slow
def test_real_30mb_filesystem(tmp_path, tiny_model):
    """Train on a 30 MB tmpfs that fills up before the first checkpoint: every line is one line, the row stays,
    and once space is freed the run reads as the disk failure it was."""
    mnt = tmp_path / "small"
    if not _mount_tmpfs(mnt, "30m"):
        pytest.skip("cannot mount a tmpfs here (needs root and mount permission)")
    try:
        home = mnt / "ws"
        job = tmp_path / "job.yaml"
        job.write_text(
            f"stage: sft\nmodel:\n  name_or_path: {tiny_model}\nmethod:\n  type: lora\ndata:\n  sources:\n"
            "    - path: builtin:samples/sft_messages.jsonl\n  cutoff_len: 64\ntrain:\n  max_steps: 6\n"
            "  per_device_batch_size: 2\n  save_steps: 1\n  logging_steps: 1\n",
            encoding="utf-8",
        )
        env = {**os.environ, "STUDIO_HOME": str(home), "STUDIO_DISK_WAIT_S": "300"}
        env.pop("STUDIO_DEBUG", None)

        def studio(*args):
            return subprocess.run([sys.executable, "-m", "cli", *args], cwd=ROOT, env=env,
                                  capture_output=True, text=True, timeout=120)  # fmt: skip

        started = studio("train", str(job), "--detach")
        assert started.returncode == 0, started.stderr
        run_id = started.stdout.split()[1]
        _fill(mnt / "filler")  # before the trainer (still importing torch) saves anything
        registry = Registry(home)
        deadline = time.time() + 180
        while time.time() < deadline:
            events = read_events(home / "runs" / run_id / "events.jsonl")
            if any(e["type"] == "status" and e.get("state") in ("failed", "succeeded") for e in events):
                break
            if not run_processes(run_id):
                break
            time.sleep(1)
        time.sleep(2)
        # While the disk is full: list and show work (read-only), one warning line, no traceback.
        for args in (("runs", "list"), ("runs", "show", run_id)):
            proc = studio(*args)
            assert proc.returncode == 0, proc.stderr
            assert run_id in proc.stdout
            # The CLI itself says one line; the run's own train.log tail (shown by `runs show`) may hold the
            # trainer's traceback when it got onto the disk before it filled, and that is the run's record.
            own = proc.stdout.split("--- train.log (tail) ---")[0]
            assert "Traceback" not in own + proc.stderr
            assert all(line.startswith("warning: Disk full: ") for line in proc.stderr.splitlines())
        assert registry.get(run_id).status in ("starting", "running")  # the row is there, not yet final
        # Space returns: the supervisor (still waiting) records the disk failure, not "process disappeared".
        (mnt / "filler").unlink()
        deadline = time.time() + 60
        while time.time() < deadline and not registry.get(run_id).finished:
            time.sleep(0.5)
        run = registry.get(run_id)
        assert (run.status, run.error_kind) == ("failed", "disk"), run.error
        assert run.error.startswith("Disk full: no space left ") and " free)" in run.error
        assert str(home / "runs" / run_id) in run.error
        shown = studio("runs", "show", run_id)
        assert shown.returncode == 0 and shown.stderr == "" and "error    [disk] Disk full: " in shown.stdout
    finally:
        (mnt / "filler").unlink(missing_ok=True)
        for run in Registry(mnt / "ws").list() if (mnt / "ws" / "registry.db").exists() else []:
            if run.status in ACTIVE_STATES:
                abort_run(run.id, mnt / "ws", grace_s=2)
        subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


def test_runs_tab_works_read_only_and_ui_errors_are_one_disk_line(tmp_path, monkeypatch):
    import gradio as gr

    from studio.live import one_line
    from studio.tabs import runs as runs_tab

    run = _registry_with_run(tmp_path, status="failed")
    _full_sqlite(monkeypatch)
    with gr.Blocks() as demo:
        runs_tab.build(str(tmp_path), demo)
    fns = {f.api_name: f.fn for f in demo.fns.values() if f.api_name}
    rows, *_ = fns["runs_refresh"]("all", None)
    assert list(rows.iloc[:, 0]) == [run.id]  # the table as shown (a DataFrame with the language's headers)
    badge, *_ = fns["run_details"](run.id)
    assert "failed" in badge and run.id in badge
    # What the UI's guard shows for a write that hits the full disk: one line, class disk, path, free space.
    exc = OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "runs" / "r1" / "job.yaml"))
    line = one_line(exc)
    assert line.startswith(f"[disk] Disk full: no space left writing {tmp_path / 'runs' / 'r1' / 'job.yaml'} (")
    assert "\n" not in line


def test_export_and_other_one_line_commands_say_disk(tmp_path, capsys):
    """``studio export``/``data shard``/… fail through ``one_line_errors``: a full disk is one ``[disk]`` line."""
    import argparse

    from safetensors import SafetensorError

    from cli.errors import one_line_errors

    @one_line_errors
    def export(args):
        raise SafetensorError(SAFETENSORS_ENOSPC)

    assert export(argparse.Namespace(out=str(tmp_path / "exported"), home=None)) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert (
        err.startswith(f"error: [disk] Disk full: no space left under {tmp_path / 'exported'} (")
        and " free): SafetensorError: Error while serializing: IoError(Os { code: 28, kind: StorageFull" in err
    )
