"""The ``studio`` command is one table of subcommands (``cli/__main__.py``) behind ``python -m cli`` and the
console script; every subcommand module only adds its parser (no module of its own has a ``main``)."""

from __future__ import annotations

import importlib
import re
import subprocess
import sys
from pathlib import Path

import cli
from cli.__main__ import COMMANDS, build_parser

ROOT = Path(__file__).resolve().parents[1]
EXPECTED = ["train", "runs", "fields", "presets", "data", "export", "eval", "preflight", "tokenizer", "chat",
            "serve", "cluster", "models", "viewer", "webui"]  # fmt: skip


def test_the_table_is_the_parser_in_order():
    assert list(COMMANDS) == EXPECTED
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    assert list(sub.choices) == EXPECTED  # each builder adds exactly the subcommand it is filed under


def test_the_console_script_points_at_the_table_and_no_command_module_has_a_main():
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")  # tomllib is 3.11+; the project runs on 3.10
    module, name = re.search(r'^\[project\.scripts\]\nstudio = "([\w.]+):(\w+)"$', pyproject, re.M).groups()
    assert getattr(importlib.import_module(module), name) is importlib.import_module("cli.__main__").main
    for path in sorted(Path(cli.__file__).parent.glob("*.py")):
        if path.stem in ("__init__", "__main__"):
            continue
        text = path.read_text(encoding="utf-8")
        assert "def main(" not in text and "__main__" not in text, path.name


def test_python_dash_m_cli_lists_every_subcommand_and_refuses_an_unknown_one():
    out = subprocess.run([sys.executable, "-m", "cli", "--help"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "{" + ",".join(EXPECTED) + "}" in "".join(out.stdout.split())
    bad = subprocess.run([sys.executable, "-m", "cli", "trian"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "invalid choice: 'trian'" in bad.stderr and "Traceback" not in bad.stderr
