"""Every `studio` command fails the same way: one `error:` line, exit 2 (STUDIO_DEBUG=1 shows the traceback)."""

from __future__ import annotations

import pytest

from backend.data.formats import DataError
from cli.errors import one_line_errors


def raising(exc):
    def cmd(args):
        raise exc

    return one_line_errors(cmd)


def test_studio_errors_print_their_first_line_only(capsys):
    assert raising(DataError("a.jsonl:3: messages[0].role: is missing\nmore detail"))(None) == 2
    assert capsys.readouterr().err == "error: a.jsonl:3: messages[0].role: is missing\n"


def test_unexpected_errors_name_their_class(capsys):
    assert raising(KeyError("x"))(None) == 2
    assert capsys.readouterr().err == "error: KeyError: 'x'\n"
    assert raising(KeyboardInterrupt())(None) == 130


def test_debug_mode_re_raises(monkeypatch):
    monkeypatch.setenv("STUDIO_DEBUG", "1")
    with pytest.raises(KeyError):
        raising(KeyError("x"))(None)
    assert one_line_errors(lambda args: 0)(None) == 0
