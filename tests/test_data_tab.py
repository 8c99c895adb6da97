"""The Data tab without a browser: upload confinement, report and token rendering (escaped), the
subprocess commands and their error paths, and ``studio data preview --json``."""

from __future__ import annotations

import json
import sys

import pytest

from studio import data_files, data_view
from studio.data_files import DataTabError, commands_text, list_datasets, run_json, safe_name, save_upload
from studio.tabs import data as data_tab
from tests.conftest import ROOT, run_cli

SFT = ROOT / "data" / "samples" / "sft_messages.jsonl"
GOOD = {"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]}
XSS = "<script>alert(1)</script>"


def jsonl(path, *lines: str):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


# ------------------------------------------------------------------------------------------- uploads


@pytest.mark.parametrize(
    ("raw", "name"),
    [
        ("../../x.jsonl", "x.jsonl"),
        ("..\\..\\win.json", "win.json"),
        ("/etc/cron.d/evil.csv", "evil.csv"),
        (".hidden.jsonl", "hidden.jsonl"),
        ("my data (v2).jsonl.zst", "my_data_v2_.jsonl.zst"),
        ("中文 数据.jsonl", "中文_数据.jsonl"),
    ],
)
def test_safe_name_keeps_only_a_plain_file_name(raw, name):
    assert safe_name(raw) == name


@pytest.mark.parametrize("raw", ["", "..", "../", "run.sh", "x.exe", ".jsonl"])
def test_safe_name_refuses_what_is_not_a_dataset_name(raw):
    with pytest.raises(DataTabError):
        safe_name(raw)


def test_safe_name_adds_the_uploads_suffix_and_caps_length():
    assert safe_name("mine", ".jsonl") == "mine.jsonl"
    long = safe_name("a" * 500 + ".parquet")
    assert len(long) <= data_files.MAX_NAME and long.endswith(".parquet")


def test_upload_lands_inside_uploads_and_never_overwrites(tmp_path):
    home, outside = tmp_path / "ws", tmp_path / "x.jsonl"
    src = jsonl(tmp_path / "in" / "upload.jsonl", json.dumps(GOOD))
    target, message = save_upload(src, home, "../../x.jsonl")
    assert target == (home / "data" / "uploads" / "x.jsonl").resolve()
    assert target.read_bytes() == src.read_bytes() and not outside.exists()
    assert "data/uploads/x.jsonl" in message
    # The same bytes again: nothing written, the existing file is selected.
    again, message = save_upload(src, home, "x.jsonl")
    assert again == target and "already holds" in message
    # Other bytes under the same name: refused, the first file is untouched.
    other = jsonl(tmp_path / "in" / "other.jsonl", json.dumps(GOOD), json.dumps(GOOD))
    with pytest.raises(DataTabError, match="already exists"):
        save_upload(other, home, "x.jsonl")
    assert target.read_bytes() == src.read_bytes()
    # A new name saves it.
    renamed, _ = save_upload(other, home, "x-2")
    assert renamed.name == "x-2.jsonl" and renamed.read_bytes() == other.read_bytes()


def test_upload_refuses_a_symlink_planted_in_uploads(tmp_path):
    home = tmp_path / "ws"
    victim = jsonl(tmp_path / "victim.jsonl", "keep me")
    (home / "data" / "uploads").mkdir(parents=True)
    (home / "data" / "uploads" / "evil.jsonl").symlink_to(victim)
    src = jsonl(tmp_path / "in" / "evil.jsonl", json.dumps(GOOD))
    with pytest.raises(DataTabError, match="refusing"):
        save_upload(src, home)
    assert victim.read_text() == "keep me\n"


def test_upload_handler_selects_the_saved_file(tmp_path):
    home = tmp_path / "ws"
    src = jsonl(tmp_path / "in" / "chat.jsonl", json.dumps(GOOD))
    update, status = data_tab.upload(str(home), str(src), "", "中文")
    saved = home / "data" / "uploads" / "chat.jsonl"
    assert update["value"] == str(saved.resolve()) and "已保存" in status
    assert ("data/uploads/chat.jsonl", str(saved.resolve())) in update["choices"]
    assert ("builtin:samples/sft_messages.jsonl",) * 2 in list_datasets(home)
    _, status = data_tab.upload(str(home), str(src), "../typed")  # a typed name gets the upload's suffix
    assert (home / "data" / "uploads" / "typed.jsonl").is_file() and "typed.jsonl" in status
    exe = jsonl(tmp_path / "in" / "tool.exe", "MZ")
    update, status = data_tab.upload(str(home), str(exe), "")
    assert (
        "data-error" in status and "not a dataset file name" in status and not (home / "data/uploads/tool.exe").exists()
    )


# ------------------------------------------------------------------------------------------ rendering


def test_report_of_a_file_with_bad_lines(studio_home, tmp_path):
    empty = {"messages": [{"role": "user", "content": ""}]}
    bad = jsonl(tmp_path / "mixed.jsonl", json.dumps(GOOD), "not json", json.dumps(empty))
    html, kept = data_tab.inspect(str(studio_home), str(bad), "auto", "auto", None)
    assert kept["kind"] == "report" and kept["data"]["bad_records"] == 2
    assert '<span class="data-format">messages</span>' in html and '<span class="data-records">1</span>' in html
    assert f"{bad}:2: json: malformed JSON" in html and f"{bad}:3: messages[0].content: is empty" in html
    assert "first 2 of 2" in html and "assistant (characters)" in html
    assert "错误记录（显示前 2 条，共 2 条）" in data_tab.render(kept, "中文")  # the kept result re-renders


def test_report_lists_the_first_errors_and_the_total():
    report = {"format": None, "records": 0, "bad_records": 7, "errors": [f"f.jsonl:{i}: json: bad" for i in (1, 2)]}
    html = data_view.report_html(report)
    assert "first 2 of 7" in html and "unknown" in html and "No valid record to measure" in html


def test_a_source_with_no_records_is_not_called_clean():
    html = data_view.report_html({"format": None, "records": 0, "bad_records": 0, "errors": []})
    assert "No bad records" not in html
    assert "This source holds no usable records: a training run would stop on it." in html
    assert "该数据源没有可用的记录" in data_view.report_html({"records": 0, "bad_records": 0}, "中文")


def test_dataset_text_is_escaped_everywhere():
    span = data_view.token_span(XSS, 5, True)
    assert "<script>" not in span and "&lt;script&gt;" in span and 'data-loss="1"' in span
    tokens = [{"text": XSS, "id": 1, "loss": False}, {"text": '"><img src=x onerror=alert(1)>', "id": 2, "loss": True}]
    preview = {"pack": True, "samples": 2, "rows": [{"tokens": tokens, "starts": [0, 1]}]}
    html = data_view.preview_html(preview)
    assert "<script>" not in html and "<img" not in html and html.count("data-boundary") == 1
    files = {f"{XSS}/a.jsonl": {"records": 1}, "b.jsonl": {"records": 0}}
    report = {
        "format": XSS,
        "records": 1,
        "bad_records": 1,
        "errors": [f"{XSS}.jsonl:1: {XSS}: is bad"],
        "files": files,
    }
    assert "<script>" not in data_view.report_html(report)
    assert "<script>" not in data_view.error_html(XSS)


def test_preview_renders_loss_and_masked_tokens_escaped(studio_home, tmp_path):
    record = {"messages": [{"role": "user", "content": f"say {XSS}"}, {"role": "assistant", "content": XSS}]}
    path = jsonl(tmp_path / "xss.jsonl", json.dumps(record), json.dumps(GOOD))
    html, kept = data_tab.preview(str(studio_home), str(path), "auto", "auto", "builtin:tiny-tokenizer", 256, True, 2)
    assert kept["kind"] == "preview", kept
    assert 'data-loss="1"' in html and 'data-loss="0"' in html and "data-boundary" in html
    assert "<script>" not in html and "&lt;" in html
    row = kept["data"]["rows"][0]
    assert "packed row 1" in html and "2 samples" in html
    assert f"{row['n_tokens']} tokens, {row['loss_tokens']} with loss" in html
    # The template check rides along: the tokenizer's own chat template renders every record and learns its end.
    assert '<div class="template-check"><b>Template check</b>' in html and 'class="template-ok"' in html
    assert "end-of-turn &#x27;&lt;|im_end|&gt;\\n&#x27;" in html


def test_preview_shows_a_failing_template_check(studio_home, tmp_path):
    """The official GLM-4.5 template ends replies with nothing: the Data tab says so before any run."""
    from template_oracle import SHARED_TEMPLATES

    glm = str(SHARED_TEMPLATES / "glm-4.5.jinja")
    html, kept = data_tab.preview(str(studio_home), str(SFT), "auto", glm, "builtin:tiny-tokenizer", 256, False, 1)
    assert kept["kind"] == "preview", kept
    assert 'class="template-fail"' in html and "the template writes nothing after a reply" in html
    assert "try data.template: glm4" in html
    html, kept = data_tab.preview(str(studio_home), str(SFT), "auto", "/no/x.jinja", None, 256, False, 1)
    assert kept["kind"] == "error" and "template: /no/x.jinja: no such file" in html


def test_preview_json_from_the_cli(studio_home):
    res = run_cli("data", "preview", "builtin:samples/sft_messages.jsonl", "--n", "2", "--json", home=studio_home)
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert out["samples"] == 2 and len(out["rows"]) == 2 and not out["pack"]
    for row in out["rows"]:
        assert row["starts"] == [0] and row["n_tokens"] == len(row["tokens"])
        assert row["loss_tokens"] == sum(t["loss"] for t in row["tokens"]) > 0
        assert all(isinstance(t["text"], str) and isinstance(t["id"], int) for t in row["tokens"])
        trained = "".join(t["text"] for t in row["tokens"] if t["loss"])
        assert trained.endswith("<|im_end|>\n") and "<|im_start|>" not in trained
    assert out["n_tokens"] == sum(r["n_tokens"] for r in out["rows"])


# ------------------------------------------------------------------------------ commands and errors


def test_commands_show_what_the_buttons_run(tmp_path):
    sample = "builtin:samples/sft_messages.jsonl"
    text = commands_text(tmp_path, sample, "auto", "qwen", "builtin:tiny-tokenizer", 512, True, 4)
    inspect_line, preview_line = [line for line in text.splitlines() if not line.startswith("#")]
    assert inspect_line.startswith(f"studio --home {tmp_path} data inspect builtin:samples/sft_messages.jsonl")
    assert "--template qwen" in inspect_line and inspect_line.endswith("--json")
    assert "--cutoff-len 512 --n 4 --pack --json" in preview_line
    assert commands_text(tmp_path, "/no/such.jsonl", "auto", "auto", None, 1, False, 1).startswith("# /no/such")


def test_bad_path_and_bad_tokenizer_are_one_line(tmp_path):
    html, kept = data_tab.inspect(str(tmp_path), str(tmp_path / "nope.jsonl"), "auto", "auto", None)
    assert kept["kind"] == "error" and "nope.jsonl: no such file or folder" in html
    html, _ = data_tab.preview(str(tmp_path), str(SFT), "auto", "auto", str(tmp_path / "no-tok"), 64, False, 1)
    assert "is not a folder" in html
    html, _ = data_tab.inspect(str(tmp_path), "builtin:models/x", "auto", "auto", None)
    assert "unknown builtin dataset" in html


def test_failing_subprocess_is_one_line_without_traceback(studio_home, tmp_path):
    crash = [sys.executable, "-c", "raise RuntimeError('boom')"]
    with pytest.raises(DataTabError) as exc:
        run_json([], program=crash)
    assert str(exc.value) == "RuntimeError: boom"
    with pytest.raises(DataTabError, match="timed out after"):
        run_json([], timeout=0.5, program=[sys.executable, "-c", "import time; time.sleep(30)"])
    # A real CLI failure: a folder that holds no tokenizer (the CLI exits 2 with "error: ...").
    (tmp_path / "empty-tok").mkdir()
    html, kept = data_tab.inspect(str(studio_home), str(SFT), "auto", "auto", str(tmp_path / "empty-tok"))
    assert kept["kind"] == "error" and "Traceback" not in html and html.count("\n") == 0


def test_wrong_format_previews_nothing_with_a_hint(studio_home):
    html, kept = data_tab.preview(str(studio_home), str(SFT), "alpaca", "auto", "builtin:tiny-tokenizer", 64, False, 2)
    assert kept["data"]["rows"] == [] and "No valid record to preview" in html
