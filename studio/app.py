"""The studio web app: ``build_app(home)`` composes the tabs; ``main(argv)`` serves it.

    python webui.py [--host 127.0.0.1] [--port 7860] [--auth user:password] [--home DIR]

Serving on anything but loopback needs credentials (``--auth`` or ``$STUDIO_AUTH``): the studio
starts processes and reads files on this machine, so it never runs unauthenticated on a network.
On loopback only requests naming this machine in ``Host`` are served (DNS rebinding), and no other
origin gets credentialed CORS (:func:`guarded_app`).
Gradio is imported inside the functions, so a refused start or ``--help`` answers at once, and the
UI never imports torch (hardware is probed in a child process, on first need).

The package's ``__init__`` (which runs before this module) sets GRADIO_ANALYTICS_ENABLED=False.
"""

from __future__ import annotations

import argparse
import errno
import os
import sys
import threading

from backend.host_guard import is_loopback
from backend.run.queue import reconcile
from backend.workspace import workspace_home
from studio import i18n
from studio.i18n import DEFAULT_LANGUAGE, LANGUAGES, Labeller, t


def build_app(home: str | None = None):
    """The studio as a ``gr.Blocks`` (not launched). ``home`` is the workspace (default $STUDIO_HOME)."""
    import gradio as gr

    from studio.tabs import chat, data, evaluate, export, models, runs, train

    home = str(workspace_home(home))
    shell = Labeller(t)
    labellers = [shell]
    with gr.Blocks(title="LLM Studio", analytics_enabled=False) as demo:
        with gr.Row(equal_height=True):
            gr.Markdown("## LLM Studio")
            lang = gr.Radio(
                list(LANGUAGES),
                value=DEFAULT_LANGUAGE,
                label="Language / 语言",
                show_label=False,
                container=False,
                elem_id="studio-language",
            )
        tabs = []  # (tab, its labellers)
        with gr.Tabs():
            with shell("tab.train", gr.Tab(t("tab.train"), elem_id="tab-train"), "label") as tab:
                tabs.append((tab, train.build(home, demo)))
            with shell("tab.runs", gr.Tab(t("tab.runs"), elem_id="tab-runs"), "label") as tab:
                tabs.append((tab, runs.build(home, demo)))
            with shell("tab.data", gr.Tab(t("tab.data"), elem_id="tab-data"), "label") as tab:
                tabs.append((tab, data.build(home, demo, lang)))
            with shell("tab.evaluate", gr.Tab(t("tab.evaluate"), elem_id="tab-evaluate"), "label") as tab:
                tabs.append((tab, evaluate.build(home, demo)))
            with shell("tab.chat", gr.Tab(t("tab.chat"), elem_id="tab-chat"), "label") as tab:
                tabs.append((tab, chat.build(home, demo)))
            with shell("tab.export", gr.Tab(t("tab.export"), elem_id="tab-export"), "label") as tab:
                tabs.append((tab, export.build(home, demo)))
            with shell("tab.models", gr.Tab(t("tab.models"), elem_id="tab-models"), "label") as tab:
                tabs.append((tab, models.build(home, demo)))
        labellers += [lab for _, labs in tabs for lab in labs]
        components = [c for lab in labellers for c in lab.components]

        def relabel(language):
            i18n.remember(language)  # this session's handlers render their text in it from now on
            return [update for lab in labellers for update in lab.relabel(language)]

        quiet = dict(api_visibility="private", concurrency_limit=None, show_progress="hidden")
        lang.change(relabel, lang, components, **quiet)
        # What handlers wrote is re-rendered on a switch, and again when its tab is shown: Gradio mounts a
        # tab's components on first view and drops value updates sent to them before that.
        for tab, labs in tabs:
            for fn, inputs, outputs in [s for lab in labs for s in lab.switches]:
                lang.change(_in_language(fn), [lang, *inputs], outputs, **quiet)
                tab.select(_in_language(fn), [lang, *inputs], outputs, **quiet)
        # The language follows the browser: the choice saved there (i18n.SAVE_JS, on a user's switch only,
        # so a first visit keeps following the browser's language), else navigator.language.
        lang.input(None, lang, None, js=i18n.SAVE_JS, **quiet)
        demo.load(None, None, lang, js=i18n.LOAD_JS, **quiet)
    return demo


def _in_language(fn):
    """``fn`` called with a leading language argument it renders its text in (a language switch's re-render)."""

    def switched(language, *args):
        with i18n.using(language):
            return fn(*args)

    return switched


