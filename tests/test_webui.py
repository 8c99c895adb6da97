"""Tests of the studio web UI: the form <-> JobSpec mapping, the live view, the server, and (slow) a
real tiny LoRA run started and followed through the UI's API with gradio_client."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from ui_helpers import build_tiny_model, env_for, free_port, start_server, stop_server

from backend.events import EVENTS_FILE, EventWriter
from backend.launch import Hardware
from backend.run.queue import abort_run
from backend.run.registry import ACTIVE_STATES, Registry, create_run, latest_checkpoint
from backend.spec import SpecError, apply_overrides, load_spec
from backend.workspace import PROJECT_ROOT
from studio import field_labels, i18n, live, presets
from studio.form import FIELDS, form_to_spec, spec_to_form
from studio.tabs import runs as runs_tab
from studio.tabs import train

PY = sys.executable
CPU2 = Hardware(gpu_count=0, bf16_supported=False, cpu_count=2)


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("STUDIO_HOME", str(tmp_path / "ws"))
    return tmp_path / "ws"


# ------------------------------------------------------------------------------------ form <-> spec


@pytest.mark.parametrize("preset", presets.list_presets())
def test_form_round_trip(preset):
    spec = load_spec(PROJECT_ROOT / preset)
    values = spec_to_form(spec)
    assert len(values) == len(FIELDS)
    assert form_to_spec(spec, *values) == spec
    assert form_to_spec(spec.to_dict(), *values) == spec  # the gr.State holds the plain dict


def test_presets_listed_without_accelerate_configs():
    names = presets.list_presets()
    assert "presets/sft/tiny-lora.yaml" in names
    assert not any(p.startswith(("presets/accelerate/", "presets/user/")) for p in names[:-1] if "user" not in p)


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
    values[FIELDS.index("data.sources")] = [["", "auto", 1.0, None]]
    values[FIELDS.index("method.lora.target_modules")] = "[q_proj"  # unparseable: named, the rest still checked
    with pytest.raises(SpecError) as err:
        form_to_spec(spec, *values)
    fields = [f for f, _ in err.value.errors]
    assert "train.learning_rate" in fields and "data.sources[0].path" in fields
    assert "method.lora.target_modules" in fields
    html = live.errors_html(err.value)
    assert "train.learning_rate" in html and "Traceback" not in html


def test_commands_show_overrides_and_launch():
    spec = load_spec(PROJECT_ROOT / "presets/sft/tiny-lora.yaml")
    values = spec_to_form(spec)
    values[FIELDS.index("train.max_steps")] = 6
    text = presets.commands("presets/sft/tiny-lora.yaml", form_to_spec(spec, *values), CPU2)
    assert "studio train presets/sft/tiny-lora.yaml --set train.max_steps=6\n" in text
    assert "accelerate.commands.launch" in text and "-m backend.train '<run_dir>'" in text
    values[FIELDS.index("data.sources")] = [["/data/my sft.jsonl", "auto", 1, None]]  # no --set for list items
    text = presets.commands("presets/sft/tiny-lora.yaml", form_to_spec(spec, *values), CPU2)
    assert "studio train job.yaml" in text and "--set" not in text


def test_start_runs_the_preflight_and_refuses_bad_data(server, tmp_path):
    from gradio_client import Client

    url, home, _, status, _ = server
    client = Client(url, verbose=False)
    values = list(client.predict("presets/sft/tiny-lora.yaml", api_name="/load_preset"))[: len(FIELDS)]
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"messages": [{"role": "user", "content": "hi"}]}\n')
    values[FIELDS.index("data.sources")] = {"headers": ["path"], "data": [[str(broken), "auto", 1, None]]}
    values[FIELDS.index("train.per_device_batch_size")] = 100000  # far beyond this machine's memory
    before = len(Registry(home).list())
    errors, _ = client.predict(False, *values, api_name="/start")
    # The failed checks are in the "Nothing was started" box, one `check: message` line each.
    box = errors.split("</div>")[0]
    assert "Nothing was started" in box and "<code>data.sources[0].path</code>: " in box and f"{broken}:1" in box
    assert "<code>memory</code>: " in box and "data.val_size" not in errors  # no split rule for 0 usable records
    # The override box turns only the memory check into a warning; the bad data still stops the start.
    errors, _ = client.predict(True, *values, api_name="/start")
    box = errors.split("</div>")[0]
    assert (
        "warn: memory" in errors
        and "overridden" in errors
        and "<code>data.sources[0].path</code>: " in box
        and "<code>memory</code>" not in box
    )
    assert len(Registry(home).list()) == before  # nothing was started


def test_multi_node_commands_are_shown_for_every_machine():
    spec = apply_overrides(
        load_spec(PROJECT_ROOT / "presets/sft/tiny-lora.yaml"),
        ["distributed.num_machines=2", "distributed.main_process_ip=10.0.0.1", "distributed.machine_rank=0"],
    )
    text = presets.commands("presets/sft/tiny-lora.yaml", spec, CPU2)
    assert "# on machine rank 0 (this machine):" in text and "# on machine rank 1:" in text
    rank1 = text.split("# on machine rank 1:\n")[1].splitlines()[0]
    assert "--machine_rank 1" in rank1 and "10.0.0.1" in rank1


def test_every_field_is_on_the_form_with_both_languages():
    from backend.spec import field_docs

    assert set(FIELDS) == set(field_docs()) - {"version"}  # a new JobSpec field appears with no UI change
    assert field_labels.field_label("train.learning_rate", "中文") == "学习率"
    for field in FIELDS:  # a field without a written label still gets a readable one from its name
        assert field_labels.field_label(field, "English") and field_labels.field_label(field, "中文"), field
    assert field_labels.field_label("data.brand_new_option", "中文") == "Brand new option"
    for table in (train.LABELS, runs_tab.LABELS, i18n.LABELS):
        assert set(table["en"]) == set(table["zh"])


def test_lists_and_sources_are_parsed_safely():
    spec = load_spec(PROJECT_ROOT / "presets/sft/tiny-lora.yaml")
    values = spec_to_form(spec)
    assert values[FIELDS.index("method.lora.target_modules")] == "all-linear"
    values[FIELDS.index("method.lora.target_modules")] = "q_proj, v_proj"
    values[FIELDS.index("method.lora.modules_to_save")] = "[embed_tokens, lm_head]"
    values[FIELDS.index("distributed.gpu_ids")] = ""
    values[FIELDS.index("data.sources")] = [["a.jsonl", "auto", 1.0, float("nan")], ["b.jsonl", "alpaca", 2, 100.0]]
    values[FIELDS.index("method.quant.bits")] = "8"
    out = form_to_spec(spec, *values)
    assert out.method.lora.target_modules == ["q_proj", "v_proj"]
    assert out.method.lora.modules_to_save == ["embed_tokens", "lm_head"]
    assert out.distributed.gpu_ids is None and out.method.quant.bits == 8
    assert [(s.path, s.format, s.weight, s.max_samples) for s in out.data.sources] == [
        ("a.jsonl", "auto", 1.0, None),
        ("b.jsonl", "alpaca", 2.0, 100),
    ]
    values[FIELDS.index("method.lora.modules_to_save")] = "[!!python/object/apply:os.system [echo]]"
    with pytest.raises(SpecError):  # safe_load never runs code; the value is just a bad list
        form_to_spec(spec, *values)


def test_save_preset(tmp_path, monkeypatch):
    monkeypatch.setenv("STUDIO_USER_PRESETS", str(tmp_path / "user"))
    spec = load_spec(PROJECT_ROOT / "presets/sft/tiny-lora.yaml")
    spec.train.learning_rate = 1e-3
    shown = presets.save_preset("my-lora_1", spec)
    assert shown in presets.list_presets() and shown.endswith("my-lora_1.yaml")
    text = (tmp_path / "user" / "my-lora_1.yaml").read_text()
    assert text.startswith("# Saved from") and f"studio train {shown}" in text
    assert load_spec(tmp_path / "user" / "my-lora_1.yaml").train.learning_rate == 1e-3
    for bad in ("tiny-lora", "../evil", "a b", ""):
        with pytest.raises(ValueError, match="preset name"):
            presets.save_preset(bad, spec)


# --------------------------------------------------------------------------------------- live view


def _is_skip(value) -> bool:
    return isinstance(value, dict) and value.get("__type__") == "update" and len(value) == 1


def test_tick_reads_only_new_events(home):
    spec = load_spec(PROJECT_ROOT / "presets/sft/tiny-lora.yaml")
    run = create_run(spec, home)
    watch = live.new_watch(run)
    writer = EventWriter(run.path / EVENTS_FILE)
    writer.emit("status", state="running", message="stage sft")
    writer.emit("progress", step=3, total_steps=6, elapsed=12.0, eta=25.0)
    writer.emit("metric", step=3, total_steps=6, loss=2.5, elapsed=12.0, eta=25.0)
    writer.emit("metric", step=4, total_steps=6, loss=1.5, learning_rate=1e-3, grad_norm=0.5)
    progress, status, log, frame, lr, grad, tps, watch = live.tick(watch, str(home))
    assert "step 4/6 · 67% · elapsed 0:12 · ETA 0:25" in progress
    assert ">running<" in status and "stage sft" in log
    assert [p for p in watch["points"] if p[1] in live.PLOTS["loss"]] == [
        [3, "loss", 2.5],
        [3, "loss (EMA)", 2.5],
        [4, "loss", 1.5],
        [4, "loss (EMA)", 2.3],  # 0.8 * 2.5 + 0.2 * 1.5
    ]
    # The plots are SVG charts (studio.svgplot): one polyline per series with its number of points.
    assert 'data-series="loss" data-n="2"' in frame and 'data-series="loss (EMA)" data-n="2"' in frame
    assert 'data-series="learning_rate" data-n="1"' in lr and 'data-series="grad_norm" data-n="1"' in grad
    assert "studio-chart-empty" in tps and "0.000000" not in tps  # no point yet: an empty-state text
    assert all(_is_skip(v) for v in live.tick(watch, str(home)))  # nothing new: nothing re-renders
    writer.emit("metric", step=6, total_steps=6, eval_loss=2.0)  # no timing: keeps the last known ETA
    writer.emit("error", kind="data", message="ValueError: bad record 7")
    writer.emit("status", state="failed", message="data error")
    progress, status, log, frame, lr, grad, tps, watch = live.tick(watch, str(home))
    assert "step 6/6" in progress and "elapsed 0:12" in progress
    assert ">failed<" in status and "bad record 7" in status
    assert 'data-series="eval_loss" data-n="1"' in frame and frame.index('"loss"') < frame.index('"eval_loss"')
    assert _is_skip(lr) and _is_skip(grad) and _is_skip(tps)  # no new point: those plots do not re-render
    # A reload replays the same file from byte 0 and ends in the same place.
    replay = live.tick(live.new_watch(run), str(home))
    assert replay[:3] == (progress, status, log)


# ------------------------------------------------------------------------------------------ server


def test_ui_never_imports_torch(home):
    code = "import studio.app as a; a.build_app(None); import sys; print('torch' in sys.modules)"
    out = subprocess.run(
        [PY, "-c", code], cwd=PROJECT_ROOT, env=env_for(home), capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "False"


def test_network_host_without_credentials_is_refused(home):
    cmd = [PY, "webui.py", "--host", "0.0.0.0", "--port", str(free_port())]
    out = subprocess.run(cmd, cwd=PROJECT_ROOT, env=env_for(home), capture_output=True, text=True, timeout=60)
    assert out.returncode == 2
    assert "credentials" in out.stderr


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """webui.py on a free port with its own workspace; yields (url, home, process, status, cold-start seconds)."""
    srv = start_server(tmp_path_factory.mktemp("webui") / "ws")
    try:
        yield srv.url, srv.home, srv.proc, srv.status, srv.seconds
    finally:
        stop_server(srv)


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
    errors, status = client.predict(False, *values, api_name="/start")
    assert "train.learning_rate" in errors
    assert [r for r in Registry(home).list()] == []


def test_only_this_machine_and_its_own_pages_are_served(server):
    """DNS rebinding and CORS (issue 15.5): a foreign Host is refused before Gradio runs anything, this
    machine's names work, and another origin (another port of localhost too) gets no credentialed CORS."""
    import httpx

    url, home, _, _, _ = server
    port = url.rstrip("/").rsplit(":", 1)[1]
    data = home / "hosts.jsonl"
    data.write_text('{"text": "hello"}\n', encoding="utf-8")
    call = f"{url}gradio_api/call/data_inspect"
    body = {"data": [str(data), "auto", "auto", "", "English"]}
    for host in ("evil.example", f"evil.example:{port}", f"127.0.0.1.evil.example:{port}"):
        resp = httpx.post(call, json=body, headers={"Host": host}, timeout=30)
        assert resp.status_code == 400 and "event_id" not in resp.text
        assert resp.text == f"Host {host!r} is not allowed: open the studio at http://127.0.0.1 or http://localhost"
    for host in (f"127.0.0.1:{port}", f"localhost:{port}"):
        resp = httpx.post(call, json=body, headers={"Host": host}, timeout=30)
        assert resp.status_code == 200, resp.text
        result = httpx.get(f"{call}/{resp.json()['event_id']}", headers={"Host": host}, timeout=60).text
        assert "event: complete" in result and "data-records" in result
    for origin in ("http://localhost:9999", "http://evil.example", f"https://127.0.0.1:{port}"):
        got = [
            httpx.get(f"{url}gradio_api/info", headers={"Origin": origin}, timeout=30),
            httpx.options(call, headers={"Origin": origin, "Access-Control-Request-Method": "POST"}, timeout=30),
        ]
        for resp in got:
            assert "access-control-allow-credentials" not in resp.headers, (origin, resp.headers)
            assert "access-control-allow-origin" not in resp.headers, (origin, resp.headers)
        refused = httpx.post(call, json=body, headers={"Origin": origin}, timeout=30)
        assert refused.status_code == 403 and "event_id" not in refused.text
    own = httpx.post(call, json=body, headers={"Origin": f"http://127.0.0.1:{port}"}, timeout=30)
    assert own.status_code == 200 and own.headers["access-control-allow-origin"] == f"http://127.0.0.1:{port}"


