"""Named chat templates for tokenizers that ship without one (``data.template: llama3`` etc.).

Each is written after the model's official format, with the role markers the model was trained on; the
README's "Chat templates" table says which model families each name covers. The loss mask
(:mod:`backend.data.templates`) finds each reply in the rendering itself, so a template may trim replies or
rewrite reasoning as its model's official one does. ``eot`` is the text that ends an assistant turn (learned,
so generation stops; "{eos}" = the tokenizer's EOS), ``stops`` further markers generation stops at (GLM stops
at the next role marker), ``markers`` the special strings the template emits (a tokenizer for that model has
them as special tokens). ``empty`` renders only the assistant turns and EOS: XTuner's "empty system/user"
style for incremental pretraining on conversation-shaped data.
"""

from __future__ import annotations

from dataclasses import dataclass

from backend.builtin import CHATML_TEMPLATE


@dataclass(frozen=True)
class ChatTemplate:
    jinja: str
    eot: str
    markers: tuple[str, ...] = ()
    stops: tuple[str, ...] = ()


_CHATML_MARKERS = ("<|im_start|>", "<|im_end|>")
_GLM_MARKERS = ("[gMASK]", "<sop>", "<|system|>", "<|user|>", "<|assistant|>", "<|observation|>", "<|endoftext|>")

