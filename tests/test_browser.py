"""The studio in a real browser: Debian's chromium driven by Playwright's sync API.

One webui.py serves a temporary workspace holding a very small model, and a user preset
(``tiny-fast``) that trains it on a small corpus, so a run started from the page takes seconds.
The scenarios are what a user does: load a preset, edit a field and see the YAML change; start a
run and watch it finish; switch to Chinese; reload the page mid-run; compare two runs; get a
field-named error for a bad value. `STUDIO_SCREENSHOTS=1` refreshes the README's screenshots in docs/screenshots/.
"""

from __future__ import annotations

import os
import re
import tempfile
import time
from pathlib import Path

import pytest
import yaml
from ui_helpers import CHROMIUM, ROOT, abort_active_runs, build_tiny_model, start_server, stop_server

if not Path(CHROMIUM).exists():
    pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api")

from backend.run.queue import abort_run  # noqa: E402 - after the skips, so a machine without chromium skips fast
from backend.run.registry import Registry, Run, latest_checkpoint  # noqa: E402
from studio.train_form import elem_id  # noqa: E402

pytestmark = pytest.mark.browser
# The README's screenshots are refreshed only on request (STUDIO_SCREENSHOTS=1), so a test run leaves the
# checkout clean; otherwise they go to a temporary folder (the page is still rendered and captured).
SHOTS = ROOT / "docs" / "screenshots" if os.environ.get("STUDIO_SCREENSHOTS") == "1" else Path(tempfile.mkdtemp())
PRESET_NAME = "tiny-fast"
STEP = re.compile(r"step (\d+)/(\d+)")


@pytest.fixture(scope="module")
def ui(tmp_path_factory):
    """webui.py over a workspace with the tiny model and a ``tiny-fast`` user preset; yields the Server."""
    root = tmp_path_factory.mktemp("browser")
    home, user = root / "ws", root / "user-presets"
    home.mkdir()
    data = build_tiny_model(home)
    preset = yaml.safe_load((ROOT / "presets/sft/tiny-lora.yaml").read_text())
    preset["data"] = {"sources": [{"path": str(data)}], "cutoff_len": 128, "val_size": 0}
    preset["train"] |= {"max_steps": 8, "logging_steps": 1, "eval_steps": 0, "per_device_batch_size": 4}
    preset["output"] = {"run_name": PRESET_NAME}
    user.mkdir()
    (user / f"{PRESET_NAME}.yaml").write_text(yaml.safe_dump(preset), encoding="utf-8")
    server = start_server(home, STUDIO_USER_PRESETS=str(user))
    assert server.status == 200, server.proc.stdout.read() if server.proc.poll() is not None else "no answer"
    server.preset = str(user / f"{PRESET_NAME}.yaml")
    try:
        yield server
    finally:
        abort_active_runs(home)
        stop_server(server)


@pytest.fixture
def page(browser, ui):
    page = browser.new_page(viewport={"width": 1500, "height": 1100})
    page.set_default_timeout(30_000)
    page.goto(ui.url)
    page.wait_for_selector("#studio-start")
    yield page
    page.close()


# ------------------------------------------------------------------------------------------ helpers


def field(page, name: str):
    """The input element of a JobSpec field."""
    return page.locator(f"#{elem_id(name)} input")


def load_preset(page, preset: str) -> None:
    """Pick ``preset`` in the dropdown and wait until its values are in the form (its max_steps is 8)."""
    set_value(page, "train.max_steps", -2)  # a value no preset has, so a stale form cannot pass the wait
    box = page.locator("#studio-preset input")
    box.click()
    box.fill(Path(preset).stem)
    page.get_by_role("option", name=preset, exact=True).click()
    page.wait_for_function(
        "id => document.querySelector(`#${id} input`).value === '8'", arg=elem_id("train.max_steps"), timeout=60_000
    )


def set_value(page, name: str, value) -> None:
    box = field(page, name)
    box.fill(str(value))
    box.press("Tab")


def progress(page) -> tuple[int, int] | None:
    match = STEP.search(page.locator("#studio-train-progress").inner_text())
    return (int(match[1]), int(match[2])) if match else None


STATES = re.compile(r"\b(created|queued|starting|running|aborting|succeeded|failed|aborted)\b")


def state(page) -> str:
    """The run state the status badge shows ("" when none; the block may also show a loading timer)."""
    match = STATES.search(page.locator("#studio-train-status").inner_text())
    return match[1] if match else ""


