"""Models from a hub (issue 18) through the real ``huggingface_hub`` client against a local hub on 127.0.0.1.

Pulls run as ``studio models pull`` subprocesses with ``HF_HUB_OFFLINE=0`` and ``HF_ENDPOINT`` set for them
only (this process stays offline, as the Makefile sets it).
"""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time

import pytest
from conftest import ROOT, run_cli
from hub_server import Hub, HubServer

from backend.models.families import family_template
from backend.models.hub import MODELSCOPE_MISSING, git_blob_sha1
from backend.models.ref import MARKER, RefError, parse_ref

REPO = "org/tiny"


@pytest.fixture
def hub(tiny_model):
    h = Hub()
    # The hub also holds a pickle duplicate the pull must skip.
    h.add_folder(REPO, tiny_model, {"pytorch_model.bin": b"pickle" * 100, "model.gguf": b"gguf"})
    with HubServer(h) as url:
        h.url = url
        yield h


def online(url: str, **extra) -> dict:
    return {"HF_HUB_OFFLINE": "0", "HF_ENDPOINT": url, "HF_TOKEN": "", **extra}


def test_refs_parse_hub_ids_local_folders_and_builtin(tmp_path):
    home = tmp_path
    r = parse_ref("hf:Qwen/Qwen2.5-0.5B@v1.0")
    assert (r.kind, r.hub, r.repo, r.revision, r.id) == (
        "hub",
        "hf",
        "Qwen/Qwen2.5-0.5B",
        "v1.0",
        "hf:Qwen/Qwen2.5-0.5B@v1.0",
    )
    assert r.local_dir(home) == home / "models" / "hub" / "hf" / "Qwen--Qwen2.5-0.5B@v1.0"
    assert parse_ref("ms:qwen/Qwen2.5-0.5B").hub == "ms"
    assert parse_ref("Qwen/Qwen2.5-0.5B").id == "hf:Qwen/Qwen2.5-0.5B"  # bare: the default hub
    (tmp_path / "org" / "local").mkdir(parents=True)
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        assert parse_ref("org/local").kind == "local"  # an existing folder wins over a hub id
    finally:
        os.chdir(cwd)
    assert parse_ref("./models/x").kind == "local" and parse_ref("/abs/x").kind == "local"
    assert parse_ref("builtin:tiny-llama").kind == "builtin"
    with pytest.raises(RefError, match=r"'hf:nope' is not a hub id: expected hf:ORG/NAME\[@REVISION\]"):
        parse_ref("hf:nope")
    with pytest.raises(RefError, match="revision '../x' is not a branch"):
        parse_ref("hf:a/b@../x")


def test_templates_by_family():
    assert family_template("qwen2", "Qwen/Qwen2.5-7B-Instruct") == "qwen"
    assert family_template("llama", "meta-llama/Meta-Llama-3-8B-Instruct") == "llama3"
    assert family_template("llama", "meta-llama/Llama-2-7b-chat-hf") == "llama2"
    assert family_template("llama", "tiny-llama") is None  # Llama 2 and 3 differ: no guess
    assert family_template("llama", "01-ai/Yi-6B-Chat") == "yi"
    assert family_template("mistral", "x") == "mistral"
    assert family_template("qwen3", "Qwen/Qwen3-8B") == "qwen3"
    assert family_template("glm4_moe", "zai-org/GLM-4.5-Air") == "glm4.5"
    assert family_template("chatglm", "THUDM/glm-4-9b-chat") == "glm4"
    assert family_template("chatglm", "THUDM/chatglm3-6b") == "chatglm3"
    assert family_template("qwen2", "deepseek-ai/DeepSeek-R1-Distill-Qwen-7B") == "deepseek-r1"


