"""The data-mix viewer in a real browser: Debian's chromium driven by Playwright, against ``studio viewer``'s
own Streamlit command (headless, telemetry off, loopback only).

A user loads a sample data folder, moves one source's slider, sees the chart and the epochs table
change, and saves the policy to the workspace, which then validates as ``data.mix.policy``. The page
must fetch nothing from outside the server. `STUDIO_SCREENSHOTS=1` refreshes docs/screenshots/viewer.png.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest
from ui_helpers import CHROMIUM, ROOT, chromium, free_port

if not Path(CHROMIUM).exists():
    pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api")

from backend.spec import load_policy  # noqa: E402
from backend.workspace import SAMPLES_DIR  # noqa: E402
from cli.frontends import viewer_argv  # noqa: E402 - after the skips

pytestmark = pytest.mark.browser
SHOTS = ROOT / "docs" / "screenshots" if os.environ.get("STUDIO_SCREENSHOTS") == "1" else Path(tempfile.mkdtemp())


@pytest.fixture(scope="module")
def viewer(tmp_path_factory):
    """``studio viewer``'s command on a free port over a fresh workspace; yields (url, home, data folder)."""
    root = tmp_path_factory.mktemp("viewer")
    home, data = root / "home", root / "data"
    data.mkdir()
    for name in ("sft_messages.jsonl", "sft_sharegpt.jsonl", "sft_alpaca.json"):
        shutil.copy(SAMPLES_DIR / name, data / name)
    port = free_port()
    env = {**os.environ, "STUDIO_HOME": str(home)}
    proc = subprocess.Popen(viewer_argv(port), cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    t0 = time.time()
    while time.time() - t0 < 60 and proc.poll() is None:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as resp:
                if resp.read() == b"ok":
                    break
        except OSError:
            time.sleep(0.1)
    try:
        assert proc.poll() is None, proc.stdout.read().decode()
        yield url, home, data
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture
def page(viewer):
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1500, "height": 2700})
        page.set_default_timeout(30_000)
        page.requests = []
        page.on("request", lambda request: page.requests.append(request.url))
        yield page


def epochs_table(page) -> str:
    return page.locator("[data-testid='stTable']").first.inner_text()


def chart_png(page) -> bytes:
    return page.locator("[data-testid='stVegaLiteChart']").nth(1).screenshot()


def wait_for(predicate, what: str, timeout: float = 30):
    t0 = time.time()
    while time.time() - t0 < timeout:
        if predicate():
            return
        time.sleep(0.25)
    raise AssertionError(f"timed out waiting for {what}")


def test_viewer_loads_a_folder_retunes_a_slider_and_exports_a_policy(viewer, page):
    url, home, data = viewer
    page.goto(url)
    page.get_by_text("Data-mix viewer").first.wait_for()
    folder = page.get_by_role("textbox", name="Data folder", exact=True)
    folder.fill(str(data))
    folder.press("Enter")
    page.get_by_role("button", name="Load sources").click()
    page.locator("[data-testid='stTable']").first.wait_for()
    page.locator("[data-testid='stVegaLiteChart']").nth(1).wait_for()
    time.sleep(1)  # let vega finish drawing before the reference picture
    table0, chart0 = epochs_table(page), chart_png(page)
    assert "sft_sharegpt" in table0 and "epochs" in table0

    box = page.locator("[data-testid='stSlider']").filter(has_text="sft_sharegpt")
    slider = box.get_by_role("slider")
    slider.focus()
    slider.press("End")  # 100%: sharegpt takes most of the mix and the others shrink
    wait_for(lambda: epochs_table(page) != table0, "the epochs table to follow the slider")
    wait_for(lambda: chart_png(page) != chart0, "the chart to follow the slider")
    assert "100.0%" in box.inner_text()

    name = page.get_by_role("textbox", name="Policy name", exact=True)
    name.fill("browser mix")
    name.press("Enter")
    page.get_by_role("button", name="Save to workspace").click()
    page.get_by_text("Saved to").wait_for()
    policy = load_policy(home / "policies" / "browser-mix.yaml")
    weights = {s.name: s.weight for s in policy.sources}
    assert weights["sft_sharegpt"] == max(weights.values()) and policy.mix.strategy == "interleave"
    assert f"{weights['sft_sharegpt']:.2f}" in epochs_table(page)  # the table shows the share that was exported

    page.screenshot(path=str(SHOTS / "viewer.png"))  # the viewport holds the whole page
    outside = [u for u in page.requests if not u.startswith((url, "data:", "blob:"))]
    assert outside == [], "the viewer fetched something from outside its server"


def test_viewer_shows_stages_per_source_and_filters_a_mix_by_stage(viewer, page):
    """Issue 17: the shipped samples mix chat, text, preference, KTO and evaluation files; the viewer says which
    stages can use each, warns that no stage can use them all, and the sft filter keeps only chat sources."""
    url, home, _ = viewer
    page.goto(url)
    folder = page.get_by_role("textbox", name="Data folder", exact=True)
    folder.fill(str(SAMPLES_DIR))
    folder.press("Enter")
    page.get_by_role("button", name="Load sources").click()
    page.get_by_text("No stage can train on every source", exact=False).wait_for()
    page.get_by_text("Train stage", exact=True).wait_for()  # (the sources table is a canvas: its stages are
    # checked by tests/test_data_newuser.py through AppTest)
    stage = page.locator("[data-testid='stSelectbox']").filter(has_text="Train stage").locator("input").first
    stage.click(force=True)
    stage.press_sequentially("sft")
    stage.press("Enter")
    page.get_by_text("source 'eval_choice' is choice data: the sft stage cannot train on it", exact=False).wait_for()
    page.get_by_text("source 'preference' is preference data", exact=False).wait_for()
    code = page.locator("[data-testid='stCode']").first.inner_text()
    assert "sft_messages.jsonl" in code and "eval_choice" not in code and "kto.jsonl" not in code
    assert "None" not in epochs_table(page)
