"""Templates by family: the named chat template (``backend.data.chat_templates``) that fits a model.

Used when a model's tokenizer has no chat template of its own (``data.template: auto``), and shown in
``studio models list``. The family is found from ``config.model_type`` and then the model's name; the
first matching row wins, so name patterns that refine a type come first. A plain ``llama`` type with no
telling name matches nothing (Llama 2 and 3 differ), and the caller keeps its own fallback (ChatML).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

# (model_type or None, name regex or None, named template)
FAMILIES: tuple[tuple[str | None, str | None, str], ...] = (
    (None, r"deepseek-?r1", "deepseek-r1"),
    (None, r"deepseek", "deepseek"),
    (None, r"(^|[/_-])yi-", "yi"),
    ("qwen3", None, "qwen3"),
    ("qwen3_moe", None, "qwen3"),
    (None, r"qwen-?3", "qwen3"),
    ("qwen2", None, "qwen"),
    ("qwen2_moe", None, "qwen"),
    (None, r"qwen", "qwen"),
    ("llama", r"llama-?3", "llama3"),
    ("llama", r"llama-?2", "llama2"),
    ("mistral", None, "mistral"),
    ("mixtral", None, "mistral"),
    ("internlm2", None, "internlm2"),
    ("baichuan", None, "baichuan2"),
    ("glm4_moe", None, "glm4.5"),
    (None, r"glm-?4\.[56]", "glm4.5"),
    ("glm4", None, "glm4"),
    (None, r"glm-?4", "glm4"),
    ("chatglm", None, "chatglm3"),
)


def family_template(model_type: str | None, name: str | None) -> str | None:
    """The named template for a model type and name (case-insensitive), or None when no row fits."""
    low = (name or "").lower()
    for mtype, pattern, template in FAMILIES:
        if mtype and mtype != (model_type or "").lower():
            continue
        if pattern and not re.search(pattern, low):
            continue
        return template
    return None


def template_for_folder(folder: str | Path | None) -> str | None:
    """The family template of a model folder: its config.json's ``model_type`` and the folder (or repo) name."""
    if not folder:
        return None
    folder = Path(folder)
    model_type, name = None, folder.name
    try:
        cfg = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        model_type = cfg.get("model_type")
        name = f"{cfg.get('_name_or_path') or ''} {folder.name}"
    except (OSError, ValueError, AttributeError):
        pass
    return family_template(model_type, name)
