"""Keep a tab's lists of runs and models current: refresh them when the tab is opened and when a run ends.

A list built when the page loaded misses runs that finished later (Chat, Export and Evaluate pick from
them). ``keep_fresh`` registers a refresh on the enclosing tab's ``select`` (the user opens the tab) and
on a slow timer that calls it only when the registry's runs or their states changed (``fingerprint``), so
an unchanged workspace re-renders nothing and a user's open dropdown is not reset every few seconds.
"""

from __future__ import annotations

from backend.run.registry import Registry

CHECK_S = 5.0


def fingerprint(home: str) -> list[list[str]]:
    """Every run's id and status: it changes when a run is created, starts, ends or is removed."""
    return [[r.id, r.status] for r in Registry(home).list()]


def enclosing_tab():
    """The ``gr.Tab`` the component being built sits in (None outside a tab)."""
    import gradio as gr
    from gradio.context import Context

    block = Context.block
    while block is not None and not isinstance(block, gr.Tab):
        block = getattr(block, "parent", None)
    return block


def keep_fresh(home: str, fn, inputs: list, outputs: list) -> None:
    """Call ``fn(*inputs) -> outputs`` when the enclosing tab is selected and when the runs changed."""
    import gradio as gr

    seen = gr.State(lambda: fingerprint(home))  # what the page listed when it loaded (the callable runs then)

    def check(last, *values):
        now = fingerprint(home)
        if now == last:
            return (gr.skip(),) * (len(outputs) + 1)
        result = fn(*values)
        return (*(result if isinstance(result, tuple) else (result,)), now)

    quiet = dict(api_visibility="private", show_progress="hidden", concurrency_limit=None)
    gr.Timer(CHECK_S).tick(check, [seen, *inputs], [*outputs, seen], **quiet)
    tab = enclosing_tab()
    if tab is not None:
        tab.select(fn, inputs, outputs, **quiet)
