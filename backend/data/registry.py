"""The dataset registry: named datasets in ``<workspace>/datasets.yaml`` (or LLaMA-Factory's dataset_info.json).

A data source whose path is ``dataset:<name>`` is looked up here. An entry names a file or folder (relative
to the registry file), its record format and an optional column mapping ``{studio key: key in the file}``::

    my_sft:
      path: data/my_sft.jsonl
      format: alpaca
      columns: {instruction: question, output: reply}
      description: Support tickets, 2024

A ``dataset_info.json`` beside it is read too, translated from LLaMA-Factory's keys (``file_name``,
``formatting``, ``ranking``, ``columns``, ``tags``), so a LLaMA-Factory user's registry works unchanged.
A malformed registry is an error that names the file, the entry and the field: it never silently
yields an empty list.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from backend.data.formats import ALL_FORMATS, DataError
from backend.safe_yaml import YAMLLimitError, read_yaml_file

REGISTRY_FILE = "datasets.yaml"
LLAMA_FACTORY_FILE = "dataset_info.json"
PREFIX = "dataset:"
_KEYS = {"path", "format", "columns", "description"}

# LLaMA-Factory column roles -> the studio's record keys, per formatting.
_LF_ALPACA = {"prompt": "instruction", "query": "input", "response": "output", "system": "system", "history": "history"}
_LF_PREFERENCE = {"prompt": "prompt", "chosen": "chosen", "rejected": "rejected", "system": "system"}


@dataclass
class Entry:
    """One registered dataset."""

    name: str
    path: Path
    format: str = "auto"
    columns: dict[str, str] = field(default_factory=dict)
    description: str = ""
    registry: str = ""


def load_registry(home: Path) -> dict[str, Entry]:
    """Every entry of the workspace's registry files (empty when there are none); DataError when malformed."""
    entries: dict[str, Entry] = {}
    yaml_file, lf_file = Path(home) / REGISTRY_FILE, Path(home) / LLAMA_FACTORY_FILE
    if lf_file.exists():
        entries.update(_read_llama_factory(lf_file))
    if yaml_file.exists():
        entries.update(_read_yaml(yaml_file))  # the studio's own file wins on a name clash
    return entries


def is_registered(path: str) -> bool:
    return path.startswith(PREFIX)


def lookup(path: str, home: Path) -> Entry:
    """The entry a ``dataset:<name>`` source path refers to; DataError naming the known names otherwise."""
    name = path[len(PREFIX) :].strip()
    entries = load_registry(home)
    if name not in entries:
        known = ", ".join(sorted(entries)) or f"none (add {Path(home) / REGISTRY_FILE})"
        raise DataError(f"unknown dataset '{name}'; registered: {known}", field="path")
    return entries[name]


def _read_yaml(file: Path) -> dict[str, Entry]:
    try:
        data = read_yaml_file(file)  # bounded: a YAML bomb or a 100k-deep nesting is refused with its line
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark else ""
        kind = "" if isinstance(exc, YAMLLimitError) else "YAML syntax error: "
        raise DataError(f"{file}{where}: {kind}{getattr(exc, 'problem', None) or exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"{file}: cannot read: {exc}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise DataError(f"{file}: expected a mapping of dataset names to entries, got {type(data).__name__}")
    out = {}
    for name, body in data.items():
        where = f"{file}: {name}"
        if not isinstance(body, dict):
            raise DataError(f"{where}: expected a mapping with 'path', got {type(body).__name__}")
        unknown = set(body) - _KEYS
        if unknown:
            raise DataError(f"{where}.{sorted(unknown)[0]}: unknown field; expected one of {', '.join(sorted(_KEYS))}")
        if not isinstance(body.get("path"), str) or not body["path"].strip():
            raise DataError(f"{where}.path: is required (a file or folder, relative to {file.parent})")
        out[str(name)] = _entry(str(name), file, body["path"], body.get("format", "auto"), body.get("columns"),
                                body.get("description", ""), where)  # fmt: skip
    return out


def _entry(name: str, file: Path, path: str, fmt, columns, description, where: str) -> Entry:
    if fmt not in ("auto", *ALL_FORMATS):
        raise DataError(f"{where}.format: must be one of auto, {', '.join(ALL_FORMATS)} (got {fmt!r})")
    columns = columns or {}
    if not isinstance(columns, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in columns.items()):
        raise DataError(f"{where}.columns: must map studio keys to the file's keys, as strings")
    full = Path(path).expanduser()
    if not full.is_absolute():
        full = file.parent / full
    return Entry(name, full.resolve(), fmt, dict(columns), str(description or ""), str(file))


def _read_llama_factory(file: Path) -> dict[str, Entry]:
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise DataError(f"{file}:{exc.lineno}: JSON syntax error: {exc.msg}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"{file}: cannot read: {exc}") from None
    if not isinstance(data, dict):
        raise DataError(f"{file}: expected an object of dataset names to entries")
    out = {}
    for name, body in data.items():
        where = f"{file}: {name}"
        if not isinstance(body, dict):
            raise DataError(f"{where}: expected an object, got {type(body).__name__}")
        if "file_name" not in body:
            hub = next((k for k in ("hf_hub_url", "ms_hub_url", "om_hub_url", "script_url") if k in body), None)
            why = f"{hub} datasets need a hub, and this studio works offline" if hub else "file_name is required"
            raise DataError(f"{where}: {why}; download it and point file_name at the local copy")
        fmt, columns = _translate(body, where)
        out[str(name)] = _entry(str(name), file, body["file_name"], fmt, columns, body.get("description", ""), where)
    return out


def _translate(body: dict, where: str) -> tuple[str, dict[str, str]]:
    """LLaMA-Factory formatting/columns/tags -> (studio format, studio column mapping)."""
    formatting = body.get("formatting", "alpaca")
    cols = body.get("columns") or {}
    if not isinstance(cols, dict):
        raise DataError(f"{where}.columns: must be an object")
    if body.get("ranking"):
        return "preference", {_LF_PREFERENCE[k]: v for k, v in cols.items() if k in _LF_PREFERENCE}
    if "kto_tag" in cols:
        return "kto", {"prompt": cols.get("prompt", "prompt"), "completion": cols.get("response", "completion"),
                       "label": cols["kto_tag"]}  # fmt: skip
    if formatting == "alpaca":
        return "alpaca", {_LF_ALPACA[k]: v for k, v in cols.items() if k in _LF_ALPACA}
    if formatting in ("sharegpt", "openai"):
        tags = body.get("tags") or {}
        from backend.data.formats import SHAREGPT_ROLES

        for tag in ("user_tag", "assistant_tag", "system_tag", "observation_tag", "function_tag"):
            if tag in tags and str(tags[tag]).lower() not in SHAREGPT_ROLES:
                raise DataError(f"{where}.tags.{tag}: role name {tags[tag]!r} is not one the studio maps "
                                f"({', '.join(sorted(SHAREGPT_ROLES))}); rename it in the data")  # fmt: skip
        openai_style = formatting == "openai" or tags.get("role_tag") == "role"
        key = "messages" if openai_style else "conversations"
        mapping = {key: cols.get("messages", key)}
        if "system" in cols:
            mapping["system"] = cols["system"]
        return ("messages" if openai_style else "sharegpt"), mapping
    raise DataError(f"{where}.formatting: must be alpaca, sharegpt or openai (got {formatting!r})")
