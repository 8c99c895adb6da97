"""中文 in a real browser (Debian's chromium through Playwright), one studio server for the module:

1. switched to 中文, every tab (with its accordions opened) shows no English sentence;
2. the choice survives a reload (the browser's localStorage);
3. a first visit follows the browser's language: ``zh-CN`` gets 中文, ``en-US`` English.

An *English sentence* is a run of three or more ASCII words of letters (``[A-Za-z][A-Za-z'-]*``) separated by
single spaces; commands, paths, field and code names (``data.val_size``, ``builtin:tiny-llama``) are not words
of that kind, so they pass. ``ALLOWED`` lists the few phrases that may stay: Gradio's own widget texts (Gradio
translates them by the browser's locale, not by the studio's switch) and proper names.
`STUDIO_SCREENSHOTS=1` refreshes docs/screenshots/train-zh.png.
"""

from __future__ import annotations

import os
import re
import tempfile
import time
from pathlib import Path

import pytest
from ui_helpers import CHROMIUM, ROOT, start_server, stop_server

if not Path(CHROMIUM).exists():
    pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api")

pytestmark = pytest.mark.browser
SHOTS = ROOT / "docs" / "screenshots" if os.environ.get("STUDIO_SCREENSHOTS") == "1" else Path(tempfile.mkdtemp())
TABS = ("train", "runs", "data", "evaluate", "chat", "export", "models")
SENTENCE = re.compile(r"[A-Za-z][A-Za-z'’-]*(?: [A-Za-z][A-Za-z'’-]*){2,}")
ALLOWED = (
    # Gradio's own texts (footer, file drop zones): Gradio picks their language from the browser's locale.
    "Use via API",
    "Built with Gradio",
    "Drop CSV or TSV files here to import data into dataframe",
    "Drop File Here",
    "Click to Upload",
    # Proper names.
    "Hugging Face",
)
OPEN_ACCORDIONS = """() => {
  const closed = [...document.querySelectorAll('button.label-wrap:not(.open)')].filter(b => b.offsetParent);
  closed.forEach(b => b.click());
  return closed.length;
}"""


def english_sentences(text: str) -> list[str]:
    """The English sentences of ``text`` (see the module's docstring), after removing ``ALLOWED`` phrases and
    quoted values (``'module load cuda/12.4'``: an example of what to type)."""
    for phrase in ALLOWED:
        text = text.replace(phrase, " ")
    text = re.sub(r"'[^'\n]*'", " ", text)
    return [line.strip() for line in text.splitlines() if SENTENCE.search(line)]


def test_the_definition():
    assert english_sentences("Nothing was started. Fix:") == ["Nothing was started. Fix:"]
    assert english_sentences("未启动任何运行。请修正：\nstep 3/8 · 已用 0:01\nUse via API · Built with Gradio") == []
    # A command is code: the page's code blocks are left out before this check (visible_text).
    assert english_sentences("studio --home /ws data inspect builtin:samples/x.jsonl") != []
    assert english_sentences("模型（builtin:tiny-llama，或 hf:组织/名称）· data.val_size · LoRA 秩") == []
    assert english_sentences("例如 'module load cuda/12.4' 或 'source /a/b'") == []


@pytest.fixture(scope="module")
def ui(tmp_path_factory):
    home = tmp_path_factory.mktemp("browser-i18n") / "ws"
    home.mkdir()
    server = start_server(home)
    assert server.status == 200, server.proc.stdout.read() if server.proc.poll() is not None else "no answer"
    try:
        yield server
    finally:
        stop_server(server)


def open_page(browser, ui, locale: str):
    context = browser.new_context(locale=locale, viewport={"width": 1500, "height": 1100})
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto(ui.url)
    page.wait_for_selector("#studio-start")
    return context, page


def chosen(page) -> str:
    return page.locator("#studio-language input:checked").evaluate("e => e.value")


def show_tab(page, tab: str) -> None:
    # A click through the DOM: Playwright's own click waits for the page to settle, which under load it may not.
    page.evaluate(f"document.getElementById('tab-{tab}-button').click()")
    page.wait_for_function(f"document.getElementById('tab-{tab}-button').getAttribute('aria-selected') === 'true'")


PROSE = """() => {
  const out = [];
  const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walk.nextNode(); node; node = walk.nextNode()) {
    const el = node.parentElement;
    if (!el || el.closest('pre, code, .cm-editor, textarea, script, style') || !el.checkVisibility()) continue;
    out.push(node.textContent);
  }
  return out.join('\\n');
}"""


def visible_text(page) -> str:
    """The page's visible prose, one text node a line, once the switch's re-renders have landed: code (commands,
    YAML, logs in ``pre``/``code``/code editors) is left out, as it is never translated."""
    time.sleep(1.5)
    return page.evaluate(PROSE)


def test_chinese_leaves_no_english_sentence_on_any_tab(browser, ui):
    context, page = open_page(browser, ui, "en-US")
    try:
        page.get_by_role("radio", name="中文", exact=True).click()
        page.get_by_role("tab", name="训练", exact=True).wait_for()
        found = {}
        for tab in TABS:
            show_tab(page, tab)
            for _ in range(3):  # accordions inside accordions
                if not page.evaluate(OPEN_ACCORDIONS):
                    break
                time.sleep(0.5)
            found[tab] = english_sentences(visible_text(page))
            if tab == "train":
                assert "学习率" in page.locator("body").inner_text()  # the switch did happen
                SHOTS.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(SHOTS / "train-zh.png"))
        left = {tab: lines for tab, lines in found.items() if lines}
        assert not left, "English sentences left in 中文 mode (tab: lines):\n" + "\n".join(
            f"  {tab}: {line[:160]!r}" for tab, lines in left.items() for line in lines
        )
    finally:
        context.close()


def test_the_choice_survives_a_reload(browser, ui):
    context, page = open_page(browser, ui, "en-US")
    try:
        assert chosen(page) == "English"
        page.get_by_role("radio", name="中文", exact=True).click()
        page.get_by_role("tab", name="训练", exact=True).wait_for()
        page.reload()
        page.wait_for_selector("#studio-start")
        page.get_by_role("tab", name="训练", exact=True).wait_for()  # relabelled after the reload
        assert chosen(page) == "中文"
        sync_api.expect(page.locator("#studio-start")).to_have_text("开始", timeout=60_000)
        page.get_by_role("radio", name="English", exact=True).click()
        page.get_by_role("tab", name="Train", exact=True).wait_for()
        page.reload()
        page.wait_for_selector("#studio-start")
        time.sleep(2)  # the saved English must not flip to 中文 (nor the browser's en-US)
        assert chosen(page) == "English" and page.locator("#studio-start").inner_text().strip() == "Start"
    finally:
        context.close()


@pytest.mark.parametrize(("locale", "language", "start"), [("zh-CN", "中文", "开始"), ("en-US", "English", "Start")])
def test_first_visit_follows_the_browser_language(browser, ui, locale, language, start):
    context, page = open_page(browser, ui, locale)  # a fresh context: nothing saved in its localStorage
    try:
        sync_api.expect(page.locator("#studio-start")).to_have_text(start, timeout=60_000)
        time.sleep(2)  # the page's load events have run: English stays English
        assert chosen(page) == language and page.locator("#studio-start").inner_text().strip() == start
        assert page.evaluate("window.localStorage.getItem('studio-language')") is None  # followed, not saved
    finally:
        context.close()
