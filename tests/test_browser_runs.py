"""Issue 17's run-side fixes in a real browser (Debian's chromium driven by Playwright): lists kept current
(item 5), charts with legends and empty states (6), several active runs (8), Stop & save and Abort (13) and
consistent errors (14).

One webui.py serves a temporary workspace for the whole module. The runs are written straight into its
registry and event files (a "running" run without a process: no training here), so each test takes seconds
and shows exactly the state it is about.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import yaml
from ui_helpers import CHROMIUM, ROOT, abort_active_runs, start_server, stop_server

if not Path(CHROMIUM).exists():
    pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api")

from backend.events import EVENTS_FILE, EventWriter  # noqa: E402
from backend.run.registry import ACTIVE_STATES, Registry, Run, create_run  # noqa: E402 - after the skips, so a machine without chromium skips fast
from backend.spec import load_spec  # noqa: E402
from studio.train_form import elem_id  # noqa: E402

pytestmark = pytest.mark.browser
MISSING = "missing-data"
SLACK = 3  # waits are stretched on a loaded machine (timers fire late there, not wrongly)


@pytest.fixture(scope="module")
def ui(tmp_path_factory):
    """webui.py over an empty workspace and a user preset whose data file does not exist."""
    root = tmp_path_factory.mktemp("browser-runs")
    home, user = root / "ws", root / "user-presets"
    home.mkdir()
    user.mkdir()
    preset = yaml.safe_load((ROOT / "presets/sft/tiny-lora.yaml").read_text())
    preset["data"] = {"sources": [{"path": str(root / "nowhere.jsonl")}], "val_size": 0}
    preset["train"] |= {"max_steps": 7}  # a value no shipped preset has: the form shows it once loaded
    (user / f"{MISSING}.yaml").write_text(yaml.safe_dump(preset), encoding="utf-8")
    server = start_server(home, STUDIO_USER_PRESETS=str(user))
    assert server.status == 200, server.proc.stdout.read() if server.proc.poll() is not None else "no answer"
    server.preset = str(user / f"{MISSING}.yaml")
    try:
        yield server
    finally:
        abort_active_runs(home)
        stop_server(server)


@pytest.fixture(autouse=True)
def settle(ui):
    """After each test, every run it left active ends (they have no process): the next page follows none."""
    yield
    registry = Registry(ui.home)
    for run in registry.list():
        if run.status in ACTIVE_STATES:
            finish(ui.home, run, "aborted")


@pytest.fixture
def page(browser, ui):
    page = browser.new_page(viewport={"width": 1500, "height": 1100})
    page.set_default_timeout(60_000)  # the shared 2-core machine is often loaded
    page.goto(ui.url)
    page.wait_for_selector("#studio-start")
    yield page
    page.close()


# ------------------------------------------------------------------------------------------ helpers


def fake_run(home: Path, name: str, status: str, events: tuple[dict, ...] = (), weights: bool = False) -> Run:
    """A registered run in ``status`` with ``events`` written (no process), optionally with final weights."""
    spec = load_spec(ROOT / "presets/sft/tiny-lora.yaml")
    spec.output.run_name = name
    run = create_run(spec, home)
    writer = EventWriter(run.path / EVENTS_FILE)
    for event in events:
        writer.emit(**event)
    if weights:
        (run.path / "adapter").mkdir()
        (run.path / "adapter" / "adapter_config.json").write_text(json.dumps({"peft_type": "LORA"}))
    registry = Registry(home)
    registry.update(run.id, status=status, started=time.time() - 5)
    if status in ("succeeded", "failed", "aborted"):
        registry.update(run.id, ended=time.time())
    return registry.get(run.id)


def metrics(steps: int) -> tuple[dict, ...]:
    out: list[dict] = [dict(type="status", state="running", message="stage sft")]
    for step in range(1, steps + 1):
        out.append(dict(type="metric", step=step, total_steps=steps, loss=3.0 - 0.1 * step, learning_rate=1e-3))
    out.append(dict(type="metric", step=steps, total_steps=steps, eval_loss=2.5))
    return tuple(out)


def options(page, selector: str) -> str:
    """The option texts of a dropdown (opened, read, closed)."""
    box = page.locator(f"{selector} input")
    box.blur()  # a click on a focused box does not reopen its list
    box.click()
    listbox = page.locator("ul[role=listbox]").first
    listbox.wait_for(timeout=15_000)
    text = listbox.inner_text()
    page.keyboard.press("Escape")
    box.blur()
    return text


# The run's row as text: its cells from the id to the status (the table's rows may be redrawn as one block).
ROW_JS = """id => { const t = document.querySelector('#runs-table').textContent; const i = t.indexOf(id);
  return i < 0 ? '' : t.slice(i, i + id.length + 120); }"""


def wait_for(predicate, timeout: float, what: str, poll: float = 0.2):
    timeout *= SLACK
    t0 = time.time()
    while time.time() - t0 < timeout:
        if value := predicate():
            return value
        time.sleep(poll)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what() if callable(what) else what}")


def tab(page, name: str) -> None:
    page.get_by_role("tab", name=name, exact=True).click()


def follow(page, run: Run) -> None:
    """Pick ``run`` in the Train tab's active-run selector."""
    wait_for(lambda: run.id in options(page, "#studio-active-run"), 15, f"{run.id} in the selector")
    page.locator("#studio-active-run input").click()
    page.get_by_role("option", name=f"{run.name} · {run.id} · {run.status}", exact=True).click()
    page.locator("#studio-train-status").get_by_text(run.id).wait_for()


