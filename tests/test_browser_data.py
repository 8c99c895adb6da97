"""The Data tab and a new user's data path in a real browser (Debian's chromium through Playwright, ONE
webui.py for the module): inspect a shipped sample, preview its tokens (green with loss, grey masked), upload
a file and inspect it; then issue 17's path: upload → Use for training → Start → succeeded on a fresh
workspace with the tiny model (2 records, so no validation split); the Datasets picker and its help text; a
policy picked by the Datasets table and refused by pre-flight when its formats do not fit; a hub id's
message; the preference and byte-piece preview and the Tokens panel cleared on Inspect of another file.
`STUDIO_SCREENSHOTS=1` refreshes docs/screenshots/data.png."""

from __future__ import annotations

import json
import os
import re
import tempfile
import time
from pathlib import Path

import pytest
from ui_helpers import CHROMIUM, ROOT, abort_active_runs, build_tiny_model, start_server, stop_server

if not Path(CHROMIUM).exists():
    pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api")

from backend.run.registry import Registry  # noqa: E402 - after the skips
from studio.train_form import elem_id  # noqa: E402

pytestmark = pytest.mark.browser
SHOTS = ROOT / "docs" / "screenshots" if os.environ.get("STUDIO_SCREENSHOTS") == "1" else Path(tempfile.mkdtemp())
GREEN, GREY = "rgb(187, 247, 208)", "rgb(229, 231, 235)"  # data_view's LOSS_STYLE / MASKED_STYLE backgrounds
SHAREGPT = [
    {"conversations": [{"from": "human", "value": f"What is {i} plus {i}?"}, {"from": "gpt", "value": f"{2 * i}."}]}
    for i in (1, 2)
]
STATES = re.compile(r"\b(created|queued|starting|running|aborting|succeeded|failed|aborted)\b")


@pytest.fixture(scope="module")
def ui(tmp_path_factory):
    """webui.py over a fresh workspace with the tiny model, a saved policy and a registry dataset."""
    home = tmp_path_factory.mktemp("browser-data") / "ws"
    home.mkdir()
    build_tiny_model(home)
    (home / "policies").mkdir()
    (home / "policies" / "mixed.yaml").write_text(
        "sources:\n  - path: builtin:samples/sft_messages.jsonl\n    weight: 3\n"
        "  - path: builtin:samples/eval_choice.jsonl\n    weight: 1\nmix:\n  strategy: interleave\n"
    )
    (home / "datasets.yaml").write_text("chat_qa:\n  path: datasets/sft.jsonl\n  description: tiny chat\n")
    server = start_server(home, HF_HUB_OFFLINE="1")
    assert server.status == 200, server.proc.stdout.read() if server.proc.poll() is not None else "no answer"
    try:
        yield server
    finally:
        abort_active_runs(home)
        stop_server(server)


@pytest.fixture
def page(browser, ui):
    page = browser.new_page(viewport={"width": 1500, "height": 1300})
    page.set_default_timeout(60_000)
    page.goto(ui.url)
    page.wait_for_selector("#studio-start")
    yield page
    page.close()


def background(page, selector: str) -> str:
    return page.locator(selector).first.evaluate("e => getComputedStyle(e).backgroundColor")


def test_inspect_preview_and_upload(page, ui, tmp_path):
    page.get_by_role("tab", name="Data", exact=True).click()
    page.wait_for_selector("#data-inspect")
    # The default dataset is the shipped chat sample; the command it runs is shown.
    assert "data inspect builtin:samples/sft_messages.jsonl" in page.locator("#data-commands").inner_text()
    page.locator("#data-inspect").click()
    page.locator("#data-report .data-format").get_by_text("messages", exact=True).wait_for()
    assert page.locator("#data-report .data-records").inner_text() == "300"
    assert "tokens per record" in page.locator("#data-report table").inner_text()

    page.locator("#data-pack input").check()
    page.locator("#data-preview-btn").click()
    page.locator('#data-tokens span[data-loss="1"]').first.wait_for()
    assert page.locator('#data-tokens span[data-loss="0"]').count() > 0
    assert background(page, '#data-tokens span[data-loss="1"]') == GREEN
    assert background(page, '#data-tokens span[data-loss="0"]') == GREY
    assert page.locator("#data-tokens .data-boundary").count() >= 1  # packed: sample boundaries are marked
    assert "with loss" in page.locator("#data-tokens").inner_text()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "data.png"), full_page=True)

    record = {"messages": [{"role": "user", "content": "<b>hi</b>"}, {"role": "assistant", "content": "hello"}]}
    upload = tmp_path / "my chat.jsonl"
    upload.write_text((json.dumps(record) + "\n") * 2 + "not json\n", encoding="utf-8")
    page.get_by_text("Upload a dataset file", exact=True).click()
    page.locator("#data-upload input[type=file]").set_input_files(str(upload))
    page.locator("#data-upload-status").get_by_text("data/uploads/my_chat.jsonl", exact=False).wait_for()
    saved = ui.home / "data" / "uploads" / "my_chat.jsonl"
    assert saved.read_bytes() == upload.read_bytes()
    assert page.locator("#data-path input").input_value() == "data/uploads/my_chat.jsonl"
    page.locator("#data-commands").get_by_text(str(saved), exact=False).first.wait_for()
    page.locator("#data-inspect").click()
    page.locator("#data-report .data-records").get_by_text("2", exact=True).wait_for()
    errors = page.locator("#data-report .data-errors").inner_text()
    assert f"{saved}:3: json: malformed JSON" in errors
    assert "Traceback" not in page.content()

    # The language switch relabels the tab and re-renders the kept report.
    page.get_by_role("radio", name="中文", exact=True).click()
    page.get_by_role("button", name="检查", exact=True).wait_for()
    page.locator("#data-report").get_by_text("错误记录（显示前 1 条，共 1 条）", exact=True).wait_for()


