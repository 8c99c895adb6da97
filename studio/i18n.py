"""Languages of the studio and the little machinery that relabels components live.

Labels live beside what they label: each tab module keeps a small ``LABELS = {"en": {...}, "zh": {...}}``
dict, and JobSpec field labels live in ``studio.field_labels``. Help text is never translated here: it
is the JobSpec field descriptions, the single source of it. This module holds only the shell's labels
(tab names; the Data tab's labels are in ``studio.tabs.data`` and the texts of
its reports in ``studio.data_view``) and the ``Labeller`` each tab uses to register its components.
"""

from __future__ import annotations

from collections.abc import Callable

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


def code(language: str) -> str:
    """The language code (en, zh) of a LANGUAGES name or code."""
    return LANGUAGES.get(language, language)


def lookup(table: dict[str, dict[str, str]], key: str, language: str = DEFAULT_LANGUAGE) -> str:
    """``key`` in ``language`` from a ``{"en": {...}, "zh": {...}}`` table; English, then the key, as fallbacks."""
    return table.get(code(language), {}).get(key) or table["en"].get(key, key)


def t(key: str, language: str = DEFAULT_LANGUAGE) -> str:
    """A shell label (tab names) in ``language``."""
    return lookup(LABELS, key, language)


class Labeller:
    """Registers components with a label key, so one ``relabel(language)`` updates them all."""

    def __init__(self, text: Callable[[str, str], str]):
        self.text = text
        self.entries: list[tuple[str, object, str]] = []

    def __call__(self, key: str, component, attr: str = "label"):
        """Register ``component`` (its ``attr`` shows ``key``'s text) and return it."""
        self.entries.append((key, component, attr))
        return component

    @property
    def components(self) -> list:
        return [c for _, c, _ in self.entries]

    def relabel(self, language: str) -> list:
        """One ``gr.update`` per registered component, in ``components`` order."""
        import gradio as gr

        return [gr.update(**{attr: self.text(key, language)}) for key, _, attr in self.entries]
