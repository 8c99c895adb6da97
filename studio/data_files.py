"""The Data tab's work outside the page: which datasets and tokenizers there are, saving an upload
inside the workspace, and running ``studio data ... --json`` in a subprocess.

Uploads land in ``<workspace>/data/uploads/`` only: the name is reduced to a plain file name (no
folders, no leading dots, only letters, digits, ``.``, ``-`` and ``_``), the result must resolve inside
that folder, and the file is created exclusively, so an existing file is never written over.
The CLI runs as ``python -m cli`` in a child process: torch and transformers stay out of the UI,
and a hung or crashing run costs a timeout and one line of text, never the UI.
"""

from __future__ import annotations

import filecmp
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import unicodedata
from pathlib import Path

from backend.data.readers import BUILDERS, dataset_suffix
from backend.workspace import PROJECT_ROOT, SAMPLES_DIR, is_builtin, resolve_data_path
from studio.i18n import lookup

UPLOAD_DIR = ("data", "uploads")
DATA_DIRS = ("data", "datasets")  # workspace folders listed in the dataset dropdown
UPLOAD_TYPES = (".jsonl", ".json", ".zst", ".parquet", ".csv", ".txt")
INSPECT_TIMEOUT_S = 300
PREVIEW_TIMEOUT_S = 120
MAX_ERRORS = 50  # bad records listed by inspect (the total is always counted)
MAX_LISTED = 500  # files in the dropdown
MAX_NAME = 120
BUILTIN_TOK = "builtin:tiny-tokenizer"
MESSAGES = {
    "en": {
        "saved": "Saved as {path}; it is selected above.",
        "same": "{path} already holds this file; it is selected above.",
        "taken": "{path} already exists and holds another file: type a new name in 'Save as' and press Save upload.",
    },
    "zh": {
        "saved": "已保存为 {path}，并已在上方选中。",
        "same": "{path} 已是同一文件，已在上方选中。",
        "taken": "{path} 已存在且内容不同：请在“另存为”中填写新名称，再点击“保存上传”。",
    },
}


class DataTabError(ValueError):
    """A problem the Data tab shows as one line (bad path, bad name, failing command)."""


def list_datasets(home) -> list[tuple[str, str]]:
    """Dropdown choices ``(label, value)``: the shipped samples, then dataset files under the workspace's
    data/ and datasets/ folders (label relative to the workspace, value the absolute path)."""
    choices = [(f"builtin:samples/{p.name}",) * 2 for p in sorted(SAMPLES_DIR.iterdir()) if dataset_suffix(p)]
    home = Path(home)
    for sub in DATA_DIRS:
        root = home / sub
        if not root.is_dir():
            continue
        for p in sorted(root.rglob("*")):
            if len(choices) >= MAX_LISTED:
                return choices
            rel = p.relative_to(home)
            if p.is_file() and dataset_suffix(p) and not any(part.startswith(".") for part in rel.parts):
                choices.append((rel.as_posix(), str(p)))
    return choices


def list_tokenizers(home) -> list[str]:
    """``builtin:tiny-tokenizer`` and the folders under <workspace>/models that hold a tokenizer."""
    found = [BUILTIN_TOK]
    models = Path(home) / "models"
    if models.is_dir():
        for d in sorted(models.iterdir()):
            if d.name != "tiny-tokenizer" and any(
                (d / f).exists() for f in ("tokenizer.json", "tokenizer_config.json")
            ):
                found.append(str(d))
    return found


def safe_name(raw: str, fallback_suffix: str | None = None) -> str:
    """A plain file name from ``raw``: its last path component, unsafe characters replaced by ``_``,
    no leading dot, at most MAX_NAME characters, ending in a dataset suffix (``fallback_suffix`` is
    added when it has none). DataTabError when nothing usable is left."""
    name = unicodedata.normalize("NFC", str(raw)).replace("\\", "/").rsplit("/", 1)[-1]
    name = re.sub(r"[^\w.\-]+", "_", name).strip("._-")
    if name and not dataset_suffix(Path(name)) and fallback_suffix:
        name += fallback_suffix
    suffix = dataset_suffix(Path(name)) if name else None
    if not suffix:
        raise DataTabError(f"{raw!r} is not a dataset file name: it must end in one of {', '.join(BUILDERS)}")
    if len(name) > MAX_NAME:
        name = name[: MAX_NAME - len(suffix)].rstrip("._-") + suffix
    if name == suffix or name.startswith("."):
        raise DataTabError(f"{raw!r} leaves no file name")
    return name