# Qwen2.5: Qwen's own default system prompt when the conversation has none (as the official template).
QWEN = (
    "{%- if messages and messages[0]['role'] != 'system' %}"
    "{{- '<|im_start|>system\\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\\n' }}"
    "{%- endif %}" + CHATML_TEMPLATE
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

# Mistral instruct (v0.2 official): no system role, so a system prompt prefixes the first user turn; a space
# after [/INST] and the reply trimmed, then </s>.
MISTRAL = (
    "{{- '<s>' }}"
    "{%- if messages and messages[0]['role'] == 'system' %}"
    "{%- set system = messages[0]['content'] + '\\n\\n' %}{%- set loop_messages = messages[1:] %}"
    "{%- else %}{%- set system = '' %}{%- set loop_messages = messages %}{%- endif %}"
    "{%- for message in loop_messages %}"
    "{%- if message['role'] == 'user' %}"
    "{{- '[INST] ' + (system if loop.first else '') + message['content'] + ' [/INST]' }}"
    "{%- elif message['role'] == 'assistant' %}{{- ' ' + message['content'] | trim + '</s>' }}"
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

# DeepSeek-R1 and its distills (official format): reasoning is dropped from earlier replies; the generation
# prompt opens a <think> block, so the last reply is kept as "<think>\\n{reasoning}\\n</think>\\n\\n{answer}" (an
# empty block when the record has no reasoning): training then renders a reply the way inference prompts for it.
_R1_SPLIT = (
    "{%- set content = message['content'] %}{%- set reasoning = '' %}"
    "{%- if '</think>' in content %}"
    "{%- set reasoning = content.split('</think>')[0].split('<think>')[-1].strip('\\n') %}"
    "{%- set content = content.split('</think>')[-1].lstrip('\\n') %}{%- endif %}"
)
DEEPSEEK_R1 = (
    "{%- set ns = namespace(system='', last_user=-1) %}"
    "{%- for message in messages %}"
    "{%- if message['role'] == 'system' %}"
    "{%- set ns.system = ns.system + ('\\n\\n' if ns.system else '') + message['content'] %}"
    "{%- elif message['role'] == 'user' %}{%- set ns.last_user = loop.index0 %}{%- endif %}"
    "{%- endfor %}"
    "{{- '<｜begin▁of▁sentence｜>' + ns.system }}"
    "{%- for message in messages %}"
    "{%- if message['role'] == 'user' %}{{- '<｜User｜>' + message['content'] }}"
    "{%- elif message['role'] == 'assistant' %}" + _R1_SPLIT + "{{- '<｜Assistant｜>' }}"
    "{%- if loop.index0 > ns.last_user %}{{- '<think>\\n' + reasoning + '\\n</think>\\n\\n' }}{%- endif %}"
    "{{- content + '<｜end▁of▁sentence｜>' }}"
    "{%- endif %}{%- endfor %}"
    "{%- if add_generation_prompt %}{{- '<｜Assistant｜><think>\\n' }}{%- endif %}"
)

# Qwen3 (official format, without tools): reasoning kept only in replies after the last user turn; the thinking
# switch is the template variable enable_thinking (``qwen3-nothink`` sets it off: an empty think block).
QWEN3 = (
    "{%- if messages and messages[0]['role'] == 'system' %}"
    "{{- '<|im_start|>system\\n' + messages[0]['content'] + '<|im_end|>\\n' }}{%- endif %}"
    "{%- set ns = namespace(last_user=-1) %}"
    "{%- for message in messages %}{%- if message['role'] == 'user' %}{%- set ns.last_user = loop.index0 %}"
    "{%- endif %}{%- endfor %}"
    "{%- for message in messages %}"
    "{%- if message['role'] == 'user' or (message['role'] == 'system' and not loop.first) %}"
    "{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}"
    "{%- elif message['role'] == 'assistant' %}" + _R1_SPLIT + "{{- '<|im_start|>assistant\\n' }}"
    "{%- if loop.index0 > ns.last_user and (loop.last or reasoning) %}"
    "{{- '<think>\\n' + reasoning + '\\n</think>\\n\\n' }}{%- endif %}"
    "{{- content + '<|im_end|>\\n' }}"
    "{%- endif %}{%- endfor %}"
    "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}"
    "{%- if enable_thinking is defined and enable_thinking is false %}{{- '<think>\\n\\n</think>\\n\\n' }}{%- endif %}"
    "{%- endif %}"
)
QWEN3_NOTHINK = "{%- set enable_thinking = false %}" + QWEN3

# GLM-4-9B-chat / GLM-4-0414: [gMASK]<sop>, roles as <|role|>\\n; the next <|user|> ends a reply, so the last
# reply ends with <|endoftext|> (both are among GLM's stop tokens).
GLM4 = (
    "{{- '[gMASK]<sop>' }}"
    "{%- for message in messages %}"
    "{%- if message['role'] == 'assistant' %}{{- '<|assistant|>\\n' + message['content'] }}"
    "{%- else %}{{- '<|' + message['role'] + '|>\\n' + message['content'] }}{%- endif %}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}{{- '<|assistant|>' }}"
    "{%- elif messages and messages[-1]['role'] == 'assistant' %}{{- '<|endoftext|>' }}{%- endif %}"
)

# GLM-4.5 / GLM-4.6 (official format, without tools): each reply opens with a think block, filled only after
# the last user turn; the last reply ends with <|endoftext|> as in GLM4.
GLM45 = (
    "{{- '[gMASK]<sop>' }}"
    "{%- set ns = namespace(last_user=-1) %}"
    "{%- for message in messages %}{%- if message['role'] == 'user' %}{%- set ns.last_user = loop.index0 %}"
    "{%- endif %}{%- endfor %}"
    "{%- for message in messages %}"
    "{%- if message['role'] == 'assistant' %}" + _R1_SPLIT + "{{- '<|assistant|>' }}"
    "{%- if loop.index0 > ns.last_user and reasoning %}{{- '\\n<think>' + reasoning.strip() + '</think>' }}"
    "{%- else %}{{- '\\n<think></think>' }}{%- endif %}"
    "{%- if content.strip() %}{{- '\\n' + content.strip() }}{%- endif %}"
    "{%- else %}{{- '<|' + message['role'] + '|>\\n' + message['content'] }}{%- endif %}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}{{- '<|assistant|>' }}"
    "{%- elif messages and messages[-1]['role'] == 'assistant' %}{{- '<|endoftext|>' }}{%- endif %}"
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
    "llama2": ChatTemplate(LLAMA2, " </s>", markers=("<s>", "</s>", "[INST]", "[/INST]", "<<SYS>>", "<</SYS>>")),
    "mistral": ChatTemplate(MISTRAL, "</s>", markers=("<s>", "</s>", "[INST]", "[/INST]")),
    "baichuan2": ChatTemplate(BAICHUAN2, "</s>", markers=("</s>", "<reserved_106>", "<reserved_107>")),
    "chatglm3": ChatTemplate(
        CHATGLM3,
        "</s>",
        markers=("[gMASK]sop", "<|system|>", "<|user|>", "<|assistant|>", "<|observation|>", "</s>"),
    ),
    "deepseek": ChatTemplate(
        DEEPSEEK, "<｜end▁of▁sentence｜>", markers=("<｜begin▁of▁sentence｜>", "<｜end▁of▁sentence｜>")
    ),
    "deepseek-r1": ChatTemplate(
        DEEPSEEK_R1,
        "<｜end▁of▁sentence｜>",
        markers=(
            "<｜begin▁of▁sentence｜>",
            "<｜end▁of▁sentence｜>",
            "<｜User｜>",
            "<｜Assistant｜>",
            "<think>",
            "</think>",
        ),
    ),
    "qwen3": ChatTemplate(QWEN3, "<|im_end|>\n", markers=(*_CHATML_MARKERS, "<think>", "</think>")),
    "qwen3-nothink": ChatTemplate(QWEN3_NOTHINK, "<|im_end|>\n", markers=(*_CHATML_MARKERS, "<think>", "</think>")),
    "glm4": ChatTemplate(GLM4, "<|endoftext|>", markers=_GLM_MARKERS, stops=("<|user|>", "<|observation|>")),
    "glm4.5": ChatTemplate(
        GLM45, "<|endoftext|>", markers=(*_GLM_MARKERS, "<think>", "</think>"), stops=("<|user|>", "<|observation|>")
    ),
    "empty": ChatTemplate(EMPTY, "{eos}"),
}