def wait_for(predicate, timeout: float, what: str, poll: float = 0.2):
    t0 = time.time()
    while time.time() - t0 < timeout:
        value = predicate()
        if value:
            return value
        time.sleep(poll)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def run_to_end(page, ui, lr: float | None = None, steps: int | None = None) -> tuple[Run, list[tuple[int, int]]]:
    """Start the tiny-fast preset (optionally with another learning rate or step count); return its run and
    the steps the page showed."""
    load_preset(page, ui.preset)
    if steps is not None:
        set_value(page, "train.max_steps", steps)
    if lr is not None:
        set_value(page, "train.learning_rate", lr)
    before = {r.id for r in Registry(ui.home).list()}
    page.locator("#studio-start").click()
    # The badge still shows the previous run until the new one's first tick: wait for the new run's id.
    (new,) = wait_for(lambda: [r for r in Registry(ui.home).list() if r.id not in before], 60, "the new run")
    badge = page.locator("#studio-train-status")
    wait_for(lambda: new.id in badge.inner_text(), 60, "the badge of the new run")
    seen: list[tuple[int, int]] = []

    def ended():
        if (p := progress(page)) and (not seen or seen[-1] != p):
            seen.append(p)
        return state(page) in ("succeeded", "failed", "aborted")

    wait_for(ended, 240, "the run to end", poll=0.1)
    ended()  # the status and the bar update in the same tick: take the bar's last value too
    run = new
    assert state(page) == "succeeded", page.locator("#studio-train-log textarea").input_value()
    # The trainer's last event comes a moment before the supervisor records the exit in the registry.
    run = wait_for(lambda: (r := Registry(ui.home).get(run.id)).finished and r, 30, "the registry's record")
    return run, seen


_CODE_TEXT_JS = """async (sel) => {
  const seen = new Set();
  for (let i = 0; i < 200; i++) {
    const lines = [...document.querySelectorAll(`${sel} .cm-line`)];
    const before = seen.size;
    lines.forEach((l) => seen.add(l.textContent));
    if (i > 0 && seen.size === before) break;
    lines[lines.length - 1].scrollIntoView();
    await new Promise((r) => setTimeout(r, 60));
  }
  return [...seen].join("\\n");
}"""


def code_text(page, selector: str) -> str:
    """The lines of a gr.Code editor (CodeMirror draws only the lines in view, so scroll through them)."""
    return page.evaluate(_CODE_TEXT_JS, selector)


def plotted_lines(page, plot: str) -> int:
    """How many drawn line marks a plot has (0 when it is empty)."""
    return page.locator(f"#studio-plot-{plot} polyline").count()


# ---------------------------------------------------------------------------------------- scenarios


def test_bad_value_names_the_field_and_launches_nothing(page, ui):
    before = len(Registry(ui.home).list())
    set_value(page, "train.learning_rate", -1)
    page.locator("#studio-start").click()
    errors = page.locator("#studio-train-errors")
    errors.get_by_text("train.learning_rate").wait_for()
    text = errors.inner_text()
    assert "greater than 0" in text and "Nothing was started" in text
    assert "preprocessing_workers" not in text  # an empty optional number stays empty (None), not 0
    assert len(Registry(ui.home).list()) == before
    assert "Traceback" not in page.content()


def test_preset_field_change_shows_in_preview(page, ui):
    load_preset(page, ui.preset)
    assert field(page, "train.max_steps").input_value() == "8"
    set_value(page, "train.max_steps", 7)
    page.get_by_text("Preview: YAML and commands", exact=True).click()
    preview = page.locator("#studio-preview")
    preview.get_by_text("--set train.max_steps=7").wait_for()
    yaml_text = code_text(page, "#studio-yaml")
    assert "max_steps: 7" in yaml_text and "learning_rate: 0.005" in yaml_text
    assert "accelerate.commands.launch" in preview.inner_text()


@pytest.mark.scale  # heavier end to end: make test-scale (CI runs both), keeps make test in its budget
def test_language_switch_relabels_every_tab(page):
    page.get_by_role("radio", name="中文", exact=True).click()
    page.get_by_role("tab", name="训练", exact=True).wait_for()
    assert page.get_by_text("学习率", exact=True).first.is_visible()
    assert page.locator("#studio-start").inner_text().strip() == "开始"
    page.get_by_role("tab", name="运行记录", exact=True).click()
    page.get_by_text("对比运行", exact=True).wait_for()
    page.get_by_role("tab", name="导出", exact=True).click()
    page.get_by_role("button", name="导出", exact=True).wait_for()
    page.get_by_role("radio", name="English", exact=True).click()
    page.get_by_role("tab", name="Train", exact=True).wait_for()


@pytest.mark.slow
def test_run_shows_progress_and_loss_then_finishes(page, ui):
    run, seen = run_to_end(page, ui, steps=30)  # long enough (a few seconds) for the page to see it move
    assert seen[-1] == (30, 30) and "100%" in page.locator("#studio-train-progress").inner_text()
    assert len({s for s, _ in seen}) >= 2  # the bar moved while the page watched
    wait_for(lambda: plotted_lines(page, "loss") > 0, 10, "the loss curve")
    assert plotted_lines(page, "learning_rate") > 0
    assert run.status == "succeeded" and run.final_loss is not None


