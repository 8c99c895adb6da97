"""What an export writes beside the weights: the README.md model card and an Ollama ``Modelfile``.

Pure text functions (no torch): the card names the base model, the method, the data, the full
training spec, the run's final metrics, the date and the command that made the export. A reward
model's card says how to score a conversation with it (and claims no text generation). The
Modelfile maps the studio's named chat templates onto Ollama's Go-template syntax; a template the
studio does not recognise gets no Modelfile, and :func:`ollama_modelfile` says why.
"""

from __future__ import annotations

import time

from backend.data.chat_templates import TEMPLATES

# Ollama TEMPLATE bodies, written to render exactly what the Jinja template renders with
# add_generation_prompt=True (system messages arrive in .Messages like any other turn).
_OLLAMA_CHATML = (
    "{{- range .Messages }}<|im_start|>{{ .Role }}\n{{ .Content }}<|im_end|>\n{{ end }}<|im_start|>assistant\n"
)
_OLLAMA_LLAMA3 = (
    "{{- range .Messages }}<|start_header_id|>{{ .Role }}<|end_header_id|>\n\n{{ .Content }}<|eot_id|>"
    "{{- end }}<|start_header_id|>assistant<|end_header_id|>\n\n"
)
# name -> (TEMPLATE, stop strings, default SYSTEM or None)
OLLAMA_TEMPLATES: dict[str, tuple[str, tuple[str, ...], str | None]] = {
    "chatml": (_OLLAMA_CHATML, ("<|im_start|>", "<|im_end|>"), None),
    "yi": (_OLLAMA_CHATML, ("<|im_start|>", "<|im_end|>"), None),
    "qwen": (
        _OLLAMA_CHATML,
        ("<|im_start|>", "<|im_end|>"),
        "You are Qwen, created by Alibaba Cloud. You are a helpful assistant.",
    ),
    "llama3": (_OLLAMA_LLAMA3, ("<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"), None),
}


def identify_template(jinja: str | None) -> tuple[str | None, str]:
    """The studio's name for a chat template and how it was recognised (``exact`` or ``markers``).

    An exact match with a named template comes first; otherwise the ChatML and Llama 3 role markers
    identify the family (real Qwen/Llama 3 templates add tool calling on top of the same turns).
    """
    if not jinja:
        return None, "the tokenizer has no chat template"
    for name, template in TEMPLATES.items():
        if template.jinja == jinja:
            return name, "exact"
    if "<|im_start|>" in jinja and "<|im_end|>" in jinja:
        return "chatml", "markers"
    if "<|start_header_id|>" in jinja and "<|eot_id|>" in jinja:
        return "llama3", "markers"
    return None, "the chat template is not one the studio can translate to Ollama's syntax"


def ollama_modelfile(jinja: str | None, source: str = ".") -> tuple[str | None, str]:
    """``(Modelfile text, note)``; the text is None when no Ollama template fits (the note says why).

    ``source`` is what ``FROM`` names: the folder itself (``.``, safetensors) or a ``./NAME.gguf`` beside it.
    """
    name, how = identify_template(jinja)
    if name is None:
        return None, f"no Modelfile: {how}"
    if name not in OLLAMA_TEMPLATES:
        return (
            None,
            f"no Modelfile: no Ollama template for the '{name}' chat template yet (chatml, qwen, llama3 have one)",
        )
    template, stops, system = OLLAMA_TEMPLATES[name]
    lines = [
        "# Ollama model definition written by `studio export`.",
        "# Create the model from this folder:  ollama create MY-MODEL -f Modelfile",
        f"FROM {source}",
        f'TEMPLATE """{template}"""',
    ]
    lines += [f'PARAMETER stop "{s}"' for s in stops]
    if system:
        lines.append(f'SYSTEM """{system}"""')
    note = f"Modelfile: '{name}' chat template" + (" (recognised by its role markers)" if how == "markers" else "")
    return "\n".join(lines) + "\n", note


def _method_line(method: str, spec) -> str:
    if spec is None or method not in ("lora", "qlora"):
        return method
    lora = spec.method.lora
    kind = "DoRA" if lora.use_dora else ("rsLoRA" if lora.use_rslora else "LoRA")
    line = f"{method} ({kind} r={lora.rank}, alpha={lora.alpha:g}, targets={lora.target_modules})"
    if method == "qlora":
        q = spec.method.quant
        line += f" on a {q.bits}-bit {q.quant_type if q.bits == 4 else 'int8'} base"
    return line


