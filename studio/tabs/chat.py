"""The Chat tab: load a run's model (or an export, a folder, the builtin tiny model) and talk to it.

Contract:
- Each model lives in its own worker process (``backend.chat.worker``); the UI process never imports
  torch. Unload ends that process, so its memory really goes back; so does closing or reloading the page
  (``demo.unload``), and a session's state that expires (``gr.State`` delete callback).
- Answers stream token by token (generators yielding the growing answer); Stop interrupts the worker's
  generation and keeps what was written. Regenerate asks again for the last turn; Clear forgets the turns.
- Side by side: a second slot with its own worker; one prompt goes to both and both answers stream at once.
- Errors are one line (gr.Error), never a traceback.

API names (for gradio_client): ``chat_load_a``, ``chat_load_b``, ``chat_unload_a``, ``chat_unload_b``,
``chat_send``, ``chat_stop``, ``chat_regenerate``, ``chat_clear``.
"""

from __future__ import annotations

import atexit
import functools
import inspect
import traceback

import gradio as gr

from backend.workspace import workspace_home
from studio import chat_session
from studio.chat_session import ChatSession
from studio.chat_view import (
    DTYPES,
    MODES,
    QUANT,
    ChatTabError,
    generation_options,
    model_choices,
    quant_bits,
    template_choices,
)
from studio.freshness import keep_fresh
from studio.i18n import Labeller, lookup
from studio.live import one_line

# The decoding fields, in the order the handlers take them after the fixed inputs.
OPTION_NAMES = ("max_new_tokens", "temperature", "top_p", "top_k", "repetition_penalty", "seed", "stop", "mode")
DEFAULT_OPTIONS = dict(max_new_tokens=256, temperature=0.7, top_p=0.9, top_k=50, repetition_penalty=1.0,
                       seed=-1, stop=[], mode="sampling")  # fmt: skip
LABELS = {
    "en": {
        "intro": "Chat with a base model, a run's adapter or full model, a checkpoint or an export. Each model runs "
        "in its own worker process: Unload (or closing the page) ends it and frees its memory.",
        "slot_a": "Model A", "slot_b": "Model B",
        "model": "Model: a run, checkpoint, export, builtin:tiny-llama, or a typed folder",
        "refresh": "Refresh list", "dtype": "dtype", "quant": "Quantisation (bitsandbytes)",
        "template": "Chat template", "load": "Load", "unload": "Unload",
        "side": "Side by side: send each prompt to a second model too",
        "system": "System prompt", "options": "Generation options", "max_new_tokens": "Max new tokens",
        "temperature": "Temperature (0 = greedy)", "top_p": "Top-p", "top_k": "Top-k (0 = off)",
        "repetition_penalty": "Repetition penalty", "seed": "Seed (-1 = random)",
        "stop": "Stop words (type one, press Enter)", "mode": "Decoding",
        "prompt": "Message", "send": "Send", "stop_btn": "Stop", "regenerate": "Regenerate", "clear": "Clear",
    },
    "zh": {
        "intro": "与基座模型、运行的适配器或完整模型、检查点或导出的模型对话。每个模型运行在独立的工作进程中："
        "卸载（或关闭页面）会结束该进程并释放内存。",
        "slot_a": "模型 A", "slot_b": "模型 B",
        "model": "模型：运行、检查点、导出、builtin:tiny-llama，或输入目录",
        "refresh": "刷新列表", "dtype": "数据类型", "quant": "量化（bitsandbytes）",
        "template": "对话模板", "load": "加载", "unload": "卸载",
        "side": "并排对比：每条消息同时发给第二个模型",
        "system": "系统提示词", "options": "生成参数", "max_new_tokens": "最大新 token 数",
        "temperature": "温度（0 = 贪心）", "top_p": "Top-p", "top_k": "Top-k（0 = 关闭）",
        "repetition_penalty": "重复惩罚", "seed": "随机种子（-1 = 随机）",
        "stop": "停止词（输入后回车）", "mode": "解码方式",
        "prompt": "消息", "send": "发送", "stop_btn": "停止", "regenerate": "重新生成", "clear": "清空",
    },
}  # fmt: skip


