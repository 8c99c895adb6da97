"""The Train tab's run controls: which active run the live view follows, and when Stop & save and Abort work.

- ``active_choices``: every active run (queued, starting, running, aborting), newest first, as dropdown
  choices, so a second run is never hidden behind the newest one.
- ``controls``: the selector's choices and value, and whether Stop & save (a running trainer of a stage
  that keeps resumable checkpoints) and Abort (an active run) can act on the followed run; one timer
  tick re-renders them only when that changed.
- ``CONFIRM_ABORT_JS``: Abort asks first (in the page's language); cancelling sends nothing to the server.
- ``DISABLED_CSS``: a disabled run button looks disabled (Gradio's red ``stop`` variant did not).

No gradio at module scope except in ``wire`` (kept importable by the unit tests without a Blocks).
"""

from __future__ import annotations

from backend.run.registry import ACTIVE_STATES, Registry, Run
from backend.run.stop import STOPPABLE_STAGES

CONTROLS_S = 2.0
LABELS = {
    "en": {"active": "Active runs (the live view follows the one picked)",
           "confirm_abort": "Abort this run? Its processes are killed; nothing after the last checkpoint is kept."},
    "zh": {"active": "进行中的运行（实时视图跟随所选运行）",
           "confirm_abort": "确定中止该运行？其进程将被终止，最近检查点之后的进度不会保留。"},
}  # fmt: skip
# Runs the confirm() in the page's language (the header's language switch), then lets the click through; a
# cancelled dialog throws, and Gradio then does not call the server.
CONFIRM_ABORT_JS = (
    "(...args) => { const zh = document.querySelector('#studio-language input[value=\"中文\"]')?.checked; "
    f"if (!confirm(zh ? {LABELS['zh']['confirm_abort']!r} : {LABELS['en']['confirm_abort']!r})) "
    "throw new Error('abort cancelled'); return args; }"
)
RUN_BUTTONS = ("#studio-stop-save", "#studio-abort", "#runs-stop-save", "#runs-abort", "#runs-resume")
DISABLED_CSS = (
    "<style>"
    + ", ".join(f"{b}:disabled" for b in RUN_BUTTONS)
    + "{opacity:.45;filter:grayscale(1);cursor:not-allowed;box-shadow:none}</style>"
)


def label(run: Run) -> str:
    return f"{run.name} · {run.id} · {run.status}"


def active_choices(home: str) -> list[tuple[str, str]]:
    """``(name · id · status, id)`` of every active run, newest first."""
    return [(label(r), r.id) for r in Registry(home).list() if r.status in ACTIVE_STATES]


def controls(home: str, watch: dict | None) -> dict:
    """What the controls show for the followed run (``watch``): selector choices and value, and which
    buttons act. Stop & save needs a starting or running trainer of a stoppable stage; Abort any active run."""
    choices = active_choices(home)
    run = None
    if watch:
        try:
            run = Registry(home).get(watch["run"])
        except (KeyError, LookupError):
            run = None
    active = run is not None and run.status in ACTIVE_STATES
    return {
        "choices": choices,
        "value": run.id if active else None,
        "stop": active and run.status in ("starting", "running") and run.stage in STOPPABLE_STAGES,
        "abort": active,
    }


def wire(home: str, demo, watch, selector, stop_btn, abort_btn, started=None) -> None:
    """Connect the selector and the buttons: a timer keeps them current, picking a run follows it (its
    events replayed from the start), and ``started`` (the Start click's event) updates them at once."""
    import gradio as gr

    from studio.live import new_watch

    last = gr.State(None)

    def tick(watch_state, shown):
        now = controls(home, watch_state)
        if now == shown:
            return gr.skip(), gr.skip(), gr.skip(), gr.skip()
        return (
            gr.update(choices=now["choices"], value=now["value"]),
            gr.update(interactive=now["stop"]),
            gr.update(interactive=now["abort"]),
            now,
        )

    def follow(run_id, watch_state):
        if not run_id or (watch_state and watch_state["run"] == run_id):
            return gr.skip()
        return new_watch(Registry(home).get(run_id))

    fast = dict(api_visibility="private", concurrency_limit=None, show_progress="hidden")
    outputs = [selector, stop_btn, abort_btn, last]
    gr.Timer(CONTROLS_S).tick(tick, [watch, last], outputs, **fast)
    selector.input(follow, [selector, watch], watch, **fast)
    if started is not None:
        started.then(tick, [watch, last], outputs, **fast)