# ------------------------------------------------------------------------------------------ e2e


def _poll_until(client, done, timeout: float = 300.0):
    """Call /poll until done(progress, status) is true; returns every (progress, status) seen and the last log."""
    seen, log, frame, t0 = [], "", None, time.time()
    while time.time() - t0 < timeout:
        progress, status, new_log, new_frame, *_ = client.predict(api_name="/poll")
        # A plot with no new point is skipped (a bare update): keep the last one drawn.
        frame = new_frame if isinstance(new_frame, str) else frame
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
    data = build_tiny_model(home)
    client = Client(url, verbose=False)
    values = list(client.predict("presets/sft/tiny-lora.yaml", api_name="/load_preset"))[: len(FIELDS)]
    values[FIELDS.index("train.max_steps")] = 6
    values[FIELDS.index("data.sources")] = {"headers": ["path"], "data": [[str(data), "auto", 1, None]]}
    errors, status = client.predict(False, *values, api_name="/start")
    assert "fail:" not in errors and ">starting<" in status  # pre-flight warnings, if any, are shown

    seen, log, frame = _poll_until(client, lambda p, s: any(f">{x}<" in s for x in ("succeeded", "failed", "aborted")))
    assert ">succeeded<" in seen[-1][1], log
    steps = [int(p.split("step ")[1].split("/")[0]) for p, _ in seen if "step " in p]
    assert any(s > 0 for s in steps) and steps[-1] == 6  # (6 tiny steps take ~1 s: few ticks see them)
    assert "step 6/6 · 100%" in seen[-1][0]
    assert 'data-series="loss"' in frame
    # The trainer's 'succeeded' event comes a moment before the supervisor records the exit.
    deadline = time.time() + 30
    while (run := Registry(home).list()[0]).status in ACTIVE_STATES and time.time() < deadline:
        time.sleep(0.2)
    assert run.status == "succeeded" and (run.path / "adapter").exists()

    # A second Start while a run is active is accepted (two CPU runs share the machine; runs on the same
    # GPUs would queue) and the view follows the new run. Stop & save ends it with a checkpoint; Abort
    # without one.
    values[FIELDS.index("train.max_steps")] = 100000
    values[FIELDS.index("train.logging_steps")] = 1
    client.predict(False, *values, api_name="/start")
    _poll_until(client, lambda p, s: ">running<" in s, timeout=120)
    first = next(r for r in Registry(home).list() if r.status in ACTIVE_STATES)
    try:
        errors, status = client.predict(False, *values, api_name="/start")
        assert "fail:" not in errors and (">starting<" in status or ">queued<" in status)
        second = next(r for r in Registry(home).list() if r.status in ACTIVE_STATES and r.id != first.id)
        _poll_until(client, lambda p, s: ">running<" in s and "step " in p, timeout=120)
        client.predict(api_name="/stop_save")
        seen, _, _ = _poll_until(client, lambda p, s: ">aborted<" in s or ">failed<" in s, timeout=120)
        assert ">aborted<" in seen[-1][1]
        deadline = time.time() + 30  # the trainer's last event comes a moment before the supervisor's record
        while (second := Registry(home).get(second.id)).status in ACTIVE_STATES and time.time() < deadline:
            time.sleep(0.2)
        assert "checkpoint saved" in (second.error or ""), second and latest_checkpoint(second) is not None
        assert Registry(home).get(first.id).status == "running"  # untouched by the other run's stop
        with pytest.raises(AppError, match="only a starting or running run"):
            client.predict(api_name="/stop_save")
    finally:
        abort_run(first.id, home)

    # The UI process handled all of it without loading torch.
    maps = Path(f"/proc/{proc.pid}/maps")
    if maps.exists():
        assert "libtorch" not in maps.read_text()