@pytest.mark.slow
def test_reload_mid_run_keeps_streaming(page, ui):
    load_preset(page, ui.preset)
    set_value(page, "train.max_steps", 5000)
    page.locator("#studio-start").click()
    first = wait_for(lambda: (p := progress(page)) and p[0] >= 12 and p, 180, "a dozen steps")
    wait_for(lambda: plotted_lines(page, "loss") > 0, 10, "the loss curve")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "train-running.png"))
    page.reload()
    page.wait_for_selector("#studio-start")
    later = wait_for(lambda: (p := progress(page)) and p[0] > first[0] and p, 60, "progress after the reload")
    assert later[1] == 5000 and state(page) == "running"
    assert field(page, "train.max_steps").input_value() == "5000"  # the form shows the running run's spec
    page.once("dialog", lambda dialog: dialog.accept())  # Abort asks first
    page.locator("#studio-abort").click()
    wait_for(lambda: state(page) == "aborted", 60, "the abort")


@pytest.mark.slow
def test_compare_two_runs_shows_the_differing_field(page, ui):
    def finished():
        return [r for r in Registry(ui.home).list() if r.status == "succeeded" and r.name == PRESET_NAME]

    while len(finished()) < 1:
        run_to_end(page, ui)
    run_to_end(page, ui, lr=0.001)
    a, b = finished()[:2]
    assert b.final_loss is not None
    page.get_by_role("tab", name="Runs", exact=True).click()
    page.get_by_role("button", name="Refresh", exact=True).click()
    page.locator("#runs-table").get_by_text(a.id, exact=True).last.wait_for()
    for run in (a, b):
        page.locator("#runs-compare input").click()
        page.get_by_role("option", name=run.id, exact=True).click()
    diff = page.locator("#runs-diff")
    diff.get_by_text("train.learning_rate", exact=True).last.wait_for()
    text = diff.inner_text()
    assert "0.001" in text and "train.seed" not in text and "output.workspace" not in text
    lines = page.locator("#runs-overlay polyline")
    assert sorted(lines.nth(i).get_attribute("data-series") for i in range(lines.count())) == sorted([a.id, b.id])
    page.locator("#runs-table").get_by_text(b.id, exact=True).last.click()  # a row opens the run's details
    page.locator("#runs-status").get_by_text("succeeded", exact=True).last.wait_for()
    page.keyboard.press("Escape")
    page.screenshot(path=str(SHOTS / "runs-compare.png"), full_page=True)


@pytest.mark.slow
@pytest.mark.scale  # heavier end to end: make test-scale (CI runs both), keeps make test in its budget
def test_runs_tab_follows_an_active_run_until_it_ends(page, ui):
    load_preset(page, ui.preset)
    set_value(page, "train.max_steps", 60)
    before = {r.id for r in Registry(ui.home).list()}
    page.locator("#studio-start").click()
    run = wait_for(lambda: [r for r in Registry(ui.home).list() if r.id not in before], 60, "the new run")[0]
    page.get_by_role("tab", name="Runs", exact=True).click()
    page.get_by_role("button", name="Refresh", exact=True).click()
    page.locator("#runs-table").get_by_text(run.id, exact=True).last.click()
    status = page.locator("#runs-status")
    wait_for(lambda: "running" in status.inner_text() or "starting" in status.inner_text(), 60, "an active badge")
    # No further click: the open run's details follow it to its end.
    status.get_by_text("succeeded", exact=True).last.wait_for(timeout=240_000)


def test_login_is_required_when_auth_is_set(browser, tmp_path):
    server = start_server(tmp_path / "ws", args=("--auth", "alice:s3cret"))
    try:
        assert server.status == 200
        page = browser.new_page()
        page.goto(server.url)
        page.locator("input[type=password]").wait_for(timeout=30_000)
        assert page.locator("#studio-start").count() == 0  # nothing of the studio before logging in
        page.locator("input[type=text]").first.fill("alice")
        page.locator("input[type=password]").fill("wrong")
        page.get_by_role("button", name="Login", exact=True).click()
        page.get_by_text("Incorrect", exact=False).first.wait_for(timeout=15_000)
        page.locator("input[type=text]").first.fill("alice")
        page.locator("input[type=password]").fill("s3cret")
        page.get_by_role("button", name="Login", exact=True).click()
        page.wait_for_selector("#studio-start", timeout=60_000)
        page.close()
    finally:
        stop_server(server)


