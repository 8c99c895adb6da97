"""The local model list: builtin, downloaded and exported models with what the studio knows of each (torch-free)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from backend.failures import human_bytes
from backend.models.families import template_for_folder
from backend.models.ref import MARKER, download_info
from backend.workspace import BUILTIN_MODELS, BUILTIN_PREFIX

EXPORTS_DIR = "exports"
HUB_DIR = ("models", "hub")


def folder_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in Path(folder).rglob("*") if p.is_file() and not p.is_symlink())


def describe(folder: Path, kind: str, ref: str) -> dict:
    """One row: ref, kind, family, parameters, dtype, size on disk, chat template found, fitting named template."""
    from backend.model_shape import ModelShape

    row = {"ref": ref, "kind": kind, "path": str(folder), "family": "?", "params": None, "dtype": "?"}
    try:
        cfg = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        row["family"] = cfg.get("model_type") or "?"
        row["dtype"] = str(cfg.get("torch_dtype") or cfg.get("dtype") or "?")
        row["params"] = ModelShape.from_config(cfg).total_params()
    except (OSError, ValueError, KeyError, TypeError):
        pass
    row["size"] = folder_size(folder)
    row["chat_template"] = _has_chat_template(folder)
    row["template"] = template_for_folder(folder)
    row["complete"] = kind != "downloaded" or (folder / MARKER).is_file()
    return row


def _has_chat_template(folder: Path) -> bool:
    if (folder / "chat_template.jinja").is_file() or (folder / "chat_template.json").is_file():
        return True
    try:
        return bool(json.loads((folder / "tokenizer_config.json").read_text(encoding="utf-8")).get("chat_template"))
    except (OSError, ValueError):
        return False


def hub_folders(home: Path) -> list[tuple[str, Path]]:
    """(ref, folder) of every downloaded (or partly downloaded) hub model."""
    root = Path(home).joinpath(*HUB_DIR)
    out = []
    for hub_dir in sorted(p for p in root.glob("*") if p.is_dir()):
        for folder in sorted(p for p in hub_dir.iterdir() if p.is_dir()):
            info = download_info(folder)
            repo, _, rev = folder.name.partition("@")
            ref = (info or {}).get("id") or f"{hub_dir.name}:{repo.replace('--', '/', 1)}" + (f"@{rev}" if rev else "")
            out.append((ref, folder))
    return out


def list_models(home: Path) -> list[dict]:
    """Every local model: the builtin ones (built), downloaded hub models, exported folders."""
    home = Path(home)
    rows = []
    for name in BUILTIN_MODELS:
        folder = home / "models" / name
        if (folder / "config.json").is_file() or (folder / "tokenizer.json").is_file():
            rows.append(describe(folder, "builtin", BUILTIN_PREFIX + name))
    rows += [describe(folder, "downloaded", ref) for ref, folder in hub_folders(home)]
    exports = home / EXPORTS_DIR
    if exports.is_dir():
        for folder in sorted(p for p in exports.iterdir() if (p / "config.json").is_file()):
            rows.append(describe(folder, "export", str(folder)))
    return rows


def format_table(rows: list[dict]) -> str:
    head = ("MODEL", "KIND", "FAMILY", "PARAMS", "DTYPE", "SIZE", "CHAT TEMPLATE", "NAMED TEMPLATE")
    lines = [head]
    for r in rows:
        params = f"{r['params'] / 1e6:.1f}M" if r["params"] else "?"
        kind = r["kind"] if r["complete"] else "partial"
        own = "yes" if r["chat_template"] else "no"
        lines.append(
            (r["ref"], kind, r["family"], params, r["dtype"], human_bytes(r["size"]), own, r["template"] or "-")
        )
    widths = [max(len(str(line[i])) for line in lines) for i in range(len(head))]
    return "\n".join("  ".join(str(c).ljust(w) for c, w in zip(line, widths, strict=True)).rstrip() for line in lines)


def remove(home: Path, ref_text: str) -> Path:
    """Delete a downloaded hub model's folder (only those: builtin and exported models are not removed here)."""
    from backend.models.ref import parse_ref

    ref = parse_ref(ref_text)
    if not ref.is_hub:
        raise ValueError(f"{ref_text}: only downloaded hub models are removed here (hf:ORG/NAME or ms:ORG/NAME)")
    folder = ref.local_dir(home)
    if not folder.is_dir():
        raise ValueError(f"{ref.id} is not downloaded (no {folder})")
    shutil.rmtree(folder)
    return folder
