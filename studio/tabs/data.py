"""The Data tab: pick or upload a dataset, inspect it and preview the tokens that carry loss.

Contract:
- Inspect and Preview run ``studio data inspect|preview --json`` (``python -m cli``) in a
  subprocess with a timeout, so the UI process never imports torch or transformers; the exact command
  is shown under the options and changes with them.
- An upload is copied into ``<workspace>/data/uploads/`` under a sanitised name and is never written
  over another file (a new name is asked for); then it is selected.
- Handlers never show a traceback: a bad path, a failing or timed-out subprocess give one line.
- Results are kept (server side) as the JSON they came from, so switching the language re-renders them.

- The Tokenizer section (an accordion) trains a tokenizer, extends a base model's vocabulary with it and
  compares tokens per character before/after; its views and commands are in ``studio.tokenizer_view``.

- "Use for training" makes the selected dataset the Train form's only source (workspace-relative when it
  lies in the workspace, which is where a JobSpec reads relative paths from), clears data.mix.policy and
  opens the Train tab. Inspect of another file clears the Tokens panel (it never shows a stale preview).

API names (for gradio_client): ``data_inspect``, ``data_preview``, ``data_upload``, ``data_use_for_training``,
``tokenizer_train``, ``tokenizer_extend``, ``tokenizer_compare``.
"""

from __future__ import annotations

import gradio as gr

from backend.data.chat_templates import TEMPLATES
from backend.data.formats import ALL_FORMATS
from backend.workspace import workspace_home
from studio import data_files, tokenizer_view
from studio.data_files import (
    DataTabError,
    commands_text,
    inspect_argv,
    list_datasets,
    list_tokenizers,
    preview_argv,
    run_json,
    save_upload,
)
from studio.data_view import error_html, esc, preview_html, report_html
from studio.i18n import DEFAULT_LANGUAGE, Labeller, lookup

DEFAULT_DATASET = "builtin:samples/sft_messages.jsonl"
DEFAULT_TOKENIZER = "builtin:tiny-tokenizer"
LABELS = {
    "en": {
        "intro": "Check a dataset before training: its format, counts, lengths and bad records, and the tokens "
        "the model will learn from. The same commands work in a terminal.",
        "path": "Dataset: a shipped sample, a file under the workspace's data/ folder, or a typed path "
        "(a relative one is read from the workspace)",
        "refresh": "Refresh list",
        "upload_box": "Upload a dataset file",
        "upload": "File (.jsonl, .json, .jsonl.zst, .parquet, .csv, .txt)",
        "save_as": "Save as (a new name, when the file name is taken)",
        "save": "Save upload",
        "format": "Format",
        "template": "Chat template",
        "tokenizer": "Tokenizer (a folder, or builtin:tiny-tokenizer)",
        "cutoff": "Cutoff length (tokens)",
        "pack": "Pack samples into rows",
        "n": "Samples to preview",
        "inspect": "Inspect",
        "preview": "Preview tokens",
        "commands": "Commands",
        "report": "Report",
        "tokens": "Tokens",
        "use": "Use for training",
        "used": "{path} is now the Train tab's only dataset (Train → Data → Datasets); check the stage and Start.",
        "no_train": "the Train tab is not part of this page",
    },
    "zh": {
        "intro": "训练前检查数据集：格式、记录数、长度与错误记录，以及模型将要学习的 token。同样的命令也可在终端运行。",
        "path": "数据集：自带示例、工作区 data/ 目录下的文件，或输入路径（相对路径从工作区读取）",
        "refresh": "刷新列表",
        "upload_box": "上传数据文件",
        "upload": "文件（.jsonl、.json、.jsonl.zst、.parquet、.csv、.txt）",
        "save_as": "另存为（文件名已存在时填写新名称）",
        "save": "保存上传",
        "format": "格式",
        "template": "对话模板",
        "tokenizer": "分词器（目录，或 builtin:tiny-tokenizer）",
        "cutoff": "截断长度（token）",
        "pack": "将样本打包成行",
        "n": "预览样本数",
        "inspect": "检查",
        "preview": "预览 token",
        "commands": "命令",
        "report": "报告",
        "tokens": "Token",
        "use": "用于训练",
        "used": "{path} 已设为训练页唯一的数据集（训练 → 数据 → 数据集）；请检查训练阶段后点击开始。",
        "no_train": "此页面没有训练页",
    },
}


def inspect(home: str, path, fmt, template, tokenizer, language: str = DEFAULT_LANGUAGE) -> tuple[str, dict]:
    """Run ``studio data inspect --json``; (HTML, the kept result) with the report or one error line."""
    try:
        result = {"kind": "report", "data": run_json(inspect_argv(home, path, fmt, template, tokenizer))}
    except DataTabError as exc:
        result = {"kind": "error", "data": str(exc)}
    return render(result, language), result