def test_pull_fetches_only_needed_files_verifies_and_loads(hub, studio_home):
    proc = run_cli("models", "pull", f"hf:{REPO}", home=studio_home, env=online(hub.url), timeout=120)
    assert proc.returncode == 0, proc.stderr
    folder = studio_home / "models" / "hub" / "hf" / "org--tiny"
    assert proc.stdout.strip() == f"hf:{REPO} -> {folder}"
    names = {p.name for p in folder.iterdir() if p.is_file()}
    assert {"config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", MARKER} <= names
    assert not {"pytorch_model.bin", "model.gguf"} & names  # never the pickle/GGUF duplicates
    assert not hub.gets("pytorch_model.bin")
    marker = json.loads((folder / MARKER).read_text())
    assert marker["commit"] and marker["endpoint"] == hub.url
    from transformers import AutoModelForCausalLM, AutoTokenizer

    model = AutoModelForCausalLM.from_pretrained(folder)
    assert AutoTokenizer.from_pretrained(folder)("hello")["input_ids"]
    assert model.num_parameters() > 0

    from backend.chat.load import _lookup
    from backend.workspace import resolve_model_path

    assert resolve_model_path(f"hf:{REPO}", studio_home) == folder == _lookup(f"hf:{REPO}", studio_home)
    with pytest.raises(FileNotFoundError, match=r"^model: hf:org/other is not downloaded yet; run `studio models pull"):
        resolve_model_path("org/other", studio_home)

    listed = run_cli("models", "list", home=studio_home)
    row = next(line for line in listed.stdout.splitlines() if line.startswith(f"hf:{REPO}"))
    assert "downloaded" in row.split() and "llama" in row.split() and "yes" in row.split()

    gone = run_cli("models", "rm", f"hf:{REPO}", home=studio_home)
    assert gone.returncode == 0 and not folder.exists()
    again = run_cli("models", "rm", f"hf:{REPO}", home=studio_home)
    assert again.returncode == 2 and again.stderr.strip() == f"error: hf:{REPO} is not downloaded (no {folder})"


