"""Parameter counts of a decoder-only model from its config.json, without loading weights or torch.

Covers the Llama family layout that Llama, Qwen2/2.5/3, Mistral, Yi, InternLM2-converted, Baichuan-style
and most chat models on the hub share: embeddings, L decoder layers of (q, k, v, o) attention and a
gated (gate, up, down) MLP with two norms, a final norm, and an output head unless tied. Mixture-of-
experts configs (``num_local_experts``/``num_experts``) count every expert's MLP and a router.
Qwen2's q/k/v biases are counted. Counts match ``sum(p.numel())`` of transformers' model exactly for
the supported families (tests/test_memory.py checks the tiny model and its LoRA count against peft).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path

from backend.spec import JobSpec
from backend.workspace import BUILTIN_PREFIX, workspace_home

ATTN = ("q_proj", "k_proj", "v_proj", "o_proj")
MLP = ("gate_proj", "up_proj", "down_proj")
QKV_BIAS_FAMILIES = ("qwen2", "qwen2_moe")


@dataclass(frozen=True)
class ModelShape:
    """The sizes that decide parameter counts and activation memory."""

    vocab: int
    hidden: int
    layers: int
    heads: int
    kv_heads: int
    head_dim: int
    intermediate: int
    tied: bool = True
    qkv_bias: bool = False
    experts: int = 1
    experts_per_token: int = 1
    stored_bytes: int = 0  # bytes per weight in the checkpoint files (config.json's dtype); 0 = none or unknown

    @classmethod
    def from_config(cls, cfg: dict) -> ModelShape:
        """From a parsed config.json (multimodal configs: their ``text_config``)."""
        cfg = cfg.get("text_config") or cfg
        hidden, heads = int(cfg["hidden_size"]), int(cfg["num_attention_heads"])
        experts = int(cfg.get("num_local_experts") or cfg.get("num_experts") or 1)
        inter = cfg.get("moe_intermediate_size") if experts > 1 and cfg.get("moe_intermediate_size") else None
        return cls(
            vocab=int(cfg["vocab_size"]),
            hidden=hidden,
            layers=int(cfg["num_hidden_layers"]),
            heads=heads,
            kv_heads=int(cfg.get("num_key_value_heads") or heads),
            head_dim=int(cfg.get("head_dim") or hidden // heads),
            intermediate=int(inter or cfg["intermediate_size"]),
            tied=bool(cfg.get("tie_word_embeddings", False)),
            qkv_bias=cfg.get("model_type") in QKV_BIAS_FAMILIES or bool(cfg.get("attention_bias")),
            experts=experts,
            experts_per_token=int(cfg.get("num_experts_per_tok") or 1) if experts > 1 else 1,
        )

    def linear_shapes(self) -> dict[str, tuple[int, int, int]]:
        """Per decoder layer: module name -> (in_features, out_features, copies)."""
        h, q, kv, i = self.hidden, self.heads * self.head_dim, self.kv_heads * self.head_dim, self.intermediate
        return {
            "q_proj": (h, q, 1),
            "k_proj": (h, kv, 1),
            "v_proj": (h, kv, 1),
            "o_proj": (q, h, 1),
            "gate_proj": (h, i, self.experts),
            "up_proj": (h, i, self.experts),
            "down_proj": (i, h, self.experts),
        }

    def layer_params(self) -> int:
        linear = sum(a * b * n for a, b, n in self.linear_shapes().values())
        bias = (self.heads + 2 * self.kv_heads) * self.head_dim if self.qkv_bias else 0
        router = self.hidden * self.experts if self.experts > 1 else 0
        return linear + bias + router + 2 * self.hidden

    def total_params(self) -> int:
        """All parameters (a tied head counted once, as ``model.parameters()`` does)."""
        embed = self.vocab * self.hidden
        return embed + self.layers * self.layer_params() + self.hidden + (0 if self.tied else embed)

    def quantised_params(self) -> int:
        """Weights that bitsandbytes quantises: every decoder linear layer (not embeddings, norms or head)."""
        return self.layers * sum(a * b * n for a, b, n in self.linear_shapes().values())

    def lora_params(self, targets, rank: int, dora: bool = False) -> int:
        """Trainable LoRA parameters: r × (in + out) per targeted linear (+ out for DoRA's magnitude)."""
        names = list(self.linear_shapes()) if targets == "all-linear" else list(targets)
        total = 0
        for name, (a, b, n) in self.linear_shapes().items():
            if any(t == name or t.endswith("." + name) for t in names):  # peft matches name suffixes
                total += n * (rank * (a + b) + (b if dora else 0))
        return self.layers * total

    def saved_module_params(self, modules: list[str]) -> int:
        """Full trainable copies that LoRA's ``modules_to_save`` adds (embed_tokens, lm_head, norm)."""
        sizes = {"embed_tokens": self.vocab * self.hidden, "lm_head": self.vocab * self.hidden, "norm": self.hidden}
        return sum(sizes.get(m, 0) for m in modules)

    def freeze_params(self, trainable_layers: int, extra: list[str]) -> int:
        """Trainable parameters of the freeze method: the last N layers and the named extra modules."""
        return min(trainable_layers, self.layers) * self.layer_params() + self.saved_module_params(extra)


def _vocab_of_tokenizer(path: Path) -> int | None:
    file = path / "tokenizer.json"
    if not file.exists():
        return None
    from tokenizers import Tokenizer  # light (no torch)

    return Tokenizer.from_file(str(file)).get_vocab_size(with_added_tokens=True)


def model_dir(name: str, home: Path) -> Path:
    """A model path as a directory, without building builtin models (``models/<name>`` in the workspace) or
    downloading hub ids (their download folder, ``models/hub/...``: see :mod:`backend.models.ref`)."""
    from backend.models.ref import local_path

    return local_path(name, home)


def shape_for_spec(spec: JobSpec, home: Path | None = None) -> ModelShape:
    """The shape of the job's model: its config.json, the spec's architecture when training from scratch,
    or the builtin tiny model's shape before it has been built. Raises FileNotFoundError naming the field."""
    from backend.builtin import TINY_ARCH, VOCAB_SIZE

    home = workspace_home(home or spec.output.workspace)
    if spec.model.from_scratch:
        arch = spec.model.architecture.model_dump()
        tok = model_dir(spec.model.tokenizer or spec.model.name_or_path, home)
        vocab = _vocab_of_tokenizer(tok) or VOCAB_SIZE
        if spec.model.architecture.shape:
            from backend.shapes import shape_config, shape_vocab

            cfg = shape_config(spec.model.architecture.shape)
            return ModelShape.from_config({**cfg, "vocab_size": shape_vocab(cfg["vocab_size"], vocab)})
        cfg = {**arch, "model_type": arch.pop("family"), "vocab_size": -(-vocab // 64) * 64}
        cfg["tie_word_embeddings"] = arch["tie_word_embeddings"]
        return ModelShape.from_config(cfg)
    path = model_dir(spec.model.name_or_path, home)
    config = path / "config.json"
    if config.exists():
        cfg = json.loads(config.read_text(encoding="utf-8"))
        stored = str((cfg.get("text_config") or cfg).get("dtype") or cfg.get("dtype") or cfg.get("torch_dtype") or "")
        size = {"float32": 4, "bfloat16": 2, "float16": 2}.get(stored.removeprefix("torch."), 0)
        return replace(ModelShape.from_config(cfg), stored_bytes=size)
    if spec.model.name_or_path == BUILTIN_PREFIX + "tiny-llama":
        return ModelShape.from_config({**TINY_ARCH, "model_type": "llama", "vocab_size": VOCAB_SIZE})
    raise FileNotFoundError(f"model.name_or_path: no config.json in {path}")
