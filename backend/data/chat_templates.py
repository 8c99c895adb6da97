"""Named chat templates for tokenizers that ship without one (``data.template: llama3`` etc.).

Each is written after the model's official format, with the role markers the model was trained on.
Assistant turns render as ``lead + content + eot`` right after the generation prompt, which is what
the loss mask in :mod:`backend.data.templates` relies on: the tokens carrying loss decode to exactly
that. ``markers`` are the special strings the template emits (a tokenizer for that model has them as
special tokens). ``empty`` renders only the assistant turns and EOS: XTuner's "empty system/user"
style for incremental pretraining on conversation-shaped data.
"""

from __future__ import annotations

from dataclasses import dataclass

from backend.builtin import CHATML_TEMPLATE


@dataclass(frozen=True)
class ChatTemplate:
    jinja: str
    eot: str  # what ends an assistant turn (learned, so generation stops); "{eos}" = the tokenizer's EOS
    lead: str = ""  # what the assistant writes before its content (a space in some formats)
    markers: tuple[str, ...] = ()


_CHATML_MARKERS = ("<|im_start|>", "<|im_end|>")

QWEN = (
    "{%- if messages and messages[0]['role'] != 'system' %}"
    "{{- '<|im_start|>system\\nYou are a helpful assistant.<|im_end|>\\n' }}{%- endif %}" + CHATML_TEMPLATE
)

LLAMA3 = (
    "{{- '<|begin_of_text|>' }}"
    "{%- for message in messages %}"
    "{{- '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n' }}"
    "{{- message['content'] | trim + '<|eot_id|>' }}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}{{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{%- endif %}"
)

# Llama 2 chat: the system prompt sits inside the first [INST] block; every exchange is <s>...</s>.
LLAMA2 = (
    "{%- if messages and messages[0]['role'] == 'system' %}"
    "{%- set system = messages[0]['content'] %}{%- set loop_messages = messages[1:] %}"
    "{%- else %}{%- set system = '' %}{%- set loop_messages = messages %}{%- endif %}"
    "{%- for message in loop_messages %}"
    "{%- if message['role'] == 'user' %}"
    "{%- if loop.first and system %}"
    "{%- set content = '<<SYS>>\\n' + system + '\\n<</SYS>>\\n\\n' + message['content'] %}"
    "{%- else %}{%- set content = message['content'] %}{%- endif %}"
    "{{- '<s>[INST] ' + content | trim + ' [/INST]' }}"
    "{%- elif message['role'] == 'assistant' %}{{- ' ' + message['content'] | trim + ' </s>' }}"
    "{%- endif %}{%- endfor %}"
)

# Mistral instruct (v0.1/v0.2 style): no system role, so a system prompt prefixes the first user turn.
MISTRAL = (
    "{{- '<s>' }}"
    "{%- if messages and messages[0]['role'] == 'system' %}"
    "{%- set system = messages[0]['content'] + '\\n\\n' %}{%- set loop_messages = messages[1:] %}"
    "{%- else %}{%- set system = '' %}{%- set loop_messages = messages %}{%- endif %}"
    "{%- for message in loop_messages %}"
    "{%- if message['role'] == 'user' %}"
    "{{- '[INST] ' + (system if loop.first else '') + message['content'] + ' [/INST]' }}"
    "{%- elif message['role'] == 'assistant' %}{{- message['content'] + '</s>' }}"
    "{%- endif %}{%- endfor %}"
)

INTERNLM2 = "{{- '<s>' }}" + CHATML_TEMPLATE

# Baichuan 2 chat: the system prompt as plain text, user turns after <reserved_106>, answers after <reserved_107>.
BAICHUAN2 = (
    "{%- for message in messages %}"
    "{%- if message['role'] == 'system' %}{{- message['content'] }}"
    "{%- elif message['role'] == 'user' %}{{- '<reserved_106>' + message['content'] }}"
    "{%- elif message['role'] == 'assistant' %}{{- '<reserved_107>' + message['content'] + '</s>' }}"
    "{%- endif %}{%- endfor %}"
    "{%- if add_generation_prompt %}{{- '<reserved_107>' }}{%- endif %}"
)

# ChatGLM3: [gMASK]sop once, then <|role|> + "\n " + content; EOS after an answer (as LLaMA-Factory trains it).
CHATGLM3 = (
    "{{- '[gMASK]sop' }}"
    "{%- for message in messages %}"
    "{%- if message['role'] == 'assistant' %}{{- '<|assistant|>\\n ' + message['content'] + '</s>' }}"
    "{%- else %}{{- '<|' + message['role'] + '|>\\n ' + message['content'] }}{%- endif %}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}{{- '<|assistant|>' }}{%- endif %}"
)

# DeepSeek LLM chat: "User: ...\n\nAssistant: ..." with the sentence markers of its tokenizer.
DEEPSEEK = (
    "{{- '<｜begin▁of▁sentence｜>' }}"
    "{%- for message in messages %}"
    "{%- if message['role'] == 'system' %}{{- message['content'] + '\\n\\n' }}"
    "{%- elif message['role'] == 'user' %}{{- 'User: ' + message['content'] + '\\n\\n' }}"
    "{%- elif message['role'] == 'assistant' %}{{- 'Assistant: ' + message['content'] + '<｜end▁of▁sentence｜>' }}"
    "{%- endif %}{%- endfor %}"
    "{%- if add_generation_prompt %}{{- 'Assistant:' }}{%- endif %}"
)

EMPTY = (
    "{%- for message in messages %}"
    "{%- if message['role'] == 'assistant' %}{{- message['content'] + (eos_token or '') }}{%- endif %}"
    "{%- endfor %}"
)

TEMPLATES: dict[str, ChatTemplate] = {
    "chatml": ChatTemplate(CHATML_TEMPLATE, "<|im_end|>\n", markers=_CHATML_MARKERS),
    "qwen": ChatTemplate(QWEN, "<|im_end|>\n", markers=_CHATML_MARKERS),
    "yi": ChatTemplate(CHATML_TEMPLATE, "<|im_end|>\n", markers=_CHATML_MARKERS),
    "internlm2": ChatTemplate(INTERNLM2, "<|im_end|>\n", markers=("<s>", *_CHATML_MARKERS)),
    "llama3": ChatTemplate(
        LLAMA3, "<|eot_id|>", markers=("<|begin_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>")
    ),
    "llama2": ChatTemplate(
        LLAMA2, " </s>", lead=" ", markers=("<s>", "</s>", "[INST]", "[/INST]", "<<SYS>>", "<</SYS>>")
    ),
    "mistral": ChatTemplate(MISTRAL, "</s>", markers=("<s>", "</s>", "[INST]", "[/INST]")),
    "baichuan2": ChatTemplate(BAICHUAN2, "</s>", markers=("</s>", "<reserved_106>", "<reserved_107>")),
    "chatglm3": ChatTemplate(
        CHATGLM3,
        "</s>",
        lead="\n ",
        markers=("[gMASK]sop", "<|system|>", "<|user|>", "<|assistant|>", "<|observation|>", "</s>"),
    ),
    "deepseek": ChatTemplate(
        DEEPSEEK, "<｜end▁of▁sentence｜>", lead=" ", markers=("<｜begin▁of▁sentence｜>", "<｜end▁of▁sentence｜>")
    ),
    "empty": ChatTemplate(EMPTY, "{eos}"),
}
