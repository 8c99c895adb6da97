"""Tests of the studio web UI: the form <-> JobSpec mapping, the live view, the server, and (slow) a
real tiny LoRA run started and followed through the UI's API with gradio_client."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from backend import jobs
from backend.events import EVENTS_FILE, EventWriter
from backend.launch import Hardware
from backend.spec import SpecError, load_spec
from backend.workspace import PROJECT_ROOT
from studio import i18n
from studio.tabs import train
from studio.tabs.train import FIELDS, form_to_spec, spec_to_form

PY = sys.executable
CPU2 = Hardware(gpu_count=0, bf16_supported=False, cpu_count=2)


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("STUDIO_HOME", str(tmp_path / "ws"))
    return tmp_path / "ws"


# ------------------------------------------------------------------------------------ form <-> spec


@pytest.mark.parametrize("preset", train.list_presets())
def test_form_round_trip(preset):
    spec = load_spec(PROJECT_ROOT / preset)
    values = spec_to_form(spec)
    assert len(values) == len(FIELDS)
    assert form_to_spec(spec, *values) == spec
    assert form_to_spec(spec.to_dict(), *values) == spec  # the gr.State holds the plain dict


def test_presets_listed_without_accelerate_configs():
    presets = train.list_presets()
    assert "presets/sft/tiny-lora.yaml" in presets
    assert not any(p.startswith("presets/accelerate/") for p in presets)


def test_form_overlays_the_preset():
    spec = load_spec(PROJECT_ROOT / "presets/sft/tiny-lora.yaml")
    values = spec_to_form(spec)
    values[FIELDS.index("train.max_steps")] = 6.0  # gr.Number may hand over a float
    values[FIELDS.index("output.run_name")] = "  "
    out = form_to_spec(spec, *values)
    assert out.train.max_steps == 6 and isinstance(out.train.max_steps, int)
    assert out.output.run_name is None
    assert out.method.lora.rank == spec.method.lora.rank == 16  # not on the form: kept from the preset


def test_bad_value_names_the_field():
    spec = load_spec(PROJECT_ROOT / "presets/sft/tiny-lora.yaml")
    values = spec_to_form(spec)
    values[FIELDS.index("train.learning_rate")] = -1
    values[FIELDS.index("data.sources[0].path")] = ""
    with pytest.raises(SpecError) as err:
        form_to_spec(spec, *values)
    fields = [f for f, _ in err.value.errors]
    assert "train.learning_rate" in fields and "data.sources[0].path" in fields
    html = train.errors_html(err.value)
    assert "train.learning_rate" in html and "Traceback" not in html


def test_commands_show_overrides_and_launch():
    spec = load_spec(PROJECT_ROOT / "presets/sft/tiny-lora.yaml")
    values = spec_to_form(spec)
    values[FIELDS.index("train.max_steps")] = 6
    text = train.commands("presets/sft/tiny-lora.yaml", form_to_spec(spec, *values), CPU2)
    assert "studio train presets/sft/tiny-lora.yaml --set train.max_steps=6\n" in text
    assert "accelerate.commands.launch" in text and "-m backend.train '<run_dir>'" in text
    values[FIELDS.index("data.sources[0].path")] = "/data/my sft.jsonl"  # no --set form for list items
    text = train.commands("presets/sft/tiny-lora.yaml", form_to_spec(spec, *values), CPU2)
    assert "studio train job.yaml" in text and "--set" not in text


def test_every_label_has_both_languages():
    keys = set(FIELDS) | {"preset", "start", "abort", "preview", "progress", "status", "log", "raw_log", "loss"}
    for key in keys:
        assert key in i18n.LABELS["en"] and key in i18n.LABELS["zh"], key
    assert i18n.t("train.learning_rate", "中文") == "学习率"


# --------------------------------------------------------------------------------------- live view


def _is_skip(value) -> bool:
    return isinstance(value, dict) and value.get("__type__") == "update" and len(value) == 1


def test_tick_reads_only_new_events(home):
    spec = load_spec(PROJECT_ROOT / "presets/sft/tiny-lora.yaml")
    run = jobs.create_run(spec, home)
    watch = train.new_watch(run)
    writer = EventWriter(run.path / EVENTS_FILE)
    writer.emit("status", state="running", message="stage sft")
    writer.emit("progress", step=3, total_steps=6, elapsed=12.0, eta=25.0)
    writer.emit("metric", step=3, total_steps=6, loss=2.5, elapsed=12.0, eta=25.0)
    progress, status, log, frame, watch = train.tick(watch, str(home))
    assert "step 3/6 · 50% · elapsed 0:12 · ETA 0:25" in progress
    assert ">running<" in status and "stage sft" in log
    assert frame.to_dict("records") == [{"step": 3, "series": "loss", "value": 2.5}]
    assert all(_is_skip(v) for v in train.tick(watch, str(home)))  # nothing new: nothing re-renders
    writer.emit("metric", step=6, total_steps=6, eval_loss=2.0)  # no timing: keeps the last known ETA
    writer.emit("error", kind="data", message="ValueError: bad record 7")
    writer.emit("status", state="failed", message="data error")
    progress, status, log, frame, watch = train.tick(watch, str(home))
    assert "step 6/6" in progress and "elapsed 0:12" in progress
    assert ">failed<" in status and "bad record 7" in status
    assert list(frame["series"]) == ["loss", "eval_loss"]
    # A reload replays the same file from byte 0 and ends in the same place.
    replay = train.tick(train.new_watch(run), str(home))
    assert replay[:3] == (progress, status, log)


# ------------------------------------------------------------------------------------------ server


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env(home: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "STUDIO_AUTH"}
    return env | {"STUDIO_HOME": str(home), "GRADIO_ANALYTICS_ENABLED": "False"}


def test_ui_never_imports_torch(home):
    code = "import studio.app as a; a.build_app(None); import sys; print('torch' in sys.modules)"
    out = subprocess.run(
        [PY, "-c", code], cwd=PROJECT_ROOT, env=_env(home), capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "False"


def test_network_host_without_credentials_is_refused(home):
    cmd = [PY, "webui.py", "--host", "0.0.0.0", "--port", str(_free_port())]
    out = subprocess.run(cmd, cwd=PROJECT_ROOT, env=_env(home), capture_output=True, text=True, timeout=60)
    assert out.returncode == 2
    assert "credentials" in out.stderr


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """webui.py on a free port with its own workspace; yields (url, home, process, cold-start seconds)."""
    home = tmp_path_factory.mktemp("webui") / "ws"
    port = _free_port()
    url = f"http://127.0.0.1:{port}/"
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [PY, "webui.py", "--port", str(port), "--home", str(home)],
        cwd=PROJECT_ROOT,
        env=_env(home),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    status, seconds = None, None
    while time.perf_counter() - t0 < 90 and proc.poll() is None:
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                status, seconds = resp.status, time.perf_counter() - t0
                break
        except OSError:
            time.sleep(0.05)
    try:
        yield url, home, proc, status, seconds
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


def test_server_cold_start(server):
    url, _, proc, status, seconds = server
    assert status == 200, proc.stdout.read() if proc.poll() is not None else "no answer"
    print(f"\nwebui cold start: {seconds:.2f} s (process start to HTTP 200)")


def test_start_with_bad_value_launches_nothing(server):
    from gradio_client import Client

    url, home, _, _, _ = server
    client = Client(url, verbose=False)
    values = list(client.predict("presets/sft/tiny-lora.yaml", api_name="/load_preset"))[: len(FIELDS)]
    values[FIELDS.index("train.learning_rate")] = -1
    errors, status = client.predict(*values, api_name="/start")
    assert "train.learning_rate" in errors
    assert [r for r in jobs.Registry(home).list()] == []


# ------------------------------------------------------------------------------------------ e2e


def _build_tiny_model(home: Path) -> Path:
    """A very small tokenizer + Llama under <home>/models (as backend.builtin publishes them), and a corpus."""
    from backend.builtin import build_tiny_model, train_tokenizer

    rows = [
        {
            "messages": [
                {"role": "user", "content": f"What is {i} plus {i}? 请计算 {i} 加 {i}。"},
                {"role": "assistant", "content": f"{i} plus {i} is {2 * i}. 答案是 {2 * i}。"},
            ]
        }
        for i in range(64)
    ]
    data = home / "datasets" / "sft.jsonl"
    data.parent.mkdir(parents=True, exist_ok=True)
    data.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    tokenizer = train_tokenizer([m["content"] for r in rows for m in r["messages"]] * 4, vocab_size=512)
    arch = dict(hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=2)
    arch |= dict(num_key_value_heads=2, max_position_embeddings=512, tie_word_embeddings=True, rope_theta=1e4)
    for name in ("tiny-tokenizer", "tiny-llama"):
        target = home / "models" / name
        tokenizer.save_pretrained(target)
        if name == "tiny-llama":
            build_tiny_model(tokenizer, arch=arch).save_pretrained(target)
        (target / ".complete").write_text("ok\n")
    return data


def _poll_until(client, done, timeout: float = 300.0):
    """Call /poll until done(progress, status) is true; returns every (progress, status) seen and the last log."""
    seen, log, t0 = [], "", time.time()
    while time.time() - t0 < timeout:
        progress, status, new_log, frame = client.predict(api_name="/poll")
        if isinstance(status, str):  # a skipped tick comes back as a bare update
            seen.append((progress, status))
            log = new_log if isinstance(new_log, str) else log
            if done(progress, status):
                return seen, log, frame
        time.sleep(0.5)
    raise AssertionError(f"timed out; last: {seen[-1:]}\n{log}")


@pytest.mark.slow
def test_e2e_tiny_lora_run_through_the_ui(server):
    from gradio_client import Client
    from gradio_client.exceptions import AppError

    url, home, proc, status, _ = server
    assert status == 200
    data = _build_tiny_model(home)
    client = Client(url, verbose=False)
    values = list(client.predict("presets/sft/tiny-lora.yaml", api_name="/load_preset"))[: len(FIELDS)]
    values[FIELDS.index("train.max_steps")] = 6
    values[FIELDS.index("data.sources[0].path")] = str(data)
    errors, status = client.predict(*values, api_name="/start")
    assert errors == "" and ">starting<" in status

    seen, log, frame = _poll_until(client, lambda p, s: any(f">{x}<" in s for x in ("succeeded", "failed", "aborted")))
    assert ">succeeded<" in seen[-1][1], log
    steps = [int(p.split("step ")[1].split("/")[0]) for p, _ in seen if "step " in p]
    assert any(s > 0 for s in steps) and steps[-1] == 6  # (6 tiny steps take ~1 s: few ticks see them)
    assert "step 6/6 · 100%" in seen[-1][0]
    assert any(row[1] == "loss" for row in frame["data"])
    # The trainer's 'succeeded' event comes a moment before the supervisor records the exit.
    deadline = time.time() + 30
    while (run := jobs.Registry(home).list()[0]).status in jobs.ACTIVE_STATES and time.time() < deadline:
        time.sleep(0.2)
    assert run.status == "succeeded" and (run.path / "adapter").exists()

    # Abort: a long run is stopped through the UI, and a second start is refused while it is active.
    values[FIELDS.index("train.max_steps")] = 100000
    client.predict(*values, api_name="/start")
    _poll_until(client, lambda p, s: ">running<" in s, timeout=120)
    with pytest.raises(AppError, match="still active"):
        client.predict(*values, api_name="/start")
    client.predict(api_name="/abort")
    seen, _, _ = _poll_until(client, lambda p, s: ">aborted<" in s or ">failed<" in s, timeout=60)
    assert ">aborted<" in seen[-1][1]

    # The UI process handled all of it without loading torch.
    maps = Path(f"/proc/{proc.pid}/maps")
    if maps.exists():
        assert "libtorch" not in maps.read_text()
