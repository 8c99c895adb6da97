"""The Models tab in a real browser: a download from a local hub (127.0.0.1, the Hugging Face layout) with live
progress, the page closed and reopened mid-download, then the download finished and listed.

The studio runs with ``HF_HUB_OFFLINE=0`` and ``HF_ENDPOINT`` at the local hub (for its process only).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hub_server import Hub, HubServer
from ui_helpers import CHROMIUM, build_tiny_model, chromium, start_server, stop_server

if not Path(CHROMIUM).exists():
    pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api")

pytestmark = pytest.mark.browser
REPO = "org/tiny"


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    home = tmp_path_factory.mktemp("browser-models")
    build_tiny_model(home)
    hub = Hub()
    hub.add_folder(REPO, home / "models" / "tiny-llama")
    hub.slow.add("model.safetensors")
    hub.slow_s = 0.25  # ~16 KiB/s: the download lasts long enough to close and reopen the page
    with HubServer(hub) as url:
        server = start_server(home, HF_HUB_OFFLINE="0", HF_ENDPOINT=url)
        assert server.status == 200
        try:
            yield server, hub
        finally:
            stop_server(server)


def open_models(browser, server):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(30_000)
    page.goto(server.url)
    page.get_by_role("tab", name="Models", exact=True).click()
    page.wait_for_selector("#models-downloads")
    return page


def test_download_with_progress_survives_a_closed_page(setup):
    server, hub = setup
    with chromium() as browser:
        page = open_models(browser, server)
        page.locator("#models-id textarea, #models-id input").first.fill(f"hf:{REPO}")
        page.locator("#models-download").click()
        row = page.locator('.studio-download[data-state="downloading"]')
        row.wait_for()
        sync_api.expect(row).to_contain_text(re.compile(r"KiB / .* · \d+% · .*/s · ETA"))
        first = int(re.search(r"(\d+)%", row.inner_text()).group(1))
        page.close()  # closed mid-download: the download is a process of its own

        page = open_models(browser, server)
        row = page.locator('.studio-download[data-state="downloading"]')
        row.wait_for()
        sync_api.expect(row).to_contain_text(f"hf:{REPO}")
        assert int(re.search(r"(\d+)%", row.inner_text()).group(1)) >= first
        hub.slow_s = 0.0  # let it finish
        page.locator('.studio-download[data-state="succeeded"]').wait_for(timeout=60_000)
        sync_api.expect(page.locator("#models-list")).to_contain_text(f"hf:{REPO}", timeout=15_000)
        page.close()
    folder = server.home / "models" / "hub" / "hf" / "org--tiny"
    assert (folder / "model.safetensors").read_bytes() == hub.repos[REPO]["model.safetensors"]
    assert hub.gets("model.safetensors") == [None]  # one transfer, never restarted by the page's reload


def test_train_model_picker_lists_models_and_a_typed_hub_id_is_downloaded_first(setup):
    """The Train form's model field is a picker (the builtin model, downloads, exports, runs' full models) that
    takes free text; a hub id typed there is accepted and the preview says it will be downloaded first."""
    server, _ = setup
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(30_000)
        page.goto(server.url)
        box = page.locator("#field-model-name-or-path input")
        box.click()
        sync_api.expect(page.get_by_role("option", name="builtin · builtin:tiny-llama", exact=True)).to_be_visible()
        box.fill("hf:org/not-yet")
        box.press("Enter")
        page.locator("#studio-preview").click()  # opening the preview renders it
        sync_api.expect(page.locator("#studio-train-errors")).to_contain_text(
            "hf:org/not-yet will be downloaded first (the run's first step: status downloading)", timeout=30_000
        )
        sync_api.expect(page.locator("#studio-yaml")).to_contain_text("name_or_path: hf:org/not-yet")
        page.close()