def preview(home: str, path, fmt, template, tokenizer, cutoff, pack, n, language: str = DEFAULT_LANGUAGE):
    """Run ``studio data preview --json``; (HTML, the kept result) with coloured tokens or one error line."""
    try:
        argv = preview_argv(home, path, fmt, template, tokenizer, cutoff, pack, n)
        result = {"kind": "preview", "data": run_json(argv, data_files.PREVIEW_TIMEOUT_S)}
    except DataTabError as exc:
        result = {"kind": "error", "data": str(exc)}
    return render(result, language), result


def render(result: dict | None, language: str = DEFAULT_LANGUAGE) -> str:
    """A kept result as HTML in ``language`` ("" when there is none yet)."""
    if not result:
        return ""
    if result["kind"] == "error":
        return error_html(result["data"], language)
    return (report_html if result["kind"] == "report" else preview_html)(result["data"], language)


def use_for_training(home: str, path, language: str = DEFAULT_LANGUAGE):
    """The Train form's Datasets table with ``path`` as its one source (workspace-relative when it lies in the
    workspace: a JobSpec reads relative paths from there), data.mix.policy cleared (a policy would replace
    the table), and the message for the page; a bad path gives one error line and changes nothing."""
    from studio.data_picker import relative

    try:
        checked = data_files._path_arg(path, home)
    except DataTabError as exc:
        return gr.skip(), gr.skip(), error_html(str(exc), language)
    shown = relative(checked, home)
    message = lookup(LABELS, "used", language).format(path=shown)
    return [[shown, "auto", 1.0, None, None, None]], "", f'<p class="data-used">{esc(message)}</p>'


# Opens the Train tab after "Use for training" (Gradio names a tab's button by the tab's elem_id + "-button").
# Only once the page shows the "now the only dataset" line: a bad path keeps the Data tab and its error in view.
_SHOW_TRAIN_JS = """() => { setTimeout(() => {
  if (document.querySelector('#data-use-status .data-used')) document.querySelector('#tab-train-button')?.click();
}, 150); }"""


def _train_inputs(demo: gr.Blocks):
    """The Train form's Datasets table and data.mix.policy input (by their elem_ids), when that tab is built."""
    from studio.train_form import elem_id

    by_id = {getattr(b, "elem_id", None): b for b in demo.blocks.values()}
    table, policy = by_id.get(elem_id("data.sources")), by_id.get(elem_id("data.mix.policy"))
    return (table, policy) if table is not None and policy is not None else None


def upload(home: str, file, name, language: str = DEFAULT_LANGUAGE):
    """Copy an uploaded file into data/uploads and select it; (dropdown update, status message)."""
    if not file:
        return gr.skip(), ""
    try:
        target, message = save_upload(file, home, name, language)
    except DataTabError as exc:
        return gr.skip(), error_html(str(exc), language)
    return gr.update(choices=list_datasets(home), value=str(target)), f"<p>{esc(message)}</p>"