@pytest.mark.slow
def test_killing_the_ui_leaves_the_run_going_and_a_new_ui_shows_it(tmp_path):
    """kill -9 of the studio process mid-run: the run finishes; a restarted studio shows it with its plot."""
    import signal

    from gradio_client import Client

    home = tmp_path / "ws"
    data = build_tiny_model(home)
    first = start_server(home)
    try:
        client = Client(first.url, verbose=False)
        values = list(client.predict("presets/sft/tiny-lora.yaml", api_name="/load_preset"))[: len(FIELDS)]
        values[FIELDS.index("train.max_steps")] = 16
        values[FIELDS.index("train.logging_steps")] = 1
        values[FIELDS.index("data.sources")] = {"headers": ["path"], "data": [[str(data), "auto", 1, None]]}
        client.predict(False, *values, api_name="/start")
        registry = Registry(home)
        deadline = time.time() + 120
        while registry.list()[0].status != "running" and time.time() < deadline:
            time.sleep(0.2)
        run = registry.list()[0]
        assert run.status == "running"
    finally:
        first.proc.send_signal(signal.SIGKILL)  # no shutdown code runs: the UI just vanishes
        first.proc.wait(timeout=10)
    deadline = time.time() + 300
    while not registry.get(run.id).finished and time.time() < deadline:
        time.sleep(0.5)
    assert registry.get(run.id).status == "succeeded"
    second = start_server(home)
    try:
        details = Client(second.url, verbose=False).predict(run.id, api_name="/run_details")
        assert ">succeeded<" in details[0]
        assert 'data-series="loss" data-n="16"' in details[1]  # every logged step, from the run's own files
    finally:
        stop_server(second)
