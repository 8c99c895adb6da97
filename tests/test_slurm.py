"""Runs on a Slurm cluster: the batch script (golden text), the spec's guards, Slurm's states mapped to the
studio's, and, against a real one-node cluster started by the ``slurm_cluster`` fixture (tests/slurm_cluster.py),
a run submitted from the CLI, Abort (scancel), Stop & save then Resume over 2 gloo processes, a job killed
at its time limit, and a studio restart reattaching to a job by its id."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import time
from pathlib import Path

import pytest
from conftest import ROOT, run_cli
from slurm_cluster import missing_binaries, start_cluster

from backend.events import read_events
from backend.failures import TITLES
from backend.run.launchers.local import run_processes
from backend.run.launchers.slurm import SlurmJob, _watcher_alive, outcome, parse_scontrol
from backend.run.launchers.slurm_script import build_sbatch_script
from backend.run.queue import abort_run, reconcile, resume_run, start_run
from backend.run.registry import ACTIVE_STATES, SCHEMA, Registry, Run, create_run, is_local, latest_checkpoint
from backend.spec import SpecError, apply_overrides, load_spec, spec_from_dict

TINY_SFT = ROOT / "presets/sft/tiny-lora.yaml"
TINY_PT = ROOT / "presets/pt/tiny-scratch.yaml"

# ------------------------------------------------------------------------------- pure: script and states

GOLDEN_2x8_ZERO3 = """\
#!/bin/bash
#SBATCH --job-name=llama-70b
#SBATCH --nodes=2
#SBATCH --ntasks-per-node=1
#SBATCH --gpus-per-node=8
#SBATCH --cpus-per-task=64
#SBATCH --mem=900G
#SBATCH --time=2-00:00:00
#SBATCH --partition=gpu
#SBATCH --account=llm
#SBATCH --qos=high
#SBATCH --output=/shared/ws/runs/r1/train.log
#SBATCH --open-mode=append
#SBATCH --chdir=/shared/llm-studio
#SBATCH --requeue
#SBATCH --signal=TERM@300
#SBATCH --constraint=h100
#SBATCH --exclusive