def finish(home: Path, run: Run, state: str = "succeeded") -> None:
    EventWriter(run.path / EVENTS_FILE).emit("status", state=state, message="finished")
    Registry(home).finish(run.id, state)


# ---------------------------------------------------------------------------------------- scenarios


def test_item5_lists_refresh_on_tab_focus_and_when_a_run_ends(page, ui):
    upload = ui.home / "data" / "uploads" / "late.jsonl"  # as the Data tab's upload saves it
    upload.parent.mkdir(parents=True, exist_ok=True)
    upload.write_text('{"text": "hello"}\n', encoding="utf-8")
    done = fake_run(ui.home, "done-after-load", "succeeded", metrics(2), weights=True)  # after the page loaded
    for name, picker in (("Chat", "#chat-a-model"), ("Export", "#export-run"), ("Evaluate", "#eval-model")):
        tab(page, name)  # opening the tab lists it: no "Refresh list" click
        wait_for(lambda p=picker: done.id in options(page, p), 10, f"{done.id} in {name}")
    # Still on the Evaluate tab: a run that ends now shows up by itself.
    live = fake_run(ui.home, "ends-while-open", "running", metrics(1), weights=True)
    finish(ui.home, live)
    wait_for(lambda: live.id in options(page, "#eval-model"), 15, "the run that ended")
    page.reload()  # the Data tab keeps the upload made before the reload
    page.wait_for_selector("#studio-start")
    tab(page, "Data")
    assert "data/uploads/late.jsonl" in options(page, "#data-path")


def test_item6_charts_show_legends_unclipped_and_an_empty_state(page, ui):
    empty = page.locator("#studio-plot-loss")
    assert "no points yet" in empty.inner_text() and "0.000000" not in empty.inner_text()
    page.get_by_role("radio", name="中文", exact=True).click()  # the empty state follows the language
    wait_for(lambda: "暂无数据点" in empty.inner_text() and "no points" not in empty.inner_text(), 10, "the zh text")
    page.get_by_role("radio", name="English", exact=True).click()
    wait_for(lambda: "no points yet" in empty.inner_text() and "暂无" not in empty.inner_text(), 10, "the en text")
    run = fake_run(ui.home, "charted", "running", metrics(6))
    follow(page, run)
    chart = page.locator("#studio-plot-loss")
    chart.locator("polyline").nth(2).wait_for(state="attached")  # eval_loss: one point, no area
    lines = chart.locator("polyline")
    styles = {lines.nth(i).get_attribute("data-series"): (
        lines.nth(i).get_attribute("stroke"), lines.nth(i).get_attribute("stroke-dasharray"),
        lines.nth(i).get_attribute("stroke-width")) for i in range(lines.count())}  # fmt: skip
    assert set(styles) == {"loss", "loss (EMA)", "eval_loss"} and len(set(styles.values())) == 3
    box = chart.bounding_box()
    for item in [chart, page.locator("#studio-plot-learning_rate")]:
        for legend in item.locator(".legend-item").all():
            b = legend.bounding_box()
            assert (
                b["width"] > 0
                and item.bounding_box()["x"] <= b["x"]
                and b["x"] + b["width"] <= box["x"] + box["width"] + 1
            ), legend.inner_text()
    assert "loss (EMA)" in chart.locator(".studio-legend").inner_text()
    assert "no points yet" in page.locator("#studio-plot-grad_norm").inner_text()  # no grad_norm logged
    tab(page, "Runs")
    page.locator("#runs-table").get_by_text(run.id, exact=True).last.click()
    curves = page.locator("#runs-curves")
    curves.locator("polyline").nth(2).wait_for(state="attached")
    legend = [item.inner_text().strip() for item in curves.locator(".legend-item").all()]
    assert legend == ["loss", "loss (EMA)", "eval_loss"]
    finish(ui.home, run)