def _metrics_table(metrics: dict) -> list[str]:
    rows = ["| metric | value |", "|---|---|"]
    for key, value in metrics.items():
        text = f"{value:.6g}" if isinstance(value, float) else str(value)
        rows.append(f"| {key} | {text} |")
    return rows


def _chat_use() -> list[str]:
    return [
        "## Use",
        "",
        "```python",
        "from transformers import AutoModelForCausalLM, AutoTokenizer",
        "",
        'tokenizer = AutoTokenizer.from_pretrained("path/to/this/folder")',
        'model = AutoModelForCausalLM.from_pretrained("path/to/this/folder")',
        'messages = [{"role": "user", "content": "Hello"}]',
        "ids = tokenizer.apply_chat_template(messages, add_generation_prompt=True, return_tensors='pt')",
        "```",
        "",
    ]


def _reward_use() -> list[str]:
    return [
        "## Use",
        "",
        "A reward model: it scores a whole conversation with one number (higher is preferred) and generates",
        "no text. Render the conversation with the tokenizer's chat template, as training did:",
        "",
        "```python",
        "import torch",
        "from transformers import AutoModelForSequenceClassification, AutoTokenizer",
        "",
        'tokenizer = AutoTokenizer.from_pretrained("path/to/this/folder")',
        'model = AutoModelForSequenceClassification.from_pretrained("path/to/this/folder").eval()',
        'chat = [{"role": "user", "content": "Hello"}, {"role": "assistant", "content": "Hi! How can I help?"}]',
        "batch = tokenizer.apply_chat_template(chat, return_tensors='pt', return_dict=True)",
        "with torch.no_grad():",
        "    score = model(**batch).logits[0, 0].item()",
        "```",
        "",
        "Or: `studio eval path/to/this/folder --task reward --data PAIRS.jsonl` (pair accuracy and margin).",
        "",
    ]


def model_card(info: dict) -> str:
    """README.md text from an export's facts.

    ``info`` keys: ``title``, ``base``, ``method``, ``spec`` (JobSpec or None), ``spec_yaml``,
    ``metrics`` (run's final metrics), ``checkpoint_metrics``, ``source``, ``merged``, ``notes``,
    ``weights`` (what they are, in words), ``dtype``, ``shards`` (names), ``command``, ``modelfile`` (bool),
    ``reward`` (bool: a sequence-classification reward model, not a chat model).
    """
    spec = info.get("spec")
    reward = bool(info.get("reward"))
    base = info.get("base") or "unknown"
    tags = ["llm-studio"] + ([spec.stage] if spec else []) + [info["method"]]
    out = [
        "---",
        f"base_model: {base}",
        "library_name: transformers",
        "pipeline_tag: " + ("text-classification" if reward else "text-generation"),
        "tags: [" + ", ".join(tags) + "]",
        "---",
        "",
        f"# {info['title']}",
        "",
        f"Fine-tuned from `{base}` with **{_method_line(info['method'], spec)}**"
        + (f", stage `{spec.stage}`" if spec else "")
        + ", and exported by the studio.",
        "",
        "## Export",
        "",
        f"- date: {time.strftime('%Y-%m-%d %H:%M:%S %Z')}",
        f"- source: {info['source']}",
        f"- weights: {info['weights']}, {info['dtype']}, safetensors in {len(info['shards'])} file(s)",
    ]
    out += [f"- note: {note}" for note in info.get("notes", [])]
    out += ["", "Command:", "", "```bash", info["command"], "```", ""]
    if spec is not None:
        out += ["## Data", ""]
        for src in spec.data.sources:
            extra = f", at most {src.max_samples} records" if src.max_samples else ""
            out.append(f"- `{src.path}` (format {src.format}, weight {src.weight:g}{extra})")
        out += [f"- chat template: {spec.data.template}; cutoff {spec.data.cutoff_len} tokens", ""]
    if info.get("metrics"):
        out += ["## Final metrics of the run", "", *_metrics_table(info["metrics"]), ""]
    if info.get("checkpoint_metrics"):
        out += ["## Metrics at the exported checkpoint", "", *_metrics_table(info["checkpoint_metrics"]), ""]
    if info.get("spec_yaml"):
        out += ["## Training spec", "", "```yaml", info["spec_yaml"].rstrip(), "```", ""]
    out += _reward_use() if reward else _chat_use()
    if info.get("modelfile"):
        out += ["With Ollama: `ollama create my-model -f Modelfile` in this folder.", ""]
    if info.get("gguf"):
        out += [f"With llama.cpp: `llama-cli -m {info['gguf']}` (GGUF written by the studio).", ""]
    return "\n".join(out)
