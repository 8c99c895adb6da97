"""``studio webui`` and ``studio viewer``: the two browser front ends, each started as a process of its own.

The backend never imports a front end; this module only builds their command lines and waits for them.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from backend.workspace import PROJECT_ROOT


def webui_command(args) -> tuple[list[str], dict[str, str]]:
    """The command and environment that serve the web UI (``webui.py``) for ``studio webui``.

    The UI runs as its own process, so the backend never imports the front end. ``--auth`` travels in
    ``$STUDIO_AUTH``, not in the child's argv, where every user of the machine could read it with ``ps``.
    """
    argv = [sys.executable, str(PROJECT_ROOT / "webui.py"), "--host", args.host, "--port", str(args.port)]
    env = dict(os.environ)
    if args.auth:
        env["STUDIO_AUTH"] = args.auth
    if args.home:
        argv += ["--home", str(Path(args.home).resolve())]
    return argv, env


def cmd_webui(args) -> int:
    import subprocess

    argv, env = webui_command(args)
    proc = subprocess.Popen(argv, cwd=PROJECT_ROOT, env=env)
    try:
        return proc.wait()
    except KeyboardInterrupt:  # the UI got the same Ctrl-C (one process group) and closes its server itself
        try:
            return proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            return proc.wait()


def viewer_argv(port: int) -> list[str]:
    """The command that serves the data-mix viewer on loopback, with Streamlit's telemetry off."""
    script = str(PROJECT_ROOT / "sampler_viewer.py")
    return [sys.executable, "-m", "streamlit", "run", script, "--server.port", str(port), "--server.headless",
            "true", "--browser.gatherUsageStats", "false", "--server.address", "127.0.0.1",
            "--client.toolbarMode", "minimal"]  # fmt: skip


def cmd_viewer(args) -> int:
    import os
    import subprocess

    env = {**os.environ, **({"STUDIO_HOME": str(Path(args.home).resolve())} if args.home else {})}
    return subprocess.call(viewer_argv(args.port), cwd=PROJECT_ROOT, env=env)


def add_viewer(sub) -> None:
    """``studio viewer [--port 8001]``."""
    p = sub.add_parser("viewer", help="serve the data-mix viewer (Streamlit) on 127.0.0.1")
    p.add_argument("--port", type=int, default=8001)
    p.add_argument("--home", default=argparse.SUPPRESS, help="workspace directory (as the global --home)")
    p.set_defaults(func=cmd_viewer)


def add_webui(sub) -> None:
    """``studio webui [--host H --port P --auth user:pass]``."""
    p = sub.add_parser("webui", help="serve the studio in the browser")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=7860)
    p.add_argument("--auth", help="user:password (required when --host is not loopback)")
    p.set_defaults(func=cmd_webui)