def test_item8_every_active_run_is_selectable_and_the_table_stays_live(page, ui):
    older = fake_run(ui.home, "older-active", "running", metrics(3))
    newer = fake_run(ui.home, "newer-active", "running", metrics(1))
    listed = wait_for(lambda: (t := options(page, "#studio-active-run")) and older.id in t and newer.id in t and t,
                      15, "both active runs")  # fmt: skip
    assert "older-active" in listed and "newer-active" in listed
    follow(page, older)
    page.locator("#studio-train-progress").get_by_text("step 3/3").wait_for()
    tab(page, "Runs")
    page.locator("#runs-table").get_by_text(newer.id, exact=True).last.click()
    page.locator("#runs-status").get_by_text("running", exact=True).wait_for()
    finish(ui.home, newer)

    def row() -> str:
        return page.evaluate(ROW_JS, newer.id)

    # The table and the open run's details change in the same tick.
    details = page.locator("#runs-status")
    wait_for(lambda: "succeeded" in row() and "succeeded" in details.inner_text(), 6,
             lambda: f"the table and the details to show the end: {row()!r}, {details.inner_text()!r}")  # fmt: skip
    finish(ui.home, older)


def test_item13_stop_and_abort_need_an_active_run_and_abort_asks(page, ui):
    stop, abort = page.locator("#studio-stop-save"), page.locator("#studio-abort")
    assert stop.is_disabled() and abort.is_disabled()  # no run followed
    run = fake_run(ui.home, "to-abort", "running", metrics(1))
    follow(page, run)
    wait_for(lambda: stop.is_enabled() and abort.is_enabled(), 10, "the enabled buttons")
    asked = []
    page.once("dialog", lambda d: (asked.append(d.message), d.dismiss()))
    abort.click()
    wait_for(lambda: asked, 5, "the confirmation")
    time.sleep(1.0)
    assert "Abort this run?" in asked[0] and Registry(ui.home).get(run.id).status == "running"
    page.once("dialog", lambda d: d.accept())
    abort.click()
    wait_for(lambda: Registry(ui.home).get(run.id).status == "aborted", 15, "the abort")
    wait_for(lambda: stop.is_disabled() and abort.is_disabled(), 10, "the buttons disabled again")
    tab(page, "Runs")
    page.locator("#runs-table").get_by_text(run.id, exact=True).last.click()
    page.locator("#runs-status").get_by_text("aborted", exact=True).wait_for()
    runs_abort = page.locator("#runs-abort")
    assert runs_abort.is_disabled()
    assert float(runs_abort.evaluate("b => getComputedStyle(b).opacity")) < 0.6  # it looks disabled


def test_item14_errors_are_one_box_one_name_and_say_what_happened(page, ui):
    box = page.locator("#studio-preset input")
    box.click()
    box.fill(MISSING)
    page.get_by_role("option", name=ui.preset, exact=True).click()
    page.wait_for_function(
        "id => document.querySelector(`#${id} input`).value === '7'", arg=elem_id("train.max_steps"), timeout=60_000
    )
    page.locator("#studio-start").click()
    errors = page.locator("#studio-train-errors")
    errors.get_by_text("Nothing was started").wait_for(timeout=60_000)  # pre-flight: the validation box
    text = errors.inner_text()
    assert "data.sources[0].path" in text and "data.sources[0]: data.sources[0]" not in text, text
    assert text.count("data.sources[0]") == 1 and "no such file" in text
    early = fake_run(ui.home, "fails-early", "running", (dict(type="status", state="running", message="stage sft"),))
    follow(page, early)
    progress = page.locator("#studio-train-progress")
    progress.get_by_text("waiting for the first step").wait_for()
    EventWriter(early.path / EVENTS_FILE).emit("error", kind="data", message="bad file")
    finish(ui.home, early, "failed")
    progress.get_by_text("failed before the first training step").wait_for()
    assert "waiting" not in progress.inner_text() and "bad file" in page.locator("#studio-train-status").inner_text()
    tab(page, "Runs")
    stopped = fake_run(ui.home, "stopped", "aborted", metrics(3))
    Registry(ui.home).update(stopped.id, error_kind="killed",
                                  error="stopped by request at step 3; checkpoint saved: /x/checkpoint-3")  # fmt: skip
    page.get_by_role("button", name="Refresh", exact=True).click()
    page.locator("#runs-table").get_by_text(stopped.id, exact=True).last.click()
    status = page.locator("#runs-status")
    status.get_by_text("stopped and saved at step 3", exact=False).wait_for()
    assert "[killed]" not in status.inner_text() and "stopped by request" not in status.inner_text()
    # Chat: a failed action's red "Error" pill goes with the next action that works.
    tab(page, "Chat")
    page.locator("#chat-send").click()  # nothing typed: an error
    page.get_by_text("type a message first").first.wait_for()
    pills = page.locator("#chat-a-answers .error, #chat-a-status .error")
    wait_for(lambda: pills.count() > 0, 5, "the error pill")
    page.locator("#chat-clear").click()
    wait_for(lambda: pills.count() == 0, 5, "the pill to go")