def save_upload(src, home, name: str | None = None, language: str = "en") -> tuple[Path, str]:
    """Copy the uploaded file ``src`` to <home>/data/uploads/<safe name>; (target, message for the page).

    ``name`` (the 'Save as' box) overrides the uploaded file's name. A file of that name with the same
    bytes is simply selected; one with other bytes is refused (DataTabError) so nothing is overwritten.
    """
    src = Path(src)
    if not src.is_file():
        raise DataTabError("the upload did not arrive; try again")
    home = Path(home).resolve()
    folder = home.joinpath(*UPLOAD_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    folder = folder.resolve()
    if not folder.is_relative_to(home):
        raise DataTabError(f"{folder} is outside the workspace {home}; refusing to write there")
    target = folder / safe_name(name.strip() if name and name.strip() else src.name, dataset_suffix(src))
    if target.resolve().parent != folder:  # e.g. a symlink planted in uploads/
        raise DataTabError(f"{target} does not resolve inside {folder}; refusing to write there")
    shown = target.relative_to(home).as_posix()
    text = lambda key: lookup(MESSAGES, key, language).format(path=shown)  # noqa: E731
    try:
        with open(src, "rb") as fin, open(target, "xb") as fout:  # "x": never over an existing file
            shutil.copyfileobj(fin, fout, 1 << 20)
    except FileExistsError:
        if target.is_file() and filecmp.cmp(src, target, shallow=False):
            return target, text("same")
        raise DataTabError(text("taken")) from None
    return target, text("saved")


def _path_arg(path, home=None) -> str:
    """The dataset argument, checked: a builtin sample or an existing file/folder. A relative path is read
    from the workspace ``home`` (as a JobSpec reads it) and passed on as that absolute path."""
    path = str(path or "").strip()
    if not path:
        raise DataTabError("no dataset: pick one in the list, type a path or upload a file")
    try:
        local = resolve_data_path(path, home)
    except ValueError as exc:
        raise DataTabError(str(exc)) from None
    if not local.exists():
        where = f" in the workspace {home}" if home is not None and not Path(path).expanduser().is_absolute() else ""
        raise DataTabError(f"{path}: no such file or folder{where}")
    return path if is_builtin(path) else str(local)


def _common(fmt, template, tokenizer) -> list[str]:
    args = ["--format", fmt or "auto", "--template", template or "auto"]
    if str(template or "").endswith(".jinja") and not Path(template).expanduser().is_file():
        raise DataTabError(f"template: {template}: no such file (give a named template or a .jinja file's path)")
    tokenizer = str(tokenizer or "").strip()
    if tokenizer and not is_builtin(tokenizer) and not Path(tokenizer).expanduser().is_dir():
        raise DataTabError(f"tokenizer: {tokenizer} is not a folder (give a local tokenizer folder or {BUILTIN_TOK})")
    return args + (["--tokenizer", tokenizer] if tokenizer else [])


def inspect_argv(home, path, fmt="auto", template="auto", tokenizer=None) -> list[str]:
    """The argv of ``studio data inspect --json`` (after ``python -m cli``)."""
    tail = [_path_arg(path, home), *_common(fmt, template, tokenizer), "--max-errors", str(MAX_ERRORS), "--json"]
    return ["--home", str(home), "data", "inspect", *tail]


def preview_argv(home, path, fmt="auto", template="auto", tokenizer=None, cutoff=1024, pack=False, n=3) -> list[str]:
    """The argv of ``studio data preview --json`` (after ``python -m cli``)."""
    cutoff, n = int(cutoff or 1024), int(n or 3)
    if cutoff < 1 or n < 1:
        raise DataTabError("cutoff length and samples must be at least 1")
    tail = [_path_arg(path, home), *_common(fmt, template, tokenizer), "--cutoff-len", str(cutoff), "--n", str(n)]
    return ["--home", str(home), "data", "preview", *tail, *(["--pack"] if pack else []), "--json"]


def commands_text(home, path, fmt, template, tokenizer, cutoff, pack, n) -> str:
    """The two commands the buttons run, as shell lines (``studio`` is ``python -m cli``)."""
    try:
        first = inspect_argv(home, path, fmt, template, tokenizer)
        second = preview_argv(home, path, fmt, template, tokenizer, cutoff, pack, n)
    except DataTabError as exc:
        return f"# {exc}"
    return "\n".join(["# Inspect:", shlex.join(["studio", *first]), "# Preview:", shlex.join(["studio", *second])])


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("error:") or ": error:" in line]
    return (errors or lines or [""])[-1].removeprefix("error:").strip()


def run_json(argv: list[str], timeout: float = INSPECT_TIMEOUT_S, program: list[str] | None = None) -> dict:
    """Run ``program`` (default ``python -m cli``) with ``argv``; its stdout as JSON.

    Exit 0 and 1 (inspect's "bad records found") carry a JSON document; anything else, a timeout or
    output that is not JSON raises DataTabError with the command's last error line (no traceback).
    """
    program = program or [sys.executable, "-m", "cli"]
    env = os.environ | {"HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false", "PYTHONIOENCODING": "utf-8"}
    try:
        proc = subprocess.run(
            [*program, *argv],
            cwd=PROJECT_ROOT,
            env=env,
            capture_output=True,
            encoding="utf-8",
            errors="replace",
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        raise DataTabError(f"timed out after {timeout:.0f} s; run the command in a terminal for large files") from None
    except OSError as exc:
        raise DataTabError(f"could not start the command: {exc}") from None
    if proc.returncode in (0, 1):
        try:
            return json.loads(proc.stdout)
        except json.JSONDecodeError:
            pass
    reason = _last_line(proc.stderr) or f"the command exited with status {proc.returncode}"
    raise DataTabError(reason)
