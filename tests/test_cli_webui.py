"""``studio webui`` starts the web UI as its own process (the backend never imports ``studio``)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from cli.__main__ import build_parser
from cli.frontends import webui_command

ROOT = Path(__file__).resolve().parents[1]


def test_webui_command_runs_webui_py_and_keeps_the_password_out_of_argv(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    args = build_parser().parse_args(["--home", "ws", "webui", "--host", "0.0.0.0", "--port", "9", "--auth", "u:pw"])
    argv, env = webui_command(args)
    assert argv == [sys.executable, str(ROOT / "webui.py"), "--host", "0.0.0.0", "--port", "9",
                    "--home", str(tmp_path / "ws")]  # fmt: skip
    assert env["STUDIO_AUTH"] == "u:pw" and not any("pw" in a for a in argv)


def test_studio_webui_keeps_refusing_a_network_address_without_credentials(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "STUDIO_AUTH"}
    out = subprocess.run(
        [sys.executable, "-m", "cli", "--home", str(tmp_path), "webui", "--host", "0.0.0.0"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert out.returncode == 2, out.stderr
    assert "error: refusing to serve on 0.0.0.0 without credentials" in out.stderr
    assert "Traceback" not in out.stderr