# Written by llm-studio for run r1; the run directory must be shared by every node.
set -eo pipefail
module load cuda/12.4
source /shared/venv/bin/activate
export STUDIO_RUN_ID=r1
export HF_HUB_OFFLINE=1
export HF_DATASETS_OFFLINE=1
export TRANSFORMERS_OFFLINE=1
export TOKENIZERS_PARALLELISM=false
export PYTHONUNBUFFERED=1
export PYTHONPATH=/shared/llm-studio${PYTHONPATH:+:$PYTHONPATH}
MAIN_ADDR=$(scontrol show hostnames "$SLURM_JOB_NODELIST" | head -n 1)
MAIN_PORT=$((29500 + SLURM_JOB_ID % 1000))
export MAIN_ADDR MAIN_PORT
echo "[studio] $(date +%H:%M:%S) slurm job $SLURM_JOB_ID on $SLURM_JOB_NODELIST, main $MAIN_ADDR:$MAIN_PORT"
srun --nodes=2 --ntasks-per-node=1 --kill-on-bad-exit=1 bash -c 'exec /shared/venv/bin/python -m \
accelerate.commands.launch --config_file /shared/ws/runs/r1/accelerate.json --num_processes 16 --num_machines 2 \
--mixed_precision bf16 --dynamo_backend no --use_deepspeed --deepspeed_config_file /shared/ws/runs/r1/deepspeed.json \
--deepspeed_multinode_launcher standard --machine_rank "$SLURM_NODEID" --main_process_ip "$MAIN_ADDR" \
--main_process_port "$MAIN_PORT" -m backend.train /shared/ws/runs/r1'
""".replace("\\\n", "")


def zero3_spec(**slurm):
    return spec_from_dict(
        {
            "model": {"name_or_path": "/shared/models/llama-70b"},
            "data": {"sources": [{"path": "/shared/data/sft.jsonl"}]},
            "train": {"save_on_sigterm": True},
            "distributed": {
                "launcher": "slurm",
                "num_machines": 2,
                "num_processes": 8,
                "zero_stage": 3,
                "slurm": {
                    "partition": "gpu",
                    "account": "llm",
                    "qos": "high",
                    "time": "2-00:00:00",
                    "gpus_per_node": 8,
                    "cpus_per_task": 64,
                    "mem": "900G",
                    "job_name": "llama-70b",
                    "requeue": True,
                    "signal_before_s": 300,
                    "extra_sbatch": ["--constraint=h100", "--exclusive"],
                    "setup": ["module load cuda/12.4", "source /shared/venv/bin/activate"],
                    **slurm,
                },
            },
        }
    )


def test_batch_script_for_2_nodes_x_8_gpus_zero3_is_the_golden_text():
    plan = build_sbatch_script(
        zero3_spec(), "/shared/ws/runs/r1", "r1", python="/shared/venv/bin/python", project_dir="/shared/llm-studio"
    )
    assert plan.script == GOLDEN_2x8_ZERO3
    assert plan.precision == "bf16"
    assert set(plan.files) == {"accelerate.json", "deepspeed.json"}
    assert json.loads(plan.files["deepspeed.json"])["zero_optimization"]["stage"] == 3
    accel = json.loads(plan.files["accelerate.json"])
    assert (accel["num_processes"], accel["num_machines"], accel["distributed_type"]) == (16, 2, "DEEPSPEED")


def test_one_node_cpu_script_has_no_gpu_request_and_one_srun_task():
    spec = spec_from_dict({"data": {"sources": [{"path": "-"}]}, "distributed": {"launcher": "slurm"}})
    script = build_sbatch_script(spec, "/ws/runs/a", "a", python="py", project_dir="/p").script
    assert "--gpus-per-node" not in script and "#SBATCH --no-requeue" in script and "--signal" not in script
    assert script.splitlines()[-1] == (
        "srun --nodes=1 --ntasks-per-node=1 --kill-on-bad-exit=1 bash -c 'exec py -m accelerate.commands.launch "
        "--config_file /ws/runs/a/accelerate.json --num_processes 1 --num_machines 1 --mixed_precision no "
        "--dynamo_backend no --cpu -m backend.train /ws/runs/a'"
    )
    with pytest.raises(SpecError, match=r"output.workspace: the run directory '/w s/runs/a' must have no spaces"):
        build_sbatch_script(spec, "/w s/runs/a", "a")


@pytest.mark.parametrize(
    ("slurm", "message"),
    [
        ({"extra_sbatch": ["--constraint=a100; rm -rf ~"]}, "distributed.slurm.extra_sbatch: entry 0 ("),
        ({"extra_sbatch": ["--comment=$(id)"]}, "must be one long option such as --constraint=a100"),
        ({"extra_sbatch": ["--output=/tmp/x"]}, "entry 0: --output is set by the studio (use its own field)"),
        ({"time": "1h"}, "distributed.slurm.time: must be a Slurm time such as 30, 4:00:00 or 2-00:00:00 (got '1h')"),
        ({"setup": ["module load x\nrm -rf ~"]}, "distributed.slurm.setup: entry 0 ("),
        ({"partition": "gpu;id"}, "distributed.slurm.partition: must match pattern"),
        ({"python": "python; id"}, "distributed.slurm.python: must be a path without spaces or shell characters"),
        ({"nodes": 2}, "distributed.slurm.nodes: unknown field; expected one of: partition, account"),
    ],
)
def test_slurm_fields_refuse_shell_injection_and_typos_by_field(slurm, message):
    with pytest.raises(SpecError) as err:
        spec_from_dict({"data": {"sources": [{"path": "-"}]}, "distributed": {"launcher": "slurm", "slurm": slurm}})
    assert message in str(err.value)


def test_slurm_assigns_gpus_and_the_main_address():
    base = {"data": {"sources": [{"path": "-"}]}}
    with pytest.raises(SpecError, match="distributed.gpu_ids: Slurm assigns the GPUs; leave it empty"):
        spec_from_dict({**base, "distributed": {"launcher": "slurm", "gpu_ids": [0]}})
    spec_from_dict({**base, "distributed": {"launcher": "slurm", "num_machines": 4}})  # no main_process_ip needed
    with pytest.raises(SpecError, match="main_process_ip: is required when num_machines > 1"):
        spec_from_dict({**base, "distributed": {"num_machines": 4}})


def test_scontrol_output_and_slurm_states_map_to_the_studios():
    text = (
        "JobId=42 JobName=x UserId=root(0) JobState=TIMEOUT Reason=TimeLimit Dependency=(null) "
        "ExitCode=0:15 RunTime=00:01:27 TimeLimit=00:01:00 NodeList=vm"
    )
    job = parse_scontrol(text)
    assert job == SlurmJob("42", "TIMEOUT", "TimeLimit", 0, 15, "00:01:00", "vm")
    assert parse_scontrol("slurm_load_jobs error: Invalid job id specified") is None
    assert SlurmJob("1", "PENDING", "Resources").studio_state == "queued"
    assert SlurmJob("1", "PENDING", "Resources").describe() == "PENDING (Resources)"
    assert SlurmJob("1", "RUNNING").studio_state == "running"
    assert SlurmJob("1", "OUT_OF_MEMORY").studio_state == "final"

    final, kind, message = outcome(job, {"state": "running"}, aborting=False)
    assert (final, kind) == ("failed", "timeout")
    assert message.startswith(f"{TITLES['timeout']}: Slurm job 42 TIMEOUT, reason TimeLimit: killed at its time limit")
    assert outcome(SlurmJob("1", "CANCELLED"), {}, aborting=True)[:2] == ("aborted", "killed")
    assert outcome(SlurmJob("1", "CANCELLED"), {}, aborting=False)[1] == "killed"
    assert outcome(SlurmJob("1", "OUT_OF_MEMORY"), {}, aborting=False)[1] == "oom"
    assert outcome(SlurmJob("1", "PREEMPTED"), {}, aborting=False)[1] == "preempted"
    assert outcome(SlurmJob("1", "NODE_FAIL"), {}, aborting=False)[1] == "launch"
    assert outcome(SlurmJob("1", "COMPLETED"), {"state": "succeeded"}, aborting=False)[0] == "succeeded"
    stopped = {"state": "aborted", "message": "stopped by request at step 3; checkpoint saved: /r/checkpoint-3"}
    assert outcome(SlurmJob("1", "COMPLETED"), stopped, aborting=True) == ("aborted", "killed", stopped["message"])
    assert outcome(SlurmJob("1", "FAILED", exit_code=1), {"error_kind": "data", "error": "x"}, False)[1:] == (
        "data",
        "x",
    )


def test_an_older_registry_gains_the_launcher_columns_and_keeps_its_rows(tmp_path):
    con = sqlite3.connect(tmp_path / "registry.db")
    schema = SCHEMA.replace("CREATE INDEX IF NOT EXISTS runs_status ON runs(status);", "")
    con.executescript(schema)
    con.execute("PRAGMA user_version=1")  # as the release before the launcher columns left it
    con.execute(
        "INSERT INTO runs (id, name, stage, method, status, run_dir, created) VALUES (?, ?, ?, ?, ?, ?, ?)",
        ("old-run", "old", "sft", "lora", "succeeded", str(tmp_path / "runs/old-run"), 1.0),
    )
    con.commit()
    con.close()
    registry = Registry(tmp_path)
    old = registry.get("old-run")
    assert (old.status, old.launcher, old.job_id) == ("succeeded", None, None)
    assert is_local(old)


# ------------------------------------------------------------------------------------- a real cluster


def SLURM(test):  # noqa: N802 - used as a decorator, like a mark
    """Marks a test on the real cluster: ``slurm``, ``slow`` (each takes more than 30 s on 2 cores) and ``scale``
    (run by ``make test-scale``)."""
    return pytest.mark.scale(pytest.mark.slow(pytest.mark.slurm(test)))


@pytest.fixture(scope="session")
def slurm_cluster(tmp_path_factory, studio_home):
    """A one-node Slurm cluster on this machine (root, Debian's slurm-wlm + munge); SLURM_CONF points at it."""
    missing = missing_binaries()
    if missing:
        pytest.skip(f"Slurm is not installed here (missing {', '.join(missing)}): apt install slurm-wlm munge")
    if os.geteuid() != 0:
        pytest.skip("starting slurmd and munged for the test cluster needs root")
    cluster = start_cluster(tmp_path_factory.mktemp("slurm"), cpus=4)
    old = os.environ.get("SLURM_CONF")
    os.environ["SLURM_CONF"] = str(cluster.conf)
    os.environ["STUDIO_SLURM_POLL_S"] = "0.5"
    try:
        yield cluster
    finally:
        for run in Registry(studio_home).list():  # before the cluster goes: scancel needs it
            if run.launcher == "slurm" and run.status in ACTIVE_STATES:
                abort_run(run.id, studio_home, grace_s=2)
        cluster.stop()
        if old is None:
            os.environ.pop("SLURM_CONF", None)
        else:
            os.environ["SLURM_CONF"] = old


def slurm_spec(base: Path, *overrides: str):
    return apply_overrides(load_spec(base), ["distributed.launcher=slurm", "data.val_size=0", *overrides])


def wait_until(predicate, timeout: float, what: str):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.3)
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")


