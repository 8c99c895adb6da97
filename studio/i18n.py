"""Languages of the studio and the little machinery that relabels components live.

Labels live beside what they label: each tab module keeps a small ``LABELS = {"en": {...}, "zh": {...}}``
dict, and JobSpec field labels live in ``studio.field_labels``. English help text is the JobSpec field
descriptions (``backend/spec.py``), the single source of it; their Chinese is ``studio.field_help_zh``
(a test keeps it complete). This module holds the shell's labels (tab names), the ``Labeller`` each tab
uses to register its components, and the per-session language:

- The browser picks the language: the choice saved in its localStorage, else ``navigator.language``
  (zh* -> 中文), else English (``LOAD_JS`` on page load, ``SAVE_JS`` when the user switches).
- The server learns it from the language radio's change (``remember``), per Gradio session, so a handler
  that renders text (a status line, a table header) calls ``current()`` or ``tr(table, key)`` and needs no
  language argument. ``using(language)`` overrides it for one call (the re-render on a switch).
"""

from __future__ import annotations

import contextlib
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextvars import ContextVar

LANGUAGES = {"English": "en", "中文": "zh"}
DEFAULT_LANGUAGE = "English"

LABELS: dict[str, dict[str, str]] = {
    "en": {
        "tab.train": "Train",
        "tab.runs": "Runs",
        "tab.data": "Data",
        "tab.evaluate": "Evaluate",
        "tab.chat": "Chat",
        "tab.export": "Export",
        "tab.models": "Models",
    },
    "zh": {
        "tab.train": "训练",
        "tab.runs": "运行记录",
        "tab.data": "数据",
        "tab.evaluate": "评估",
        "tab.chat": "对话",
        "tab.export": "导出",
        "tab.models": "模型",
    },
}


# The words of run and job states (the registry's values stay English; this is what a page shows).
STATES: dict[str, dict[str, str]] = {
    "en": {},
    "zh": {
        "all": "全部",
        "created": "已创建",
        "queued": "排队中",
        "starting": "启动中",
        "running": "运行中",
        "aborting": "正在中止",
        "succeeded": "成功",
        "failed": "失败",
        "aborted": "已中止",
        "stopped": "已停止",
        "error": "错误",
        "downloading": "下载中",
        "pending": "等待中",
        "done": "完成",
    },
}


def state_word(state: str) -> str:
    """A run state (``succeeded``) as the current language says it; unknown states as they are."""
    return STATES.get(current(), {}).get(state, state)


def code(language: str | None) -> str:
    """The language code (en, zh) of a LANGUAGES name or code; English for anything unknown."""
    language = LANGUAGES.get(language, language)
    return language if language in LANGUAGES.values() else "en"


def name(language: str) -> str:
    """The LANGUAGES name (what the radio shows) of a code or name."""
    return next(n for n, c in LANGUAGES.items() if c == code(language))


# The browser's side: localStorage keeps the choice across reloads; a first visit follows the browser.
STORAGE_KEY = "studio-language"
LOAD_JS = f"""() => {{
  let saved = null;
  try {{ saved = window.localStorage.getItem({STORAGE_KEY!r}); }} catch (e) {{}}
  const wanted = (navigator.languages && navigator.languages[0]) || navigator.language || "";
  const language = saved === "English" || saved === "中文" ? saved
    : (wanted.toLowerCase().startsWith("zh") ? "中文" : "English");
  document.body.dataset.studioLang = language === "中文" ? "zh" : "en";  // texts drawn in both (studio.svgplot)
  return language;
}}"""
SAVE_JS = f"""(language) => {{
  try {{ window.localStorage.setItem({STORAGE_KEY!r}, language); }} catch (e) {{}}
  document.body.dataset.studioLang = language === "中文" ? "zh" : "en";  // texts drawn in both (studio.svgplot)
  return language;
}}"""

_MAX_SESSIONS = 10_000  # a bound on the session table; the oldest sessions fall back to English
_sessions: OrderedDict[str, str] = OrderedDict()
_override: ContextVar[str | None] = ContextVar("studio_language", default=None)


def _session_hash(request=None) -> str | None:
    if request is None:
        from gradio.context import LocalContext

        request = LocalContext.request.get(None)
    return getattr(request, "session_hash", None)


def remember(language: str, request=None) -> None:
    """Record ``language`` as the language of the browser session of ``request`` (default: the current one)."""
    session = _session_hash(request)
    if session is None:
        return
    _sessions[session] = code(language)
    _sessions.move_to_end(session)
    while len(_sessions) > _MAX_SESSIONS:
        _sessions.popitem(last=False)


def current() -> str:
    """The language code of the text being rendered: ``using``'s, else the current session's, else en."""
    return _override.get() or _sessions.get(_session_hash() or "", "en")


@contextlib.contextmanager
def using(language: str) -> Iterator[None]:
    """Render in ``language`` inside the block, whatever the session's language is."""
    token = _override.set(code(language))
    try:
        yield
    finally:
        _override.reset(token)


def tr(table: dict[str, dict[str, str]], key: str, /, **values) -> str:
    """``key`` of ``table`` in the current language, formatted with ``values`` when given."""
    text = lookup(table, key, current())
    return text.format(**values) if values else text


def lookup(table: dict[str, dict[str, str]], key: str, language: str = DEFAULT_LANGUAGE) -> str:
    """``key`` in ``language`` from a ``{"en": {...}, "zh": {...}}`` table; English, then the key, as fallbacks."""
    return table.get(code(language), {}).get(key) or table["en"].get(key, key)


def translated(table: dict[str, dict[str, str]], text: str) -> str:
    """``text`` (an English value of ``table``) in the current language; unchanged when not in the table."""
    if current() == "en":
        return text
    key = next((k for k, v in table["en"].items() if v == text), None)
    return lookup(table, key, current()) if key else text


def t(key: str, language: str = DEFAULT_LANGUAGE) -> str:
    """A shell label (tab names) in ``language``."""
    return lookup(LABELS, key, language)


class Labeller:
    """Registers components with a label key, so one ``relabel(language)`` updates them all.

    A component may be registered once per attribute (its label and its help, say): it is still one
    output with one update. ``on_switch`` registers a handler that re-renders text a handler made (a
    status line, a table) when the language changes; ``studio.app`` wires it to the language radio.
    """

    def __init__(self, text: Callable[[str, str], str]):
        self.text = text
        self.entries: list[tuple[object, dict[str, str]]] = []
        self.switches: list[tuple[Callable, list, list]] = []

    def __call__(self, key: str, component, attr: str = "label"):
        """Register ``component`` (its ``attr`` shows ``key``'s text) and return it."""
        for known, attrs in self.entries:
            if known is component:
                attrs[attr] = key
                return component
        self.entries.append((component, {attr: key}))
        return component

    def on_switch(self, fn: Callable, inputs: list, outputs: list) -> None:
        """Call ``fn(*inputs)`` in the new language (``current()`` is it) after each switch; it returns ``outputs``."""
        self.switches.append((fn, list(inputs), list(outputs)))

    @property
    def components(self) -> list:
        return [c for c, _ in self.entries]

    def relabel(self, language: str) -> list:
        """One ``gr.update`` per registered component, in ``components`` order."""
        import gradio as gr

        return [gr.update(**{a: self.text(k, language) for a, k in attrs.items()}) for _, attrs in self.entries]
