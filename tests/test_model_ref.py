"""The one model resolver (issue 21's ``ModelRef``): every kind of reference, resolved by the same rules for chat,
eval, export and ``rl.reward_model``; run references pinned to folders at run creation; the folder poller that
gives any download client (ModelScope's) progress events. Fast: no training, no model loading, no network."""

from __future__ import annotations

import json
import os
import threading

import pytest
import yaml

from backend.models.poller import FolderPoller, folder_bytes
from backend.models.ref import MARKER, RefError
from backend.models.resolve import (
    RunNotFound,
    RunPartMissing,
    pin_job_refs,
    resolve_ref,
    reward_model_problem,
    weights_dir,
)
from backend.run.registry import Registry, create_run
from backend.run.submit import prepare
from backend.spec import SpecError, load_spec, spec_from_dict


def _run(home, name, status="succeeded", out="adapter", ckpts=(), best=None):
    """A registered run named ``name`` with fake weights: its final ``out`` folder and checkpoints."""
    spec = load_spec("presets/sft/tiny-lora.yaml")
    spec.output.run_name = name
    run = create_run(spec, home)
    Registry(home).update(run.id, status=status)
    if out:
        (run.path / out).mkdir()
        (run.path / out / ("adapter_config.json" if out == "adapter" else "config.json")).write_text("{}")
    for step in ckpts:
        folder = run.path / "checkpoints" / f"checkpoint-{step}"
        folder.mkdir(parents=True)
        state = {"best_model_checkpoint": str(run.path / "checkpoints" / f"checkpoint-{best}")} if best else {}
        (folder / "trainer_state.json").write_text(json.dumps(state))
    return run


@pytest.fixture
def home(tmp_path):
    return tmp_path / "ws"


def test_every_kind_of_reference(home, tmp_path):
    a = _run(home, "sft-a", ckpts=(2, 4), best=2)
    full = _run(home, "full", out="model")
    # builtin and hub ids: parsed, never looked up
    r = resolve_ref("builtin:tiny-llama", home)
    assert r.kind == "builtin" and weights_dir(r, home) == home / "models" / "tiny-llama"
    r = resolve_ref("hf:org/m@v1", home)
    assert (r.kind, r.id) == ("hub", "hf:org/m@v1") and weights_dir(r, home) == home / "models/hub/hf/org--m@v1"
    assert resolve_ref("org/m", home).id == "hf:org/m" and resolve_ref("ms:org/m", home).hub == "ms"
    # a run by id, unique id prefix, name, its own folder: its final output
    for text in (a.id, a.id[:-2], "sft-a", str(a.path)):
        r = resolve_ref(text, home)
        assert (r.kind, r.run_dir, r.part) == ("run", a.path, None), text
        assert weights_dir(r, home) == a.path / "adapter"
    assert weights_dir(resolve_ref("full", home), home) == full.path / "model"
    # parts of a run: RUN@best, RUN@latest, RUN@N / RUN@checkpoint-N, or the checkpoint argument
    ckpt = a.path / "checkpoints"
    assert weights_dir(resolve_ref("sft-a@best", home), home) == ckpt / "checkpoint-2"
    assert weights_dir(resolve_ref("sft-a@latest", home), home) == ckpt / "checkpoint-4"
    assert weights_dir(resolve_ref(f"{a.id}@4", home), home) == ckpt / "checkpoint-4"
    assert weights_dir(resolve_ref("sft-a@checkpoint-2", home), home) == ckpt / "checkpoint-2"
    assert weights_dir(resolve_ref("sft-a", home, checkpoint="latest"), home) == ckpt / "checkpoint-4"
    # a folder inside a run (adapter, checkpoint) is a folder, and knows its run; any other folder too
    r = resolve_ref(str(ckpt / "checkpoint-2"), home)
    assert (r.kind, r.run_dir, weights_dir(r, home)) == ("local", a.path, ckpt / "checkpoint-2")
    r = resolve_ref(str(a.path / "adapter"), home)
    assert (r.kind, r.run_dir) == ("local", a.path)
    other = tmp_path / "plain"
    other.mkdir()
    r = resolve_ref(str(other), home)
    assert (r.kind, r.run_dir, weights_dir(r, home)) == ("local", None, other)


