"""An independent oracle for the loss-mask tests: what each template renders for a reply, written by hand.

For every named template and every official template in ``../shared/templates/``, ``expected_labels`` gives
the text that must carry loss for each assistant turn: the reply as that template renders it (trimmed,
reasoning dropped or kept, a think block added) plus its end-of-turn text. It is written from the templates'
documented formats, not from :mod:`backend.data.templates`, so the two can disagree.
"""

from __future__ import annotations

from pathlib import Path

SHARED_TEMPLATES = Path(__file__).resolve().parents[2] / "shared" / "templates"
OFFICIAL = ("deepseek-v3.1", "glm-4.5", "phi-4-mini")


def official_template(name: str) -> str:
    return (SHARED_TEMPLATES / f"{name}.jinja").read_text(encoding="utf-8")


def _split_think(content: str) -> tuple[str, str]:
    """(reasoning, answer) of a reply written ``<think>r</think>answer`` (reasoning '' when there is none)."""
    if "</think>" not in content:
        return "", content
    head, answer = content.split("</think>", 1)[0], content.split("</think>")[-1]
    return head.split("<think>")[-1].strip("\n"), answer


def _after_last_user(messages: list[dict], i: int) -> bool:
    return all(m["role"] != "user" for m in messages[i + 1 :]) and any(m["role"] == "user" for m in messages[:i])


def expected_labels(name: str, messages: list[dict], eos: str) -> list[str]:
    """The labelled text of each assistant turn of ``messages`` under template ``name``."""
    out = []
    for i, m in enumerate(messages):
        if m["role"] != "assistant":
            continue
        c, last = m["content"], i == len(messages) - 1
        reasoning, answer = _split_think(c)
        if name in ("chatml", "qwen", "yi", "internlm2"):
            text = c + "<|im_end|>\n"
        elif name == "llama3":
            text = c.strip() + "<|eot_id|>"
        elif name == "llama2":
            text = " " + c.strip() + " </s>"
        elif name == "mistral":
            text = " " + c.strip() + "</s>"
        elif name == "baichuan2":
            text = c + "</s>"
        elif name == "chatglm3":
            text = "\n " + c + "</s>"
        elif name == "deepseek":
            text = " " + c + "<｜end▁of▁sentence｜>"
        elif name == "deepseek-r1":
            # The prompt ends with "<think>\n": the last reply's reasoning is learned; earlier replies lose it.
            head = reasoning + "\n</think>\n\n" if _after_last_user(messages, i) else ""
            text = head + answer.lstrip("\n") + "<｜end▁of▁sentence｜>"
        elif name == "qwen3":
            head = (
                "<think>\n" + reasoning + "\n</think>\n\n"
                if _after_last_user(messages, i) and (last or reasoning)
                else ""
            )
            text = head + answer.lstrip("\n") + "<|im_end|>\n"
        elif name == "qwen3-nothink":
            # The prompt ends with an empty think block: an empty one is prompt, a filled one is learned from its text.
            head = reasoning + "\n</think>\n\n" if _after_last_user(messages, i) and last and reasoning else ""
            text = head + answer.lstrip("\n") + "<|im_end|>\n"
        elif name == "glm4":
            text = "\n" + c + ("<|endoftext|>" if last else "")
        elif name in ("glm4.5", "glm-4.5"):
            think = reasoning.strip() if _after_last_user(messages, i) else ""
            body = "\n" + answer.lstrip("\n").strip() if answer.strip() else ""
            end = "<|endoftext|>" if last and name == "glm4.5" else ""
            text = "\n<think>" + think + "</think>" + body + end
        elif name == "empty":
            text = c + eos
        elif name == "deepseek-v3.1":
            text = (c.split("</think>", 1)[1] if "</think>" in c else c) + "<｜end▁of▁sentence｜>"
        elif name == "phi-4-mini":
            text = c + "<|end|>" + (eos if last else "")
        else:
            raise KeyError(name)
        out.append(text)
    return out
