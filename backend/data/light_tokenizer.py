"""A torch-free stand-in for a transformers tokenizer, for the template check in pre-flight.

Pre-flight runs inside the UI process, which never imports torch, and importing ``transformers``'
tokenizer classes imports torch. What the loss mask and the template check need of a tokenizer is
small: render a chat template (transformers' own ``render_jinja_template``, which is torch-free, with
the same special-token variables ``apply_chat_template`` passes), encode with offsets (the ``tokenizers``
library that backs every fast tokenizer), decode, and the EOS token. :func:`load_light_tokenizer` reads
those from ``tokenizer.json`` and ``tokenizer_config.json`` (plus ``chat_template.jinja`` when present)
and returns None for a folder without ``tokenizer.json`` (a sentencepiece-only tokenizer): then the
template check runs in the trainer instead.
"""

from __future__ import annotations

import json
from pathlib import Path

_SPECIAL = ("bos_token", "eos_token", "unk_token", "pad_token", "sep_token", "cls_token", "mask_token")


def _content(value):
    return value.get("content") if isinstance(value, dict) else value


class LightTokenizer:
    """The subset of a transformers tokenizer that :mod:`backend.data.templates` uses."""

    def __init__(self, folder: Path):
        from tokenizers import Tokenizer

        self._tok = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.name_or_path = str(folder)  # as transformers' tokenizers: the family table reads the folder's config
        config_file = folder / "tokenizer_config.json"
        config = json.loads(config_file.read_text(encoding="utf-8")) if config_file.exists() else {}
        self.special_tokens_map = {k: _content(config[k]) for k in _SPECIAL if _content(config.get(k))}
        self.eos_token = self.special_tokens_map.get("eos_token")
        self.eos_token_id = self._tok.token_to_id(self.eos_token) if self.eos_token else None
        jinja = folder / "chat_template.jinja"
        template = jinja.read_text(encoding="utf-8") if jinja.exists() else config.get("chat_template")
        if isinstance(template, list):  # [{"name": "default", "template": ...}, {"name": "tool_use", ...}]
            template = next((t["template"] for t in template if t.get("name") == "default"), None)
        self.chat_template = template

    def apply_chat_template(self, messages, chat_template=None, tokenize=False, add_generation_prompt=False, **kw):
        from transformers.utils.chat_template_utils import render_jinja_template

        rendered, _ = render_jinja_template(
            [messages],
            chat_template=chat_template or self.chat_template,
            add_generation_prompt=add_generation_prompt,
            **{**self.special_tokens_map, **kw},
        )
        return rendered[0]

    def __call__(self, text: str, add_special_tokens: bool = False, return_offsets_mapping: bool = False) -> dict:
        enc = self._tok.encode(text, add_special_tokens=add_special_tokens)
        out = {"input_ids": enc.ids}
        if return_offsets_mapping:
            out["offset_mapping"] = enc.offsets
        return out

    def decode(self, ids: list[int]) -> str:
        return self._tok.decode(ids, skip_special_tokens=False)

    def convert_tokens_to_ids(self, token: str) -> int | None:
        return self._tok.token_to_id(token)


def load_light_tokenizer(folder) -> LightTokenizer | None:
    """A :class:`LightTokenizer` for a tokenizer folder, or None when it has no ``tokenizer.json``."""
    folder = Path(folder)
    return LightTokenizer(folder) if (folder / "tokenizer.json").is_file() else None