def wait_for(predicate, timeout: float, what: str, poll: float = 0.2):
    t0 = time.time()
    while time.time() - t0 < timeout:
        if value := predicate():
            return value
        time.sleep(poll)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def set_value(page, name: str, value) -> None:
    box = page.locator(f"#{elem_id(name)} input").first
    box.fill(str(value))
    box.press("Tab")


def pick(page, selector: str, option: str) -> None:
    box = page.locator(f"{selector} input")
    box.click()
    box.fill(option)
    page.get_by_role("option", name=option, exact=True).click()


def table_text(page) -> str:
    return page.locator(f"#{elem_id('data.sources')}").inner_text()


def test_upload_use_for_training_start_succeeds_without_a_validation_split(page, ui, tmp_path):
    upload = tmp_path / "sharegpt.jsonl"
    upload.write_text("".join(json.dumps(r) + "\n" for r in SHAREGPT), encoding="utf-8")
    page.get_by_role("tab", name="Data", exact=True).click()
    page.get_by_text("Upload a dataset file", exact=True).click()
    page.locator("#data-upload input[type=file]").set_input_files(str(upload))
    page.locator("#data-upload-status").get_by_text("data/uploads/sharegpt.jsonl", exact=False).wait_for()
    page.locator("#data-use").click()
    page.locator("#data-use-status .data-used").wait_for()
    assert (
        "data/uploads/sharegpt.jsonl is now the Train tab's only dataset"
        in page.locator("#data-use-status").inner_text()
    )
    page.locator("#studio-start").wait_for(state="visible")  # the Train tab opened by itself
    wait_for(lambda: "data/uploads/sharegpt.jsonl" in table_text(page), 30, "the upload in the Datasets table")
    set_value(page, "train.max_steps", 2)
    set_value(page, "data.cutoff_len", 64)
    before = {r.id for r in Registry(ui.home).list()}
    page.locator("#studio-start").click()
    (run,) = wait_for(lambda: [r for r in Registry(ui.home).list() if r.id not in before], 60, "the run")
    badge = page.locator("#studio-train-status")

    def state():
        match = STATES.search(badge.inner_text()) if run.id in badge.inner_text() else None
        return match[1] if match and match[1] in ("succeeded", "failed", "aborted") else ""

    assert wait_for(state, 240, "the run to end") == "succeeded", page.locator(
        "#studio-train-log textarea"
    ).input_value()
    job = (run.path / "job.yaml").read_text(encoding="utf-8")
    assert "path: data/uploads/sharegpt.jsonl" in job and "val_size: 0.05" in job  # the relative path, as shown
    events = (run.path / "events.jsonl").read_text(encoding="utf-8")
    assert "no validation split: 2 records (data.val_size 0.05 of them is under one record)" in events
    assert "Traceback" not in page.content()