def _one_line(fn):
    """Handlers (plain or generators) raise gr.Error with one line; unexpected errors log their traceback."""

    def fail(exc: Exception):
        if isinstance(exc, gr.Error):
            return exc
        if not isinstance(exc, ChatTabError):
            traceback.print_exc()
        return gr.Error(str(exc) if isinstance(exc, ChatTabError) else one_line(exc))

    if inspect.isgeneratorfunction(fn):

        @functools.wraps(fn)
        def gen(*args, **kwargs):
            try:
                yield from fn(*args, **kwargs)
            except Exception as exc:  # noqa: BLE001 - one line for the page
                raise fail(exc) from None

        return gen

    @functools.wraps(fn)
    def plain(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - one line for the page
            raise fail(exc) from None

    return plain


def _messages(history: list[dict], turn: str | None = None, answer: str | None = None) -> list[dict]:
    """A slot's conversation as gr.Chatbot messages, with the turn being answered (and its answer so far)."""
    shown = [dict(m) for m in history]
    if turn is not None:
        shown += [{"role": "user", "content": turn}, {"role": "assistant", "content": answer or "…"}]
    return shown


# ------------------------------------------------------------------------------------ handlers


@_one_line
def load(session: ChatSession, model, dtype, quant, template, slot: int = 0, request: gr.Request = None):
    """Load ``model`` into ``slot`` (0 = A, 1 = B); yields (status line, session) while it loads."""
    chat_session.remember(getattr(request, "session_hash", None), session)
    for line in session.load(slot, model, dtype, quant_bits(quant), template):
        yield line, session


@_one_line
def unload(session: ChatSession, slot: int = 0) -> str:
    """End the slot's worker process; the status line says which pid ended."""
    pid = session.unload(slot)
    return f"unloaded; worker pid {pid} ended and its memory was freed" if pid else "no model loaded"


def _turns(side: bool, text_of) -> dict[int, str]:
    slots = [0, 1] if side else [0]
    turns = {i: text_of(i) for i in slots}
    return {i: t for i, t in turns.items() if t is not None}


def _answer(session: ChatSession, turns: dict[int, str], side: bool, system, options: dict):
    """Stream the answers of the slots in ``turns``; yields (chat A, chat B, status A, status B)."""
    chats = [_messages(s.history) for s in session.slots]
    for answers in session.stream(turns, options, system):
        for i, answer in answers.items():
            chats[i] = _messages(session.slots[i].history, turns[i], answer)
        yield chats[0], chats[1], gr.skip(), gr.skip()
    slots = [0, 1] if side else [0]
    yield (*[_messages(s.history) for s in session.slots],
           *[session.slots[i].status() if i in slots else gr.skip() for i in (0, 1)])  # fmt: skip


@_one_line
def send(session: ChatSession, prompt, side: bool, system, *option_values):
    """Send ``prompt`` to model A (and B side by side); yields (chat A, chat B, prompt box, status A, status B)."""
    text = (prompt or "").strip()
    if not text:
        raise ChatTabError("type a message first")
    options = generation_options(**dict(zip(OPTION_NAMES, option_values, strict=True)))
    first = True
    for a, b, sa, sb in _answer(session, _turns(side, lambda i: text), side, system, options):
        yield a, b, "" if first else gr.skip(), sa, sb
        first = False


@_one_line
def regenerate(session: ChatSession, side: bool, system, *option_values):
    """Ask again for each slot's last turn (its last answer is dropped); yields like ``send``. A slot whose new
    answer fails (or is abandoned) gets its previous answer back."""
    options = generation_options(**dict(zip(OPTION_NAMES, option_values, strict=True)))
    for i in [0, 1] if side else [0]:
        if not session.loaded(i) or session.slots[i].busy:
            raise ChatTabError(f"model {'AB'[i]}: load a model and let its answer finish first")
    saved = [list(s.history) for s in session.slots]
    turns = _turns(side, session.pop_last_turn)
    popped = [len(s.history) for s in session.slots]
    try:
        if not turns:
            raise ChatTabError("nothing to regenerate: send a message first")
        for a, b, sa, sb in _answer(session, turns, side, system, options):
            yield a, b, gr.skip(), sa, sb
    finally:
        for slot, before, length in zip(session.slots, saved, popped, strict=True):
            if len(slot.history) == length:  # no new answer was added: keep the old one
                slot.history = before


@_one_line
def stop(session: ChatSession) -> None:
    """Interrupt the answers being written (they end after the current token and are kept)."""
    session.stop()


def clear(session: ChatSession):
    """Forget both conversations (the models stay loaded)."""
    session.clear()
    return [], []


# ------------------------------------------------------------------------------------ layout


def _slot(text: Labeller, L, home: str, key: str, prefix: str):
    """One model slot's controls: (model, refresh, dtype, quant, template, load, unload, status)."""
    choices = model_choices(home)
    text(key, gr.Markdown(L(key)), "value")
    with gr.Row(equal_height=True):
        model = text("model", gr.Dropdown(choices, value=choices[0][1], allow_custom_value=True, label=L("model"),
                                          scale=5, elem_id=f"{prefix}-model"))  # fmt: skip
        refresh = text("refresh", gr.Button(L("refresh"), size="sm", scale=0, elem_id=f"{prefix}-refresh"), "value")
    with gr.Row(equal_height=True):
        dtype = text("dtype", gr.Dropdown(list(DTYPES), value="auto", label=L("dtype"), elem_id=f"{prefix}-dtype"))
        quant = text("quant", gr.Radio(list(QUANT), value="none", label=L("quant"), elem_id=f"{prefix}-quant"))
        names = template_choices()
        template = text(  # a named template, or a typed path to a .jinja file
            "template",
            gr.Dropdown(names, value="auto", allow_custom_value=True, label=L("template"), elem_id=f"{prefix}-tmpl"),
        )
    with gr.Row():
        load_btn = text("load", gr.Button(L("load"), variant="primary", elem_id=f"{prefix}-load"), "value")
        unload_btn = text("unload", gr.Button(L("unload"), elem_id=f"{prefix}-unload"), "value")
    status = gr.Markdown("no model loaded", elem_id=f"{prefix}-status")
    return model, refresh, dtype, quant, template, load_btn, unload_btn, status


def build(home: str | None, demo: gr.Blocks) -> list[Labeller]:
    """Build the Chat tab inside the current Blocks context; returns its labeller (for the language switch)."""
    home = str(workspace_home(home))
    text = Labeller(lambda key, language: lookup(LABELS, key, language))
    L = lambda key: lookup(LABELS, key)  # noqa: E731 - the default-language label at build time
    quiet = dict(concurrency_limit=None, show_progress="minimal")  # each session has its own workers

    # A fresh ChatSession per browser session (the callable runs on page load); its workers end with it.
    state = gr.State(lambda: ChatSession(home), delete_callback=lambda s: s.close() if s else None)
    text("intro", gr.Markdown(L("intro")), "value")
    with gr.Row():
        with gr.Column():
            slot_a = _slot(text, L, home, "slot_a", "chat-a")
        with gr.Column(visible=False) as column_b:
            slot_b = _slot(text, L, home, "slot_b", "chat-b")
    side = text("side", gr.Checkbox(False, label=L("side"), elem_id="chat-side"))
    system = text("system", gr.Textbox(label=L("system"), lines=1, elem_id="chat-system"))
    fields = {}

    def opt(name: str, cls, *args, **kwargs) -> None:
        kwargs.update(label=L(name), elem_id=f"chat-{name.replace('_', '-')}")
        fields[name] = text(name, cls(*args, **kwargs))

    D = DEFAULT_OPTIONS
    with text("options", gr.Accordion(L("options"), open=False, elem_id="chat-options")):
        with gr.Row():
            opt("max_new_tokens", gr.Number, D["max_new_tokens"], precision=0, minimum=1)
            opt("temperature", gr.Slider, 0, 2, D["temperature"], step=0.05)
            opt("top_p", gr.Slider, 0.05, 1, D["top_p"], step=0.05)
            opt("top_k", gr.Number, D["top_k"], precision=0, minimum=0)
        with gr.Row():
            opt("repetition_penalty", gr.Slider, 0.5, 2, D["repetition_penalty"], step=0.05)
            opt("seed", gr.Number, D["seed"], precision=0, minimum=-1)
            opt("stop", gr.Dropdown, [], value=[], multiselect=True, allow_custom_value=True)
            opt("mode", gr.Radio, list(MODES), value=D["mode"])
    with gr.Row():
        chat_a = gr.Chatbot(label=L("slot_a"), height=420, elem_id="chat-a-answers")
        chat_b = gr.Chatbot(label=L("slot_b"), height=420, visible=False, elem_id="chat-b-answers")
    text("slot_a", chat_a)
    text("slot_b", chat_b)
    with gr.Row(equal_height=True):
        prompt = text("prompt", gr.Textbox(label=L("prompt"), scale=6, elem_id="chat-prompt"))
        send_btn = text("send", gr.Button(L("send"), variant="primary", scale=1, elem_id="chat-send"), "value")
    with gr.Row():
        stop_btn = text("stop_btn", gr.Button(L("stop_btn"), variant="stop", elem_id="chat-stop"), "value")
        regen_btn = text("regenerate", gr.Button(L("regenerate"), elem_id="chat-regenerate"), "value")
        clear_btn = text("clear", gr.Button(L("clear"), elem_id="chat-clear"), "value")

    # A failed action marks its outputs with Gradio's red "Error" pill until they are next updated; the next
    # action that succeeds settles every output of the tab, so no pill outlives the problem it reported.
    settled = [chat_a, chat_b, prompt, slot_a[-1], slot_b[-1]]
    settle = dict(fn=lambda: (gr.skip(),) * len(settled), inputs=None, outputs=settled, api_visibility="private",
                  show_progress="hidden", queue=False)  # fmt: skip
    for i, (model, refresh, dtype, quant, template, load_btn, unload_btn, status) in enumerate((slot_a, slot_b)):
        ab = "ab"[i]
        refresh.click(lambda: gr.update(choices=model_choices(home)), None, model, api_visibility="private")
        demo.load(lambda: gr.update(choices=model_choices(home)), None, model, api_visibility="private")
        load_slot, unload_slot = _slot_handlers(i)
        load_btn.click(load_slot, [state, model, dtype, quant, template], [status, state],
                       api_name=f"chat_load_{ab}", **quiet).success(**settle)  # fmt: skip
        unload_btn.click(unload_slot, state, status, api_name=f"chat_unload_{ab}", **quiet).success(**settle)
    # Runs that finished after the page loaded: listed on opening the tab and when a run ends.
    keep_fresh(home, lambda: (gr.update(choices=model_choices(home)),) * 2, [], [slot_a[0], slot_b[0]])
    side.change(lambda on: (gr.update(visible=on), gr.update(visible=on)), side, [column_b, chat_b],
                api_visibility="private")  # fmt: skip
    options = list(fields.values())
    outputs = [chat_a, chat_b, prompt, slot_a[-1], slot_b[-1]]
    for trigger in (send_btn.click, prompt.submit):
        trigger(send, [state, prompt, side, system, *options], outputs, api_name="chat_send", **quiet).success(**settle)
    regen_btn.click(regenerate, [state, side, system, *options], outputs, api_name="chat_regenerate",
                    **quiet).success(**settle)  # fmt: skip
    stop_btn.click(stop, state, None, api_name="chat_stop", **quiet).success(**settle)
    clear_btn.click(clear, state, [chat_a, chat_b], api_name="chat_clear", **quiet).success(**settle)
    demo.unload(_end_session)
    # The slots' status lines in the new language (the first says "no model loaded" until a load).
    text.on_switch(lambda s: tuple(slot.status() for slot in s.slots[:2]), [state], [slot_a[-1], slot_b[-1]])
    return [text]


def _slot_handlers(slot: int):
    """Load and Unload bound to one slot (gradio injects the gr.Request by its positional annotation)."""

    def load_slot(session: ChatSession, model, dtype, quant, template, request: gr.Request):
        yield from load(session, model, dtype, quant, template, slot, request)

    def unload_slot(session: ChatSession):
        return unload(session, slot)

    return load_slot, unload_slot


def _end_session(request: gr.Request) -> None:
    """The page was closed or reloaded: end that session's workers now (not when its state expires)."""
    chat_session.end(getattr(request, "session_hash", None))


atexit.register(chat_session.close_all)  # workers also end on their own when the UI's pipe closes