def test_interrupted_pull_resumes_without_refetching_finished_files(hub, tmp_path):
    hub.slow.add("model.safetensors")
    hub.slow_chunk = 64 * 1024  # the client writes in 10 MiB pieces: reach the first one within seconds
    env = {**os.environ, "STUDIO_HOME": str(tmp_path), **online(hub.url)}
    proc = subprocess.Popen([sys.executable, "-m", "cli", "models", "pull", f"hf:{REPO}"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
    partial = tmp_path / "models" / "hub" / "hf" / "org--tiny" / ".partial"
    deadline = time.time() + 60
    while time.time() < deadline and not any(p.stat().st_size > 64 * 1024 for p in partial.rglob("*.part")):
        time.sleep(0.1)
    proc.send_signal(signal.SIGKILL)  # interrupted: the page closed, the machine rebooted, Ctrl-C
    proc.wait()
    done = sum(p.stat().st_size for p in partial.rglob("*.part"))
    assert done > 64 * 1024
    assert hub.gets("config.json") == [None]
    hub.slow.clear()
    again = run_cli("models", "pull", f"hf:{REPO}", home=tmp_path, env=online(hub.url), timeout=120)
    assert again.returncode == 0, again.stderr
    assert hub.gets("config.json") == [None] and hub.gets("tokenizer_config.json") == [None]  # not fetched again
    ranges = hub.gets("model.safetensors")
    assert ranges[0] is None and len(ranges) == 2 and int(ranges[1].split("=")[1].rstrip("-")) >= done
    folder = tmp_path / "models" / "hub" / "hf" / "org--tiny"
    assert (folder / "model.safetensors").read_bytes() == hub.repos[REPO]["model.safetensors"]


def test_corrupted_file_is_refused_by_its_checksum(hub, tmp_path):
    hub.corrupt.add("model.safetensors")
    proc = run_cli("models", "pull", f"hf:{REPO}", home=tmp_path, env=online(hub.url), timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.strip() == (
        f"error: hf:{REPO}: model.safetensors does not match the hub's sha256; deleted it (retry the pull)"
    )
    folder = tmp_path / "models" / "hub" / "hf" / "org--tiny"
    assert not (folder / "model.safetensors").exists() and not (folder / MARKER).exists()
    assert git_blob_sha1(folder / "config.json")  # the verified files stay


def test_gated_repo_401_explains_the_token_and_never_prints_it(hub, tmp_path):
    hub.gated[REPO] = "hf_secret_token_123"
    proc = run_cli("models", "pull", f"hf:{REPO}", home=tmp_path, env=online(hub.url), timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.strip() == (
        f"error: hf:{REPO} is gated or private (HTTP 401) and no token was given: accept its licence on the model's "
        f"page if it is gated, then give a token: set HF_TOKEN, or save one with `studio models token` "
        f"(stored 0600 in {tmp_path / 'hub_token'})"
    )
    env = {**os.environ, "STUDIO_HOME": str(tmp_path)}
    cmd = [sys.executable, "-m", "cli", "models", "token"]
    saved = subprocess.run(cmd, input="hf_secret_token_123\n", cwd=ROOT, env=env, capture_output=True, text=True)
    assert saved.returncode == 0 and "hf_secret_token_123" not in saved.stdout + saved.stderr
    assert stat.S_IMODE((tmp_path / "hub_token").stat().st_mode) == 0o600
    ok = run_cli("models", "pull", f"hf:{REPO}", home=tmp_path, env=online(hub.url), timeout=120)
    assert ok.returncode == 0, ok.stderr
    assert "hf_secret_token_123" not in ok.stdout + ok.stderr


def test_modelscope_without_its_client_says_how_to_install(tmp_path):
    try:
        import modelscope  # noqa: F401

        pytest.skip("modelscope is installed here")
    except ImportError:
        pass
    proc = run_cli("models", "pull", "ms:qwen/Qwen2.5-0.5B", home=tmp_path, env={"HF_HUB_OFFLINE": "0"})
    assert proc.returncode == 2 and proc.stderr.strip() == f"error: {MODELSCOPE_MISSING}"


def test_offline_or_unreachable_hub_is_refused_in_preflight(studio_home, tiny_model):
    offline = run_cli("train", "presets/sft/tiny-lora.yaml", "--set", "model.name_or_path=hf:org/absent",
                      home=studio_home, env={"HF_HUB_OFFLINE": "1"})  # fmt: skip
    assert offline.returncode == 1
    lines = [ln for ln in offline.stderr.splitlines() if ln.startswith("[fail] model.name_or_path:")]
    assert lines == [
        "[fail] model.name_or_path: hf:org/absent is not downloaded and the studio is offline "
        "(HF_HUB_OFFLINE=1); download it on a machine with access (`huggingface-cli download org/absent --local-dir "
        "DIR`), copy DIR here and set model.name_or_path to that folder, or start the studio with HF_HUB_OFFLINE=0"
    ]
    import socket

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    down = run_cli("train", "presets/sft/tiny-lora.yaml", "--set", "model.name_or_path=hf:org/absent",
                   home=studio_home, env=online(f"http://127.0.0.1:{port}"))  # fmt: skip
    assert down.returncode == 1
    line = next(ln for ln in down.stderr.splitlines() if ln.startswith("[fail] model.name_or_path:"))
    head = "[fail] model.name_or_path: hf:org/absent is not downloaded and "
    assert line.startswith(head + f"http://127.0.0.1:{port} cannot be reached (")
    assert line.endswith("or download it elsewhere and set model.name_or_path to the folder")


def test_train_with_a_hub_id_downloads_first_then_trains(hub, studio_home):
    repo = "org/tiny-train"
    hub.repos[repo] = dict(hub.repos[REPO])
    proc = run_cli("train", "presets/sft/tiny-lora.yaml", "--set", f"model.name_or_path=hf:{repo}",
                   "--set", "train.max_steps=2", "--set", "train.eval_steps=0", "--set", "output.run_name=hub-train",
                   home=studio_home, env=online(hub.url), timeout=600)  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    from backend.events import read_events
    from backend.run.registry import Registry

    run = next(r for r in Registry(studio_home).list() if r.name == "hub-train")
    events = read_events(run.path / "events.jsonl")
    states = [e["state"] for e in events if e["type"] == "status"]
    assert states.index("downloading") < states.index("running") and states[-1] == "succeeded", states
    down = [e for e in events if e["type"] == "progress" and e.get("phase") == "download"]
    total = sum(len(b) for n, b in hub.repos[repo].items() if n not in ("pytorch_model.bin", "model.gguf"))
    assert down and down[-1]["bytes"] == down[-1]["total_bytes"] == total
    assert (studio_home / "models" / "hub" / "hf" / "org--tiny-train" / MARKER).is_file()


def test_models_tab_refuses_downloads_when_offline_and_bad_ids(tmp_path, monkeypatch):
    from studio.models_view import ModelsTabError, downloads, start_download

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ModelsTabError, match=r"^model id: hf:org/x is not downloaded and the studio is offline"):
        start_download(tmp_path, "hf:org/x")
    with pytest.raises(ModelsTabError, match="'hf:x' is not a hub id"):
        start_download(tmp_path, "hf:x")
    with pytest.raises(ModelsTabError, match="endpoint 'ftp://m': expected an http:// or https:// URL"):
        start_download(tmp_path, "hf:org/x", endpoint="ftp://m")
    assert downloads(tmp_path) == []  # nothing was started


def test_a_tokenizer_without_template_gets_its_familys_named_template(tiny_model, tmp_path):
    import shutil

    from backend.data.light_tokenizer import LightTokenizer
    from backend.data.templates import CHATML_TEMPLATE, NAMED_TEMPLATES, resolve_template

    folder = tmp_path / "Qwen2.5-0.5B"
    folder.mkdir()
    shutil.copy(tiny_model / "tokenizer.json", folder)
    (folder / "config.json").write_text(json.dumps({"model_type": "qwen2"}))
    assert resolve_template(LightTokenizer(folder), "auto") == NAMED_TEMPLATES["qwen"]
    (folder / "config.json").write_text(json.dumps({"model_type": "llama"}))  # no telling name: ChatML as before
    plain = folder.rename(tmp_path / "plain")
    assert resolve_template(LightTokenizer(plain), "auto") == CHATML_TEMPLATE
    (plain / "chat_template.jinja").write_text("{{ messages }}")  # the tokenizer's own template wins
    assert resolve_template(LightTokenizer(plain), "auto") == "{{ messages }}"


def test_models_tab_download_cancel_and_resume(hub, tmp_path, monkeypatch):
    from studio import models_view as mv

    monkeypatch.setenv("HF_HUB_OFFLINE", "0")  # this test's studio is online; the download process inherits it
    monkeypatch.setenv("HF_ENDPOINT", hub.url)
    hub.slow.add("model.safetensors")
    hub.slow_chunk = 64 * 1024  # the client writes in 10 MiB pieces: reach the first one within seconds

    def wait_for(pred, what: str, timeout: float = 60):
        deadline = time.time() + timeout
        while time.time() < deadline:
            items = mv.downloads(tmp_path)
            if items and pred(items[0]):
                return items[0]
            time.sleep(0.2)
        raise AssertionError(f"timed out waiting for {what}: {mv.downloads(tmp_path)}")

    assert mv.start_download(tmp_path, REPO) == f"hf:{REPO}"  # a bare ORG/NAME: the default hub
    with pytest.raises(mv.ModelsTabError, match=f"^hf:{REPO} is already downloading$"):
        mv.start_download(tmp_path, f"hf:{REPO}")
    d = wait_for(lambda d: d["state"] == "downloading" and d["bytes"] > 64 * 1024, "progress")
    assert d["total_bytes"] > d["bytes"] and "/s · ETA" in mv.downloads_html([d])
    mv.cancel_download(tmp_path, f"hf:{REPO}")
    d = wait_for(lambda d: d["state"] == "aborted", "the cancel")
    time.sleep(0.5)
    assert not mv._alive(d["pid"])  # the download process is gone
    hub.slow.clear()
    mv.start_download(tmp_path, f"hf:{REPO}")
    wait_for(lambda d: d["state"] == "succeeded", "the resumed download", timeout=120)
    ranges = hub.gets("model.safetensors")
    assert len(ranges) == 2 and ranges[0] is None and ranges[1].startswith("bytes=")  # resumed, not restarted
    assert [r[0] for r in mv.models_rows(tmp_path)] == [f"hf:{REPO}"]
    assert mv.downloaded_choices(tmp_path) == [(f"downloaded · hf:{REPO}", str(mv.parse_ref(REPO).local_dir(tmp_path)))]


# ------------------------------------------------------------------------------------ hub ids everywhere (issue 21)


def studio_online(monkeypatch, url: str) -> None:
    """This process's studio is online (the downloads it starts inherit it) with the local hub as endpoint."""
    for k, v in online(url).items():
        monkeypatch.setenv(k, v)
    monkeypatch.delenv("STUDIO_HUB_OFFLINE", raising=False)


def test_chat_downloads_a_hub_id_that_is_not_local_yet(hub, studio_home, monkeypatch, capsys):
    from backend.chat.engine import ChatEngine, GenerationOptions
    from studio.models_view import downloads

    repo = "org/chat"
    hub.repos[repo] = dict(hub.repos[REPO])
    studio_online(monkeypatch, hub.url)
    engine = ChatEngine.load(f"hf:{repo}", home=studio_home)
    folder = studio_home / "models" / "hub" / "hf" / "org--chat"
    assert engine.info["base"] == str(folder) and (folder / MARKER).is_file()
    err = capsys.readouterr().err
    assert (
        f"downloading hf:{repo} to {folder} (progress also in the Models tab)" in err and f"downloaded hf:{repo}" in err
    )
    reply = engine.chat([{"role": "user", "content": "你好"}], GenerationOptions(mode="greedy", max_new_tokens=4))
    assert isinstance(reply, str)
    done = [d for d in downloads(studio_home) if d["id"] == f"hf:{repo}"]  # the Models tab showed its bar
    assert done and done[0]["state"] == "succeeded" and done[0]["bytes"] == done[0]["total_bytes"] > 0
    assert hub.gets("pytorch_model.bin") == []


def test_tokenizer_extend_downloads_a_hub_base_first(hub, studio_home, tmp_path, monkeypatch, capsys):
    from backend.tokenizer.extend import extend

    repo = "org/tok"
    hub.repos[repo] = dict(hub.repos[REPO])
    studio_online(monkeypatch, hub.url)
    report = extend(f"hf:{repo}", tmp_path / "ext", words=["量子纠缠态"], home=studio_home)
    folder = studio_home / "models" / "hub" / "hf" / "org--tok"
    assert (folder / MARKER).is_file() and f"downloaded hf:{repo}" in capsys.readouterr().err
    assert report["added"] and (tmp_path / "ext" / "tokenizer.json").is_file()


def test_offline_chat_eval_and_export_refuse_with_preflights_line(studio_home, monkeypatch):
    from backend.chat.load import ChatError, resolve_source
    from backend.eval.load import resolve_target
    from backend.export.source import Source, base_dir_of
    from backend.export.weights import ExportError
    from backend.models.hub import offline_message

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.delenv("STUDIO_HUB_OFFLINE", raising=False)
    ref = parse_ref("hf:org/absent")
    line = offline_message(ref, studio_home, "model")
    assert line.startswith("model: hf:org/absent is not downloaded and the studio is offline (HF_HUB_OFFLINE=1); ")
    with pytest.raises(ChatError) as chat:
        resolve_source("hf:org/absent", home=studio_home)
    with pytest.raises(ExportError) as ev:
        resolve_target("hf:org/absent", home=studio_home)
    with pytest.raises(ExportError) as base:
        base_dir_of(Source("adapter", studio_home, None, None), "hf:org/absent")
    assert str(chat.value) == str(ev.value) == line
    assert str(base.value) == offline_message(ref, studio_home, "--base")
    from backend.tokenizer.extend import extend
    from backend.tokenizer.train import TokenizerError

    with pytest.raises(TokenizerError) as tok:
        extend("hf:org/absent", studio_home / "ext", words=["x"], home=studio_home)
    assert str(tok.value) == offline_message(ref, studio_home, "--base")
    assert not ref.local_dir(studio_home).exists()  # nothing was started
    from studio.eval_view import EvalTabError, _model_arg

    assert _model_arg("hf:org/absent") == "hf:org/absent" and _model_arg("org/absent") == "org/absent"  # to the CLI
    with pytest.raises(EvalTabError, match="^model: /no/such/model is not a folder$"):
        _model_arg("/no/such/model")


def test_export_base_takes_a_hub_id_and_downloads_it(hub, studio_home, tiny_model, tmp_path, monkeypatch, capsys):
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    adapter = tmp_path / "adapter"
    model = get_peft_model(AutoModelForCausalLM.from_pretrained(tiny_model), LoraConfig(r=2, target_modules=["q_proj"]))
    model.save_pretrained(adapter)
    cfg = json.loads((adapter / "adapter_config.json").read_text())
    (adapter / "adapter_config.json").write_text(json.dumps({**cfg, "base_model_name_or_path": "/gone"}))
    repo = "org/base"
    hub.repos[repo] = dict(hub.repos[REPO])
    out = tmp_path / "out"
    studio_online(monkeypatch, hub.url)
    # HF_HUB_OFFLINE unset: the studio is online, and `studio export` sets HF_HUB_OFFLINE=1 for its own libraries
    # (in this process), so only the studio's recorded setting lets it download.
    monkeypatch.delenv("HF_HUB_OFFLINE")
    from cli.__main__ import main

    assert main(["--home", str(studio_home), "export", str(adapter), "--base", f"hf:{repo}", "--out", str(out)]) == 0
    assert os.environ["HF_HUB_OFFLINE"] == "1" and "STUDIO_HUB_OFFLINE" not in os.environ  # restored after
    folder = studio_home / "models" / "hub" / "hf" / "org--base"
    assert f"downloading hf:{repo} to {folder}" in capsys.readouterr().err and (folder / MARKER).is_file()
    assert (out / "config.json").is_file() and list(out.glob("*.safetensors"))
    # offline, the same line as pre-flight's: test_offline_chat_eval_and_export_refuse_with_preflights_line


def test_preflight_estimates_memory_from_config_json_alone(hub, studio_home, monkeypatch):
    from backend.launch import Hardware
    from backend.preflight import preflight
    from backend.spec import load_spec

    spec = load_spec("presets/sft/tiny-lora.yaml")
    spec.model.name_or_path = f"hf:{REPO}"
    cpu = Hardware(gpu_count=0, cpu_count=2)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.delenv("STUDIO_HUB_OFFLINE", raising=False)
    memory = next(c for c in preflight(spec, studio_home, cpu, sample=5) if c.name == "memory")
    assert (memory.level, memory.message) == ("warn", (
        f"no estimate: it needs hf:{REPO}'s config.json, which the studio cannot fetch offline (HF_HUB_OFFLINE=1); "
        "the run estimates it once the model is downloaded"))  # fmt: skip

    studio_online(monkeypatch, hub.url)
    checks = {c.name: c for c in preflight(spec, studio_home, cpu, sample=5)}
    assert checks["model"].message.endswith(f"hf:{REPO} will be downloaded first")
    assert checks["memory"].level == "ok" and "estimated peak" in checks["memory"].message, checks["memory"]
    assert hub.gets("model.safetensors") == [] and hub.gets("config.json")  # config.json alone
    cached = studio_home / "models" / "hub-configs" / "hf" / "org--tiny" / "config.json"
    assert json.loads(cached.read_text())["model_type"] == "llama"
    assert not parse_ref(REPO).downloaded(studio_home)  # not a download: the Models list does not show it
    before = len(hub.log)
    preflight(spec, studio_home, cpu, sample=5)
    assert not [p for m, p, _ in hub.log[before:] if p.endswith("config.json")]  # cached: fetched once


def test_a_hub_reward_model_is_downloaded_before_training(hub, studio_home, monkeypatch, tmp_path):
    """The rl stages' reward model by hub id: pre-flight says it will be downloaded first, the run's download
    step (the same one the trainer runs before the stage) fetches it, and the trainer finds its folder."""
    from backend.events import read_events
    from backend.models.fetch import fetch_models
    from backend.preflight import check_model
    from backend.spec import spec_from_dict
    from backend.train.__main__ import RunEvents
    from backend.train.rewards import find_reward_model

    repo = "org/rm"
    hub.repos[repo] = dict(hub.repos[REPO])
    data = {"sources": [{"path": "builtin:samples/eval_prompts.jsonl"}]}
    spec = spec_from_dict({"stage": "ppo", "data": data, "rl": {"reward_model": f"hf:{repo}"},
                           "output": {"workspace": str(studio_home)}})  # fmt: skip
    studio_online(monkeypatch, hub.url)
    assert check_model(spec, studio_home).message.endswith(f"hf:{repo} will be downloaded first")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")  # offline: refused in pre-flight with the one line
    assert check_model(spec, studio_home).message.startswith(
        f"rl.reward_model: hf:{repo} is not downloaded and the studio is offline (HF_HUB_OFFLINE=1)"
    )
    studio_online(monkeypatch, hub.url)
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    fetch_models(spec, run_dir, RunEvents(run_dir, main=True))
    events = read_events(run_dir / "events.jsonl")
    assert [e["message"] for e in events if e["type"] == "status"] == [f"downloading hf:{repo}"]
    assert [e for e in events if e["type"] == "progress" and e.get("phase") == "download"]
    folder = studio_home / "models" / "hub" / "hf" / "org--rm"
    assert find_reward_model(f"hf:{repo}", spec) == folder and (folder / MARKER).is_file()