def test_datasets_picker_help_and_policy_banner(page, ui):
    # The help under the table keeps its placeholder and says where relative paths are read from.
    help_text = page.locator(".studio-help").first.inner_text()
    assert "'dataset:<name>' for a dataset of the workspace's datasets.yaml" in help_text
    assert "a relative path is read from the workspace" in help_text
    # The picker lists workspace files, samples and registry datasets; "Add as a row" appends, "Use only" replaces.
    pick(page, "#train-dataset-picker", "dataset:chat_qa (tiny chat)")
    page.locator("#train-dataset-add").click()
    wait_for(lambda: "dataset:chat_qa" in table_text(page), 30, "the registry dataset as a new row")
    assert "builtin:samples/sft_messages.jsonl" in table_text(page)
    pick(page, "#train-dataset-picker", "datasets/sft.jsonl")
    page.locator("#train-dataset-only").click()
    wait_for(lambda: "dataset:chat_qa" not in table_text(page), 30, "the table replaced by the one file")
    assert "datasets/sft.jsonl" in table_text(page)
    # A policy picked beside the table: the banner says it replaces the table and lists its sources.
    assert not page.locator("#train-policy-replaces").is_visible()
    pick(page, "#train-policy-picker", "mixed.yaml")
    page.locator("#train-policy-replaces").wait_for(state="visible")
    assert "its sources replace the Datasets table" in page.locator("#train-policy-replaces").inner_text()
    listed = page.locator("#train-policy-sources").inner_text()
    assert "eval_choice.jsonl" in listed and "sft_messages.jsonl" in listed
    box = page.locator("#train-policy-picker").bounding_box()
    arrow = page.locator("#train-policy-picker svg").last.bounding_box()
    assert arrow["x"] + arrow["width"] <= box["x"] + box["width"]  # the arrow sits inside its box
    # Pre-flight refuses the choice source before any run exists, naming the policy.
    before = len(Registry(ui.home).list())
    page.locator("#studio-start").click()
    errors = page.locator("#studio-train-errors")
    errors.get_by_text("is 'choice' data; the sft stage needs a chat format", exact=False).wait_for()
    assert "in the data-mix viewer pick the stage sft" in errors.inner_text()
    assert len(Registry(ui.home).list()) == before
    # Clearing the picker brings the table back (the banner goes).
    page.locator(f"#{elem_id('data.mix.policy')} textarea, #{elem_id('data.mix.policy')} input").first.fill("")
    page.locator(f"#{elem_id('data.mix.policy')} textarea, #{elem_id('data.mix.policy')} input").first.press("Tab")
    page.locator("#train-policy-replaces").wait_for(state="hidden")


def test_a_hub_id_gets_a_message_that_says_how_to_get_it(page, ui):
    box = page.locator(f"#{elem_id('model.name_or_path')} textarea, #{elem_id('model.name_or_path')} input").first
    box.fill("Qwen/Qwen2.5-0.5B-Instruct")
    box.press("Tab")
    before = len(Registry(ui.home).list())
    page.locator("#studio-start").click()
    errors = page.locator("#studio-train-errors")
    errors.get_by_text("is not downloaded and the studio is offline", exact=False).wait_for()
    text = errors.inner_text()
    assert "hf:Qwen/Qwen2.5-0.5B-Instruct" in text and "huggingface-cli download Qwen/Qwen2.5-0.5B-Instruct" in text
    assert "is not a folder" not in text and len(Registry(ui.home).list()) == before


def test_preference_preview_byte_pieces_and_tokens_panel_cleared(page, ui):
    page.get_by_role("tab", name="Data", exact=True).click()
    pick(page, "#data-path", "builtin:samples/preference.jsonl")
    page.locator("#data-preview-btn").click()
    page.locator('#data-tokens .data-row[data-side="rejected"]').first.wait_for()
    tokens = page.locator("#data-tokens")
    assert "pair 1 · prompt + chosen reply" in tokens.inner_text()
    assert "pair 1 · prompt + rejected reply" in tokens.inner_text()
    for side in ("chosen", "rejected"):  # each with its mask: the prompt grey, the reply scored
        row = page.locator(f'#data-tokens .data-row[data-side="{side}"]').first
        assert row.locator('span[data-loss="0"]').count() > 0 and row.locator('span[data-loss="1"]').count() > 0
    rejected = page.locator('#data-tokens .data-row[data-side="rejected"] span[data-loss="1"]').first
    assert rejected.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(254, 202, 202)"
    merged = page.locator("#data-tokens .data-merged").first  # 中文 replies: byte pieces drawn as characters
    assert "byte pieces" in merged.get_attribute("title") and "\ufffd" not in tokens.inner_text()
    # Inspect of another file: the preview of the pairs is gone, not left beside the new report.
    pick(page, "#data-path", "builtin:samples/sft_sharegpt.jsonl")
    page.locator("#data-inspect").click()
    page.locator("#data-report .data-format").get_by_text("sharegpt", exact=True).wait_for()
    wait_for(lambda: page.locator("#data-tokens .data-row").count() == 0, 30, "the Tokens panel to clear")