@pytest.mark.slow
def test_stop_save_resume_and_abort_from_the_runs_tab(page, ui):
    load_preset(page, ui.preset)
    set_value(page, "train.max_steps", 5000)
    before = {r.id for r in Registry(ui.home).list()}
    page.locator("#studio-start").click()
    run = wait_for(lambda: [r for r in Registry(ui.home).list() if r.id not in before], 60, "the new run")[0]
    wait_for(lambda: Registry(ui.home).get(run.id).status == "running", 120, "the run to start")
    page.get_by_role("tab", name="Runs", exact=True).click()
    page.get_by_role("button", name="Refresh", exact=True).click()
    page.locator("#runs-table").get_by_text(run.id, exact=True).last.click()
    resume, stop = page.locator("#runs-resume"), page.locator("#runs-stop-save")
    wait_for(lambda: stop.is_enabled(), 30, "the stop & save button")
    assert resume.is_disabled()  # an active run cannot be resumed
    stop.click()  # no checkpoint exists yet (save_steps 0): the stop writes one
    status = page.locator("#runs-status")
    status.get_by_text("aborted", exact=True).last.wait_for(timeout=120_000)
    wait_for(lambda: "stopped and saved at step" in status.inner_text(), 30, "the stop's reason")
    assert latest_checkpoint(Registry(ui.home).get(run.id)) is not None
    wait_for(lambda: resume.is_enabled(), 30, "the resume button")
    resume.click()
    wait_for(lambda: Registry(ui.home).get(run.id).attempt == 2, 30, "the second attempt")
    wait_for(lambda: "running" in status.inner_text() or "starting" in status.inner_text(), 120, "the resumed run")
    try:
        page.once("dialog", lambda dialog: dialog.accept())  # Abort asks first
        page.get_by_role("button", name="Abort this run", exact=True).click()
        wait_for(lambda: Registry(ui.home).get(run.id).status == "aborted", 60, "the abort")
    finally:
        abort_run(run.id, ui.home)


@pytest.mark.scale  # three runs one after another: minutes on a loaded 2-core machine (make test-scale)
@pytest.mark.slow
def test_sweep_of_three_learning_rates_takes_turns_and_compares_in_the_runs_tab(page, ui):
    load_preset(page, ui.preset)
    set_value(page, "train.max_steps", 3)
    page.get_by_text("Sweep: several values of up to 3 fields", exact=True).click()
    box = page.locator("#studio-sweep-field-0 input")
    box.click()
    box.fill("train.learning_rate")
    page.get_by_role("option", name="train.learning_rate", exact=True).click()
    page.locator("#studio-sweep-values-0 textarea, #studio-sweep-values-0 input").first.fill("0.001, 0.002, 0.005")
    before = {r.id for r in Registry(ui.home).list()}
    page.locator("#studio-start-sweep").click()
    page.locator("#studio-train-errors").get_by_text("3 runs queued", exact=False).wait_for(timeout=60_000)
    runs = [r for r in Registry(ui.home).list() if r.id not in before]
    assert len(runs) == 3
    sweep_id = re.search(r"sweep (sweep-\S+):", page.locator("#studio-train-errors").inner_text())[1]

    def done():
        rows = [Registry(ui.home).get(r.id) for r in runs]
        return all(r.finished for r in rows) and sorted(rows, key=lambda r: r.started)

    rows = wait_for(done, 300, "the three runs to end", poll=1)
    assert [r.status for r in rows] == ["succeeded"] * 3
    assert {r.devices for r in rows} == {f"cpu#{sweep_id}"}  # one device set, taken in turn
    assert rows[0].ended <= rows[1].started and rows[1].ended <= rows[2].started
    page.get_by_role("tab", name="Runs", exact=True).click()
    pick = page.locator("#runs-sweep input")
    pick.click()
    page.get_by_role("option", name=f"{sweep_id} · 3 runs", exact=True).click()
    table = page.locator("#runs-sweep-table")
    table.get_by_text("0.005", exact=True).last.wait_for()
    text = table.inner_text()
    assert "train.learning_rate" in text and "final_loss" in text
    assert all(r.id in text for r in rows) and text.count("succeeded") == 3
    for lr in ("0.001", "0.002", "0.005"):
        table.get_by_text(lr, exact=True).last.wait_for()
    lines = page.locator("#runs-sweep-overlay polyline")
    assert sorted(lines.nth(i).get_attribute("data-series") for i in range(lines.count())) == [
        "learning_rate=0.001",
        "learning_rate=0.002",
        "learning_rate=0.005",
    ]
    page.locator("#runs-sweeps").scroll_into_view_if_needed()
    page.locator("#runs-sweeps").screenshot(path=str(SHOTS / "sweep-compare.png"))