def test_several_runs_of_a_name_take_the_newest_that_succeeded(home):
    ok = _run(home, "same")
    _run(home, "same", status="failed")  # newer, but failed
    assert resolve_ref("same", home).run_dir == ok.path
    Registry(home).update(ok.id, status="failed")
    newest = Registry(home).list()[0]  # none succeeded: the newest
    assert resolve_ref("same", home).run_dir == newest.path


def test_what_cannot_be_resolved_says_so_in_one_line(home):
    a = _run(home, "sft-b", out=None, ckpts=(3,))
    with pytest.raises(RunNotFound, match=r"^'nope' is neither a folder nor a run id or name of "):
        resolve_ref("nope", home)
    with pytest.raises(RunNotFound):
        resolve_ref("./missing/folder", home)
    with pytest.raises(RefError, match=r"'hf:nope' is not a hub id"):
        resolve_ref("hf:nope", home)
    no_final = rf"^run {a.id} has no final adapter/ or model/ \(did it finish\?\); take a checkpoint: {a.id}@latest"
    with pytest.raises(RunPartMissing, match=no_final):
        weights_dir(resolve_ref("sft-b", home), home)
    with pytest.raises(RunPartMissing, match=rf"^run {a.id} has no checkpoint '9' \(checkpoints: checkpoint-3\)$"):
        weights_dir(resolve_ref("sft-b@9", home), home)
    with pytest.raises(RunPartMissing, match=rf"^run {a.id} kept no best checkpoint \(train it with train.keep_best"):
        weights_dir(resolve_ref("sft-b@best", home), home)
    with pytest.raises(RunPartMissing, match=rf"^run {a.id} has no checkpoint 'x1' \(checkpoints: checkpoint-3\)$"):
        weights_dir(resolve_ref("sft-b", home, checkpoint="x1"), home)  # as `--checkpoint x1` asks
    # an '@' that names no part is part of the name
    with pytest.raises(RunNotFound, match="'sft-b@nightly'"):
        resolve_ref("sft-b@nightly", home)


def _ppo(reward: str, home):
    return spec_from_dict({"stage": "ppo", "data": {"sources": [{"path": "builtin:samples/eval_prompts.jsonl"}]},
                           "rl": {"reward_model": reward}, "output": {"workspace": str(home)}})  # fmt: skip


def test_a_reward_model_run_is_pinned_to_its_folder_when_the_run_is_created(home, monkeypatch):
    rm = _run(home, "my-rm", out="model")
    run = prepare(_ppo("my-rm", home), home).create()  # submit's steps: pinned in step 1, written in step 3
    job = yaml.safe_load((run.path / "job.yaml").read_text())
    assert job["rl"]["reward_model"] == str(rm.path / "model")  # the trainer receives the folder
    # ... and finds it without the registry
    from backend.train import rewards

    def no_registry(*a, **k):
        raise AssertionError("the trainer opened the run registry")

    monkeypatch.setattr("backend.run.registry.Registry", no_registry)
    assert rewards.find_reward_model(job["rl"]["reward_model"], load_spec(run.path / "job.yaml")) == rm.path / "model"
    with pytest.raises(SpecError, match=r"rl.reward_model.*'my-rm' is neither a folder nor a finished run id or name"):
        rewards.find_reward_model("my-rm", _ppo("my-rm", home))  # an unpinned name: refused, not looked up
    monkeypatch.undo()
    # folders, hub ids and references to nothing stay as they were written
    for text in (str(rm.path / "model"), "hf:org/rm", "no-such-run"):
        assert pin_job_refs(_ppo(text, home), home).rl.reward_model == text


def test_reward_model_preflight_lines(home):
    _run(home, "sft-c")  # a LoRA adapter
    _run(home, "empty", out=None)
    assert reward_model_problem("sft-c", home) is None
    assert reward_model_problem("hf:org/rm", home) is None  # downloaded in the run's downloading step
    assert (
        reward_model_problem("nope", home)
        == "rl.reward_model: 'nope' is neither a folder nor a finished run id or name"
    )
    assert reward_model_problem("empty", home).startswith("rl.reward_model: run ")
    assert reward_model_problem("hf:x", home).startswith("rl.reward_model: 'hf:x' is not a hub id")