def build(home: str | None, demo: gr.Blocks, lang: gr.components.Component | None = None) -> list[Labeller]:
    """Build the Data tab inside the current Blocks context; ``lang`` is the studio's language radio."""
    home = str(workspace_home(home))
    text = Labeller(lambda key, language: lookup(LABELS, key, language))
    L = lambda key: lookup(LABELS, key)  # noqa: E731 - the default-language label at build time
    language = [lang] if lang is not None else []

    text("intro", gr.Markdown(L("intro")), "value")
    with gr.Row(equal_height=True):
        datasets = list_datasets(home)
        custom = dict(allow_custom_value=True, label=L("path"), scale=5, elem_id="data-path")
        path = text("path", gr.Dropdown(datasets, value=DEFAULT_DATASET, **custom))
        refresh_btn = text("refresh", gr.Button(L("refresh"), size="sm", scale=0, elem_id="data-refresh"), "value")
    with text("upload_box", gr.Accordion(L("upload_box"), open=False, elem_id="data-upload-box")):
        with gr.Row(equal_height=True):
            types = list(data_files.UPLOAD_TYPES)
            file = text("upload", gr.File(label=L("upload"), file_types=types, scale=3, elem_id="data-upload"))
            with gr.Column(scale=2):
                save_as = text("save_as", gr.Textbox(label=L("save_as"), elem_id="data-save-as"))
                save_btn = text("save", gr.Button(L("save"), size="sm", elem_id="data-save"), "value")
        upload_status = gr.HTML("", elem_id="data-upload-status")
    with gr.Row(equal_height=True):
        fmt = text(
            "format", gr.Dropdown(["auto", *ALL_FORMATS], value="auto", label=L("format"), elem_id="data-format")
        )
        # A named template, or a typed path to a .jinja file.
        template = gr.Dropdown(
            ["auto", *TEMPLATES], value="auto", allow_custom_value=True, label=L("template"), elem_id="data-template"
        )
        text("template", template)
        toks = list_tokenizers(home)
        custom = dict(allow_custom_value=True, label=L("tokenizer"), elem_id="data-tokenizer")
        tokenizer = text("tokenizer", gr.Dropdown(toks, value=DEFAULT_TOKENIZER, **custom))
    with gr.Row(equal_height=True):
        cutoff = text("cutoff", gr.Number(1024, precision=0, minimum=1, label=L("cutoff"), elem_id="data-cutoff"))
        n = text("n", gr.Slider(1, 20, value=3, step=1, label=L("n"), elem_id="data-n"))
        pack = text("pack", gr.Checkbox(False, label=L("pack"), elem_id="data-pack"))
    with gr.Row():
        inspect_btn = text("inspect", gr.Button(L("inspect"), variant="primary", elem_id="data-inspect"), "value")
        preview_btn = text("preview", gr.Button(L("preview"), elem_id="data-preview-btn"), "value")
        use_btn = text("use", gr.Button(L("use"), elem_id="data-use"), "value")
    use_status = gr.HTML("", elem_id="data-use-status")
    options = [path, fmt, template, tokenizer, cutoff, pack, n]
    first = commands_text(home, DEFAULT_DATASET, "auto", "auto", DEFAULT_TOKENIZER, 1024, False, 3)
    cmds = gr.Code(first, language="shell", label=L("commands"), wrap_lines=True, elem_id="data-commands")
    text("commands", cmds)
    with gr.Row():
        with gr.Column():
            text("report", gr.Markdown(f"### {L('report')}"), "value")
            report = gr.HTML("", elem_id="data-report")
        with gr.Column():
            text("tokens", gr.Markdown(f"### {L('tokens')}"), "value")
            tokens = gr.HTML("", elem_id="data-tokens")
    kept_report, kept_preview = gr.State(None), gr.State(None)

    def _language(values):
        return values[0] if values else DEFAULT_LANGUAGE

    def on_inspect(p, f, tp, tk, kept, *lg):
        page, result = inspect(home, p, f, tp, tk, _language(lg))
        if kept and kept.get("kind") == "preview" and kept["data"].get("path") == _argument(p):
            return page, result, gr.skip(), gr.skip()
        return page, result, "", None  # the Tokens panel showed another file: cleared, not left stale

    def _argument(p):
        try:
            return data_files._path_arg(p, home)
        except DataTabError:
            return None

    def on_preview(p, f, tp, tk, c, pk, k, *lg):
        return preview(home, p, f, tp, tk, c, pk, k, _language(lg))

    def on_upload(upload_file, name, *lg):
        return upload(home, upload_file, name, _language(lg))

    def on_options(*values):
        return commands_text(home, *values)

    def on_refresh():
        return gr.update(choices=list_datasets(home)), gr.update(choices=list_tokenizers(home))

    inspect_in = [path, fmt, template, tokenizer, kept_preview, *language]
    inspect_btn.click(on_inspect, inspect_in, [report, kept_report, tokens, kept_preview], api_name="data_inspect")
    train_inputs = _train_inputs(demo)
    if train_inputs is not None:
        use_out = [*train_inputs, use_status]
        used = use_btn.click(lambda p, *lg: use_for_training(home, p, _language(lg)), [path, *language], use_out,
                             api_name="data_use_for_training")  # fmt: skip
        used.then(None, js=_SHOW_TRAIN_JS)
    else:
        use_btn.click(lambda *lg: error_html(lookup(LABELS, "no_train", _language(lg)), _language(lg)), language,
                      use_status, api_visibility="private")  # fmt: skip
    preview_btn.click(on_preview, [*options, *language], [tokens, kept_preview], api_name="data_preview")
    upload_in = [file, save_as, *language]
    gr.on([file.upload, save_btn.click], on_upload, upload_in, [path, upload_status], api_name="data_upload")
    gr.on([c.change for c in options], on_options, options, cmds, api_visibility="private", show_progress="hidden")
    refresh_btn.click(on_refresh, None, [path, tokenizer], api_visibility="private")
    # Uploads made before a reload stay listed: the choices were built when the server started.
    demo.load(on_refresh, None, [path, tokenizer], api_visibility="private", show_progress="hidden")
    if lang is not None:
        relabel_in = [kept_report, kept_preview, lang]
        rerender = lambda r, p, lg: (render(r, lg), render(p, lg))  # noqa: E731
        lang.change(rerender, relabel_in, [report, tokens], api_visibility="private", show_progress="hidden")
    return [text, tokenizer_section(home, lang)]