def wait_finished(home, run_id: str, timeout: float = 180) -> Run:
    registry = Registry(home)
    return wait_until(lambda: (r := registry.get(run_id)).finished and r, timeout, f"run {run_id} to end")


def wait_for_step(run_dir: Path, step: int, timeout: float = 180) -> None:
    wait_until(
        lambda: any(
            e["type"] == "progress" and e.get("step", 0) >= step for e in read_events(run_dir / "events.jsonl")
        ),
        timeout,
        f"step {step} in {run_dir}",
    )


@pytest.fixture(scope="module")
def timed_out_run(slurm_cluster, studio_home, tiny_model):
    """Submitted first, checked last: a job whose setup outlasts its 1-minute limit (Slurm's smallest), so
    Slurm kills it at the limit (its check runs every 30 s) while the other tests use the cluster."""
    spec = slurm_spec(
        TINY_SFT, "output.run_name=slurm-timeout", "distributed.slurm.time=1", "distributed.slurm.setup=['sleep 600']"
    )
    run = start_run(create_run(spec, studio_home), studio_home)
    assert run.job_id and run.status == "queued", (run.status, run.error)
    return run


@SLURM
def test_a_tiny_sft_run_submitted_from_the_cli_succeeds_with_its_events(
    slurm_cluster, timed_out_run, studio_home, tiny_model
):
    sets = ["distributed.launcher=slurm", "train.max_steps=3", "train.logging_steps=1", "data.val_size=0"]
    sets.append("output.run_name=slurm-cli")
    out = run_cli("train", str(TINY_SFT), *[a for s in sets for a in ("--set", s)], home=studio_home, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "submitted to Slurm as job " in out.stdout and ": succeeded" in out.stdout.splitlines()[-1]
    run = next(r for r in Registry(studio_home).list() if r.name == "slurm-cli")
    assert (run.status, run.launcher, run.job_state) == ("succeeded", "slurm", "COMPLETED")
    assert run.job_id and run.job_id in out.stdout and run.final_loss is not None
    events = read_events(run.path / "events.jsonl")
    assert [e["step"] for e in events if e["type"] == "metric" and "loss" in e] == [1, 2, 3]
    states = [e["state"] for e in events if e["type"] == "status"]
    assert states[0] == "queued" and "running" in states and states[-1] == "succeeded", states
    assert (run.path / "adapter" / "adapter_config.json").exists()
    script = (run.path / "slurm.sbatch").read_text()
    assert f"export STUDIO_RUN_ID={run.id}" in script
    assert f"slurm job {run.job_id} on {slurm_cluster.node}" in (run.path / "train.log").read_text()
    show = run_cli("runs", "show", run.id, home=studio_home, timeout=60)
    assert f"slurm    job {run.job_id}  COMPLETED" in show.stdout
    cluster = run_cli("cluster", home=studio_home, timeout=60, env={"SLURM_CONF": str(slurm_cluster.conf)})
    assert cluster.returncode == 0 and "debug*" in cluster.stdout and "jobs of " in cluster.stdout, cluster.stderr


@SLURM
def test_a_restarted_studio_reattaches_by_job_id_and_abort_scancels_every_process_within_10s(
    slurm_cluster, studio_home, tiny_model
):
    spec = slurm_spec(TINY_PT, "train.max_steps=100000", "output.run_name=slurm-abort")
    run = start_run(create_run(spec, studio_home), studio_home)
    try:
        wait_for_step(run.path, 1)
        assert Registry(studio_home).get(run.id).status == "running"
        assert run_processes(run.id)  # the job runs on this machine's node: its processes carry the id
        # A studio restart: the run's watcher is gone; reconcile finds the job again by its id and follows it.
        watcher = Registry(studio_home).get(run.id).pid
        assert _watcher_alive(watcher, run.id)
        os.kill(watcher, signal.SIGKILL)
        wait_until(lambda: not _watcher_alive(watcher, run.id), 5, "the watcher to die")
        reconcile(studio_home)
        again = Registry(studio_home).get(run.id)
        assert again.status == "running" and again.pid != watcher and _watcher_alive(again.pid, run.id)
        t0 = time.time()
        aborted = abort_run(run.id, studio_home)
        wait_until(lambda: not run_processes(run.id), 10 - (time.time() - t0), "every process to end")
        assert time.time() - t0 < 10
    finally:
        abort_run(run.id, studio_home)
    assert (aborted.status, aborted.error_kind) == ("aborted", "killed")
    assert aborted.job_state.startswith("CANCELLED")
    assert [e["state"] for e in read_events(run.path / "events.jsonl") if e["type"] == "status"][-1] == "aborted"


@SLURM
def test_stop_and_save_then_resume_a_two_process_gloo_job(slurm_cluster, studio_home, tiny_model):
    overrides = ["train.max_steps=100000", "train.logging_steps=1", "train.save_steps=0"]
    spec = slurm_spec(TINY_PT, *overrides, "distributed.num_processes=2", "output.run_name=slurm-stop")
    run = start_run(create_run(spec, studio_home), studio_home)
    try:
        wait_for_step(run.path, 2)
        run = abort_run(run.id, studio_home, save=True, save_timeout_s=120)
    finally:
        abort_run(run.id, studio_home)
    assert run.status == "aborted" and "checkpoint saved" in (run.error or ""), run.error
    first_job = run.job_id
    ckpt = latest_checkpoint(run)
    saved = json.loads((ckpt / "trainer_state.json").read_text())["global_step"]
    events = read_events(run.path / "events.jsonl")
    assert any("2 processes" in e.get("message", "") for e in events if e["type"] == "log")

    job = run.path / "job.yaml"
    apply_overrides(load_spec(job), [f"train.max_steps={saved + 2}"]).save(job)
    resumed = resume_run(run.id, studio_home)
    assert resumed.attempt == 2 and resumed.job_id and resumed.job_id != first_job
    final = wait_finished(studio_home, run.id)
    assert final.status == "succeeded", final.error
    after = [e["step"] for e in read_events(run.path / "events.jsonl")[len(events) :] if e["type"] == "metric"]
    assert after[0] == saved + 1 and after[-1] == saved + 2, after


@SLURM
def test_a_job_killed_at_its_time_limit_fails_as_timeout_with_the_slurm_reason(
    slurm_cluster, timed_out_run, studio_home
):
    run = timed_out_run
    final = wait_finished(studio_home, run.id, timeout=150)
    assert (final.status, final.error_kind) == ("failed", "timeout"), final.error
    assert f"Slurm job {final.job_id} TIMEOUT, reason TimeLimit: killed at its time limit (00:01:00)" in final.error
    assert final.job_state == "TIMEOUT (TimeLimit)"
    status = [e for e in read_events(run.path / "events.jsonl") if e["type"] == "status"][-1]
    assert status["state"] == "failed" and "time limit" in status["message"]


@SLURM
def test_a_run_started_from_the_ui_is_submitted_to_slurm_and_succeeds(slurm_cluster, studio_home, tiny_model):
    from gradio_client import Client
    from ui_helpers import start_server, stop_server

    from studio import runs_view
    from studio.form import FIELDS

    srv = start_server(studio_home, SLURM_CONF=str(slurm_cluster.conf), STUDIO_SLURM_POLL_S="0.5")
    try:
        assert srv.status == 200, srv.proc.stdout.read() if srv.proc.poll() is not None else "no answer"
        client = Client(srv.url, verbose=False)
        values = list(client.predict("presets/sft/tiny-lora.yaml", api_name="/load_preset"))[: len(FIELDS)]
        for field, value in {
            "distributed.launcher": "slurm",
            "train.max_steps": 3,
            "train.logging_steps": 1,
            "data.val_size": "0",
            "output.run_name": "slurm-ui",
        }.items():
            values[FIELDS.index(field)] = value
        errors, _, commands = client.predict("presets/sft/tiny-lora.yaml", *values, api_name="/preview")
        assert not errors and "# which submits this batch script (sbatch <run_dir>/slurm.sbatch):" in commands
        assert "#SBATCH --nodes=1\n#SBATCH --ntasks-per-node=1\n" in commands and "srun --nodes=1" in commands
        errors, status = client.predict(False, *values, api_name="/start")
        assert "fail:" not in errors and "submitted to Slurm as job" in errors, errors
        run = next(r for r in Registry(studio_home).list() if r.name == "slurm-ui")
        final = wait_finished(studio_home, run.id)
    finally:
        stop_server(srv)
    assert (final.status, final.launcher) == ("succeeded", "slurm"), final.error
    assert [e["step"] for e in read_events(run.path / "events.jsonl") if e["type"] == "metric"] == [1, 2, 3]
    row = next(r for r in runs_view.table_rows(str(studio_home)) if r[0] == run.id)
    assert row[-1] == f"slurm job {final.job_id}: COMPLETED"


def test_the_launcher_is_picked_by_name_and_local_stays_the_default():
    from backend.launch import Hardware
    from backend.run.launchers import get_launcher
    from backend.run.launchers.local import LocalLauncher
    from backend.run.launchers.slurm import SlurmLauncher

    assert isinstance(get_launcher(None), LocalLauncher) and isinstance(get_launcher("local"), LocalLauncher)
    assert isinstance(get_launcher("slurm"), SlurmLauncher)
    with pytest.raises(ValueError, match="unknown launcher 'k8s'; expected one of: local, slurm"):
        get_launcher("k8s")
    spec = spec_from_dict({"data": {"sources": [{"path": "-"}]}})
    assert spec.distributed.launcher == "local"
    assert get_launcher("local").preview(spec, "/r", "id", Hardware(cpu_count=2)).endswith("-m backend.train /r")
    assert get_launcher("slurm").preview(spec, "/r", "id").startswith("#!/bin/bash\n#SBATCH --job-name=id\n")


def test_missing_slurm_commands_are_named_with_the_fix(tmp_path):
    out = run_cli("cluster", home=tmp_path, timeout=60, env={"PATH": str(tmp_path)})
    assert out.returncode == 2 and out.stdout == ""
    assert out.stderr.strip() == (
        "error: sinfo, squeue not found: install Slurm's client commands on this machine (Debian/Ubuntu: apt install "
        "slurm-client; they come with slurm-wlm) and make them reach your cluster (its slurm.conf in /etc/slurm, or "
        "SLURM_CONF pointing at it)"
    )


@SLURM
def test_preflight_prints_the_script_and_a_refused_submission_fails_the_run_with_slurms_words(
    slurm_cluster, studio_home, tiny_model
):
    from cli.preflight import render, report

    spec = slurm_spec(TINY_SFT, "output.run_name=slurm-refused", "distributed.slurm.partition=nosuch")
    out = report(spec, studio_home)
    text = render(out)
    assert "Slurm batch script (sbatch):\n    #!/bin/bash\n" in text and "#SBATCH --partition=nosuch" in text
    checks = {c["name"]: c for c in out["checks"]}
    assert checks["slurm"]["level"] == "ok" and checks["shared"]["level"] in ("ok", "warn")
    assert str(studio_home) in checks["shared"]["message"]
    assert checks["memory"]["message"].endswith(
        "the nodes' memory is Slurm's to grant (distributed.slurm.mem: the default)"
    )
    run = start_run(create_run(spec, studio_home), studio_home)
    assert (run.status, run.error_kind, run.job_id) == ("failed", "launch", None)
    assert run.error.startswith("sbatch failed: sbatch --parsable: sbatch: error:") and "partition" in run.error
    assert [e["state"] for e in read_events(run.path / "events.jsonl") if e["type"] == "status"][-1] == "failed"


def test_aborting_a_slurm_run_without_scancel_is_one_line_and_keeps_the_run(tmp_path):
    registry = Registry(tmp_path)
    run_dir = tmp_path / "runs" / "r-slurm"
    run_dir.mkdir(parents=True)
    registry.insert(
        Run(id="r-slurm", name="r", stage="sft", method="lora", model=None, status="running",
                 run_dir=str(run_dir), created=time.time(), launcher="slurm", job_id="77", job_state="RUNNING")
    )  # fmt: skip
    out = run_cli("runs", "abort", "r-slurm", home=tmp_path, timeout=60, env={"PATH": str(tmp_path)})
    assert out.returncode == 2 and out.stderr.startswith("error: scancel not found: install Slurm's client commands")
    assert len(out.stderr.strip().splitlines()) == 1
    kept = registry.get("r-slurm")
    assert (kept.status, kept.job_id) == ("running", "77")  # not recorded as ended: the job may still run
