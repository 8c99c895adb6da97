"""The Data tab in a real browser (Debian's chromium through Playwright): inspect a shipped sample,
preview its tokens (green with loss, grey masked), upload a file and inspect it.
`STUDIO_SCREENSHOTS=1` refreshes docs/screenshots/data.png."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import pytest
from ui_helpers import ROOT, start_server, stop_server

CHROMIUM = "/usr/bin/chromium"
if not Path(CHROMIUM).exists():
    pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api")

pytestmark = pytest.mark.browser
SHOTS = ROOT / "docs" / "screenshots" if os.environ.get("STUDIO_SCREENSHOTS") == "1" else Path(tempfile.mkdtemp())
GREEN, GREY = "rgb(187, 247, 208)", "rgb(229, 231, 235)"  # data_view's LOSS_STYLE / MASKED_STYLE backgrounds


@pytest.fixture(scope="module")
def ui(tmp_path_factory):
    home = tmp_path_factory.mktemp("browser-data") / "ws"
    home.mkdir()
    server = start_server(home)
    assert server.status == 200, server.proc.stdout.read() if server.proc.poll() is not None else "no answer"
    try:
        yield server
    finally:
        stop_server(server)


@pytest.fixture
def page(ui):
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 1500, "height": 1300})
        page.set_default_timeout(60_000)
        page.goto(ui.url)
        page.get_by_role("tab", name="Data", exact=True).click()
        page.wait_for_selector("#data-inspect")
        yield page
        browser.close()


def background(page, selector: str) -> str:
    return page.locator(selector).first.evaluate("e => getComputedStyle(e).backgroundColor")


def test_inspect_preview_and_upload(page, ui, tmp_path):
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