def tokenizer_section(home: str, lang: gr.components.Component | None = None) -> Labeller:
    """The Tokenizer accordion: train, extend, compare (each a ``studio tokenizer ... --json`` subprocess)."""
    tv = tokenizer_view
    text = Labeller(lambda key, language: lookup(tv.LABELS, key, language))
    L = lambda key: lookup(tv.LABELS, key)  # noqa: E731
    language = [lang] if lang is not None else []
    tok_out, ext_out = tv.default_paths(home)
    sample = "builtin:samples/pretrain_zh_en.jsonl"
    with text("section", gr.Accordion(L("section"), open=False, elem_id="tok-section")):
        text("guide", gr.Markdown(L("guide")), "value")
        with gr.Row(equal_height=True):
            custom = dict(allow_custom_value=True, scale=3, elem_id="tok-corpus")
            corpus = text("corpus", gr.Dropdown(list_datasets(home), value=sample, label=L("corpus"), **custom))
            kind = text("kind", gr.Dropdown(list(tv.KINDS), value="sp-bpe", label=L("kind"), elem_id="tok-kind"))
            vocab = text("vocab", gr.Number(4000, precision=0, minimum=1, label=L("vocab"), elem_id="tok-vocab"))
            chat = text("chat", gr.Checkbox(False, label=L("chat"), elem_id="tok-chat"))
        with gr.Row(equal_height=True):
            trained = text("tok_out", gr.Textbox(tok_out, label=L("tok_out"), scale=3, elem_id="tok-out"))
            train_btn = text("train", gr.Button(L("train"), elem_id="tok-train"), "value")
        with gr.Row(equal_height=True):
            models = ["builtin:tiny-llama", *list_tokenizers(home)[1:]]
            custom = dict(allow_custom_value=True, scale=2, elem_id="tok-base")
            base = text("base", gr.Dropdown(models, value="builtin:tiny-llama", label=L("base"), **custom))
            extended = text("ext_out", gr.Textbox(ext_out, label=L("ext_out"), scale=2, elem_id="tok-ext-out"))
            extend_btn = text("extend", gr.Button(L("extend"), elem_id="tok-extend"), "value")
        with gr.Row(equal_height=True):
            toks = list_tokenizers(home)
            custom = dict(allow_custom_value=True, scale=2)
            before = text("before", gr.Dropdown(toks, value=DEFAULT_TOKENIZER, label=L("before"),
                                                elem_id="tok-before", **custom))  # fmt: skip
            after = text("after", gr.Dropdown(toks, value=ext_out, label=L("after"), elem_id="tok-after", **custom))
            sentence = text("sentence", gr.Textbox(tv.DEFAULT_SENTENCE, label=L("sentence"), scale=3,
                                                   elem_id="tok-sentence"))  # fmt: skip
            compare_btn = text("compare", gr.Button(L("compare"), variant="primary", elem_id="tok-compare"), "value")
        fields = [corpus, kind, vocab, chat, trained, base, extended, before, after, sentence]
        first = tv.commands_text(home, sample, "sp-bpe", 4000, False, tok_out, "builtin:tiny-llama", ext_out,
                                 DEFAULT_TOKENIZER, ext_out, tv.DEFAULT_SENTENCE)  # fmt: skip
        cmds = text("commands", gr.Code(first, language="shell", label=L("commands"), wrap_lines=True,
                                        elem_id="tok-commands"))  # fmt: skip
        result = gr.HTML("", elem_id="tok-result")
    kept = gr.State(None)

    def lang_of(values):
        return values[0] if values else DEFAULT_LANGUAGE

    def guarded(kind_, build):
        def handler(*values):
            args = values[: len(values) - len(language)]
            try:
                argv = build(*args)
            except (DataTabError, ValueError) as exc:
                res = {"kind": "error", "data": str(exc)}
                return tv.render(res, lang_of(values[len(args) :])), res
            return tv.run(kind_, argv, lang_of(values[len(args) :]))

        return handler

    on_train = guarded("train", lambda c, k, v, ch, o: tv.train_argv(home, c, k, v, ch, o))
    on_extend = guarded("extend", lambda b, src, o: tv.extend_argv(home, b, src, o))
    on_compare = guarded("compare", lambda b, a, c, s: tv.compare_argv(home, b, a, c, s))
    train_btn.click(
        on_train, [corpus, kind, vocab, chat, trained, *language], [result, kept], api_name="tokenizer_train"
    )
    extend_btn.click(on_extend, [base, trained, extended, *language], [result, kept], api_name="tokenizer_extend")
    compare_in = [before, after, corpus, sentence, *language]
    compare_btn.click(on_compare, compare_in, [result, kept], api_name="tokenizer_compare")
    on_fields = lambda *v: tv.commands_text(home, *v)  # noqa: E731
    gr.on([f.change for f in fields], on_fields, fields, cmds, api_visibility="private", show_progress="hidden")
    if lang is not None:
        lang.change(tv.render, [kept, lang], result, api_visibility="private", show_progress="hidden")
    return text