# ------------------------------------------------------------------------------------ the folder poller


def test_folder_poller_sums_the_target_folder_for_any_client(tmp_path):
    folder = tmp_path / "dl"
    (folder / "._____temp" / "sub").mkdir(parents=True)
    (folder / MARKER).write_text("x" * 50)  # the studio's own marker is not model bytes
    (folder / "config.json").write_bytes(b"c" * 100)
    (folder / "._____temp" / "sub" / "model.safetensors.part").write_bytes(b"w" * 300)  # a client's partial file
    os.symlink(folder / "config.json", folder / "link.json")  # a link is not counted twice
    assert folder_bytes(folder) == 400

    now = [1000.0]
    samples = []
    poller = FolderPoller(folder, total=1400, report=samples.append, every_s=3600, clock=lambda: now[0])
    with poller:
        now[0] += 2.0
        (folder / "model.safetensors").write_bytes(b"w" * 600)
        mid = poller.sample()
        assert (mid["bytes"], mid["total_bytes"], mid["speed"], mid["eta"]) == (1000, 1400, 300.0, 1.3)
        now[0] += 1.0
        (folder / "tokenizer.json").write_bytes(b"t" * 1000)  # past the total: capped
    last = samples[-1]  # the final report on leaving the block
    assert (last["bytes"], last["total_bytes"], last["eta"], last["elapsed"]) == (1400, 1400, 0.0, 3.0)
    assert set(last) == {"bytes", "total_bytes", "speed", "eta", "elapsed", "file"}  # a pull's progress fields

    unknown = FolderPoller(tmp_path / "not-yet", total=None, report=None, clock=lambda: now[0])
    assert unknown.sample() | {"elapsed": 0} == {"bytes": 0, "total_bytes": 0, "speed": 0.0, "eta": None,
                                                  "elapsed": 0, "file": ""}  # fmt: skip


def test_folder_poller_reports_while_the_client_works(tmp_path):
    seen, event = [], threading.Event()

    def report(sample):
        seen.append(sample)
        if sample["bytes"]:
            event.set()

    with FolderPoller(tmp_path, total=10, report=report, every_s=0.05):
        (tmp_path / "a").write_bytes(b"1" * 10)
        assert event.wait(5), seen
    assert seen[-1]["bytes"] == 10


def test_a_modelscope_pull_reports_progress_through_the_poller(tmp_path, monkeypatch):
    """The ModelScope client is not installed here: a stand-in ``modelscope`` module whose snapshot_download
    writes files shows that the pull turns the folder's growth into the same progress samples as an HF pull."""
    import sys
    import types

    from backend.models import hub
    from backend.models.ref import parse_ref

    def snapshot_download(repo, revision=None, local_dir=None, allow_patterns=None):
        from pathlib import Path

        for i in range(3):
            (Path(local_dir) / f"model-{i}.safetensors").write_bytes(b"w" * 1000)
            threading.Event().wait(0.15)
        return local_dir

    monkeypatch.setitem(sys.modules, "modelscope", types.SimpleNamespace(snapshot_download=snapshot_download))
    monkeypatch.setattr(hub, "modelscope_total", lambda ref, patterns: 3000)
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    monkeypatch.delenv("STUDIO_HUB_OFFLINE", raising=False)
    monkeypatch.setattr(hub, "PROGRESS_EVERY_S", 0.05)
    samples = []
    folder = hub.pull(parse_ref("ms:org/m"), tmp_path, report=samples.append)
    assert (folder / MARKER).is_file() and len(samples) >= 3
    assert 0 < samples[1]["bytes"] < 3000 and samples[1]["total_bytes"] == 3000  # a sample mid-download
    assert samples[-1]["bytes"] == samples[-1]["total_bytes"] == 3000
    assert [s["bytes"] for s in samples] == sorted(s["bytes"] for s in samples)
