"""The Chat and Export tabs in a real browser (Debian's chromium through Playwright).

A tiny LoRA run is trained first (a very small model, seconds); then the user loads it in the Chat tab,
sees an answer stream in, adds a second model side by side, unloads both (their worker processes end),
closes a page with a model loaded (its worker ends too), and exports the run.
`STUDIO_SCREENSHOTS=1` refreshes docs/screenshots/chat.png and export.png.
"""

from __future__ import annotations

import os
import re
import tempfile
import time
from pathlib import Path

import pytest
from conftest import run_cli
from ui_helpers import CHROMIUM, ROOT, build_tiny_model, start_server, stop_server

if not Path(CHROMIUM).exists():
    pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api")

from backend.run.registry import Registry  # noqa: E402 - after the skips, so a machine without chromium skips fast

pytestmark = pytest.mark.browser
SHOTS = ROOT / "docs" / "screenshots" if os.environ.get("STUDIO_SCREENSHOTS") == "1" else Path(tempfile.mkdtemp())
PID = re.compile(r"worker pid (\d+)")
# Every distinct length of model A's last answer, recorded on each change of the page (so streaming shows).
WATCH = """() => {
  window.__lengths = new Set();
  const box = document.querySelector('#chat-a-answers');
  new MutationObserver(() => {
    const bots = box.querySelectorAll('[data-testid="bot"]');
    if (bots.length) window.__lengths.add(bots[bots.length - 1].textContent.length);
  }).observe(box, {subtree: true, childList: true, characterData: true});
}"""


@pytest.fixture(scope="module")
def ui(tmp_path_factory):
    """webui.py over a workspace with a very small model and one trained tiny LoRA run (``chat-run``)."""
    home = tmp_path_factory.mktemp("browser-chat") / "ws"
    home.mkdir()
    data = build_tiny_model(home)
    proc = run_cli("train", "presets/sft/tiny-lora.yaml", "--set", "train.max_steps=6",
                   "--set", f"data.sources=[{{path: {data}}}]", "--set", "data.val_size=0",
                   "--set", "output.run_name=chat-run", home=home)  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (run,) = Registry(home).list()
    server = start_server(home)
    assert server.status == 200, server.proc.stdout.read() if server.proc.poll() is not None else "no answer"
    server.run = run
    try:
        yield server
    finally:
        stop_server(server)


def open_tab(browser, ui, tab: str):
    page = browser.new_page(viewport={"width": 1500, "height": 1500})
    page.set_default_timeout(120_000)
    page.goto(ui.url)
    page.get_by_role("tab", name=tab, exact=True).click()
    return page


def load(page, slot: str) -> int:
    """Press Load in slot ``a``/``b`` and wait for the loaded line (with the worker's memory); its pid."""
    page.locator(f"#chat-{slot}-load").click()
    status = page.locator(f"#chat-{slot}-status")
    status.get_by_text("RSS", exact=False).wait_for()
    return int(PID.search(status.inner_text()).group(1))


def until(predicate, timeout: float) -> bool:
    """Poll ``predicate`` until it holds (True) or ``timeout`` seconds pass (False)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def gone(pid: int, within: float = 0) -> bool:
    deadline = time.monotonic() + within
    while True:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.25)


def test_chat_streams_side_by_side_and_unload_frees_the_workers(browser, ui):
    page = open_tab(browser, ui, "Chat")
    assert page.locator("#chat-a-model input").input_value() == f"chat-run · {ui.run.id} · adapter"
    page.get_by_text("Generation options", exact=True).click()
    page.locator("#chat-max-new-tokens input").fill("120")
    # A flat distribution (temperature 2, top-p 1) rarely picks the end token early: a long, streamed answer.
    for field, value in (("temperature", "2"), ("top-p", "1"), ("seed", "-1")):
        page.locator(f"#chat-{field} input[type=number]").fill(value)
        page.locator(f"#chat-{field} input[type=number]").press("Tab")
    pid_a = load(page, "a")
    assert "LoRA merged into the base" in page.locator("#chat-a-status").inner_text()

    page.evaluate(WATCH)
    page.locator("#chat-prompt textarea").fill("What is 3 plus 3?")
    page.locator("#chat-send").click()
    page.locator("#chat-a-status").get_by_text("last answer:", exact=False).wait_for()
    assert page.locator("#chat-prompt textarea").input_value() == ""
    # A random tiny model may end its answer after a few tokens; streaming shows on a long one, so
    # regenerate (random seed) until an answer is long enough to arrive in several pieces.
    for _ in range(6):
        answer = page.locator('#chat-a-answers [data-testid="bot"]').last.text_content()
        lengths = page.evaluate("[...window.__lengths]")
        if len(answer.strip()) >= 40 and len(lengths) >= 2:
            break
        page.evaluate(WATCH)
        status = page.locator("#chat-a-status").inner_text()
        page.locator("#chat-regenerate").click()
        until(lambda s=status: page.locator("#chat-a-status").inner_text() not in (s, ""), 120)
    assert answer.strip()
    # Streamed: the page showed the answer part-written before it was whole (gradio may coalesce
    # several tokens into one update, so the count of intermediate states varies).
    assert len(lengths) >= 2 and min(lengths) < max(lengths), f"the answer appeared in one piece: {lengths}"

    # Side by side: model B is the builtin tiny model; one prompt, two answers.
    page.locator("#chat-side input").check()
    box = page.locator("#chat-b-model input")
    box.click()
    box.fill("builtin")
    page.get_by_role("option", name="builtin:tiny-llama (the project's tiny model)", exact=True).click()
    pid_b = load(page, "b")
    assert pid_b != pid_a
    page.locator("#chat-prompt textarea").fill("你好")
    page.locator("#chat-send").click()
    page.locator("#chat-b-status").get_by_text("last answer:", exact=False).wait_for()
    page.wait_for_function("document.querySelectorAll('#chat-a-answers [data-testid=\"bot\"]').length === 2")
    assert page.locator('#chat-b-answers [data-testid="user"]').count() == 1
    assert page.locator('#chat-b-answers [data-testid="bot"]').last.text_content().strip()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "chat.png"), full_page=True)

    # Unload ends each worker process: its memory goes back to the system.
    for slot, pid in (("a", pid_a), ("b", pid_b)):
        page.locator(f"#chat-{slot}-unload").click()
        page.locator(f"#chat-{slot}-status").get_by_text(f"worker pid {pid} ended", exact=False).wait_for()
        assert gone(pid)
    assert "Traceback" not in page.content()

    # Closing the page ends the session, and the worker of a model still loaded with it.
    pid = load(page, "a")
    page.close()
    assert gone(pid, within=60), "the worker outlived its page"


def test_export_tab_writes_the_run_under_exports(browser, ui):
    page = open_tab(browser, ui, "Export")
    assert page.locator("#export-name textarea").input_value() == "chat-run"
    out = ui.home / "exports" / "chat-run"
    page.locator("#export-command").get_by_text(f"--out {out}", exact=False).wait_for()
    page.locator("#export-go").click()
    page.locator("#export-summary").get_by_text("Exported to", exact=False).wait_for()
    summary = page.locator("#export-summary").inner_text()
    assert "Modelfile: written" in summary and "model.safetensors" in summary
    assert (out / "Modelfile").is_file() and (out / "model.safetensors").is_file()
    assert "exported " in page.locator("#export-log textarea").input_value()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "export.png"), full_page=True)
    page.close()