def guarded_app(host: str):
    """The FastAPI app Gradio builds the studio on, wrapped outermost in :class:`backend.host_guard.HostGuard`
    (on loopback, a ``Host`` that is not this machine is a 400 before Gradio runs anything) and
    :class:`~backend.host_guard.SameOriginOnly` (no credentialed CORS for other origins; Gradio's own CORS
    middleware allows any ``http://localhost:*``). Handed to ``launch(_app=...)``: Gradio adds its middleware
    inside whatever app it is given, and this app's stack wraps all of it, from the first request on (``_app`` is
    the private parameter Gradio's reload mode uses; tests/test_webui.py fails if it stops working)."""
    from gradio.routes import App, ORJSONResponse

    from backend.host_guard import HostGuard, SameOriginOnly, allowed_hosts

    hosts = allowed_hosts(host)

    def refused(name: str) -> bytes:
        return f"Host {name!r} is not allowed: open the studio at http://127.0.0.1 or http://localhost".encode()

    class GuardedApp(App):
        def build_middleware_stack(self):
            return HostGuard(SameOriginOnly(super().build_middleware_stack()), hosts, refused, b"text/plain")

    return GuardedApp(default_response_class=ORJSONResponse)  # what Gradio's own create_app passes


def parse_auth(text: str | None) -> tuple[str, str] | None:
    """``user:password`` as a tuple (None when empty); ValueError when malformed."""
    if not text:
        return None
    user, sep, password = text.partition(":")
    if not sep or not user or not password:
        raise ValueError("credentials must look like user:password")
    return user, password


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="webui.py", description="Serve the LLM studio in the browser.")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1, this machine only)")
    parser.add_argument("--port", type=int, default=7860, help="port (default 7860)")
    parser.add_argument("--auth", default=None, help="user:password; required off loopback (or set $STUDIO_AUTH)")
    parser.add_argument("--open", action="store_true", help="open the studio in the default web browser")
    parser.add_argument(
        "--home", default=None, help="workspace directory (default $STUDIO_HOME or <project>/workspace)"
    )
    return parser


def serve_error(host: str, port: int, exc: OSError) -> str:
    """The one line for a server that could not start. A busy port names this command's ``--port`` (Gradio's
    own message names ``GRADIO_SERVER_PORT``, which webui.py does not read)."""
    if "empty port" in str(exc) or getattr(exc, "errno", None) == errno.EADDRINUSE:
        return f"port {port} on {host} is already in use (another studio?): pick a free one with --port {port + 1}"
    return f"cannot serve on {host}:{port}: {exc}"


def main(argv: list[str] | None = None) -> int:
    """Serve the studio until interrupted; 2 on bad arguments (e.g. a network address without credentials)."""
    args = build_parser().parse_args(argv)
    try:
        auth = parse_auth(args.auth or os.environ.get("STUDIO_AUTH"))
    except ValueError as exc:
        print(f"error: --auth/STUDIO_AUTH: {exc}", file=sys.stderr)
        return 2
    if not is_loopback(args.host) and auth is None:
        print(
            f"error: refusing to serve on {args.host} without credentials: anyone who can reach it could start "
            "processes on this machine. Pass --auth user:password (or set STUDIO_AUTH), or bind 127.0.0.1.",
            file=sys.stderr,
        )
        return 2
    home = workspace_home(args.home)
    reconcile(home)  # runs whose processes died while no UI was up are marked failed now
    demo = build_app(str(home))
    from studio.util import hardware

    try:
        demo.queue().launch(
            server_name=args.host,
            server_port=args.port,
            auth=auth,
            share=False,
            inbrowser=args.open,  # a no-op where no browser is available
            ssr_mode=False,
            quiet=True,
            prevent_thread_lock=True,
            _app=guarded_app(args.host),
        )
    except OSError as exc:
        print(f"error: {serve_error(args.host, args.port, exc)}", file=sys.stderr)
        return 1
    # Probe the hardware now, in the background (a child process that imports torch), so the first
    # preview or start does not wait for it; the page is already being served.
    threading.Thread(target=hardware, daemon=True).start()
    local = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(args.host, args.host)  # a wildcard is no URL
    local = f"[{local}]" if ":" in local else local
    where = f" (listening on {args.host}, login required)" if auth else ""
    print(f"LLM Studio: http://{local}:{demo.server_port}{where}  workspace {home}", flush=True)
    demo.block_thread()  # until Ctrl-C, which closes the server
    return 0
