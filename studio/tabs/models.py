"""The Models tab: local models (builtin, downloaded, exported), downloads from a hub with live progress, delete.

Contract:
- A download is a background process (``studio models pull``, see :mod:`studio.models_view`): it keeps going when
  the page is closed, and a reopened page shows its progress again (read from its events file every tick).
- The progress shows bytes, speed and ETA; Cancel stops it (downloading again resumes); Delete removes a download.
- The hub endpoint (a mirror) is a workspace setting; ``$HF_ENDPOINT`` overrides it; an offline studio
  (``HF_HUB_OFFLINE=1``) refuses downloads in one line.
- Errors are one line under the buttons, never a traceback.

API names (for gradio_client): ``models_download``, ``models_poll``.
"""

from __future__ import annotations

import gradio as gr

from backend.models.hub import settings
from backend.workspace import workspace_home
from studio import models_view as mv
from studio.i18n import Labeller, lookup

POLL_S = 1.0
LABELS = {
    "en": {
        "intro": "Type a model id — `hf:ORG/NAME`, `ms:ORG/NAME` (ModelScope) or `ORG/NAME` — and download it into the "
        "workspace (models/hub/). Downloads continue when this page is closed; the Train, Chat, Evaluate and "
        "Export pickers list downloaded models, and each takes an id typed there: a model not downloaded yet is "
        "downloaded first (its progress shows here).",
        "id": "Model id", "revision": "Revision (branch, tag or commit; empty: main)",
        "endpoint": "Hub endpoint (a mirror, e.g. https://hf-mirror.com; empty: $HF_ENDPOINT or huggingface.co)",
        "download": "Download", "cancel": "Cancel download", "save_endpoint": "Save endpoint",
        "downloads": "Downloads", "local": "Local models", "refresh": "Refresh list",
        "delete_id": "Downloaded model to delete (its id)", "delete": "Delete",
        "download_first": "{ids} will be downloaded first (the run's first step: status downloading)",
    },
    "zh": {
        "intro": "输入模型 ID —— `hf:组织/名称`、`ms:组织/名称`（魔搭 ModelScope）或 `组织/名称` —— 下载到工作区"
        "（models/hub/）。关闭本页后下载仍会继续；训练、对话、评测和导出页的模型列表会列出已下载的模型，也可直接填写"
        "模型 ID：尚未下载的模型会先下载（进度显示在本页）。",
        "id": "模型 ID", "revision": "版本（分支、标签或提交；留空为 main）",
        "endpoint": "Hub 地址（镜像，如 https://hf-mirror.com；留空则用 $HF_ENDPOINT 或 huggingface.co）",
        "download": "下载", "cancel": "取消下载", "save_endpoint": "保存地址",
        "downloads": "下载", "local": "本地模型", "refresh": "刷新列表",
        "delete_id": "要删除的已下载模型（其 ID）", "delete": "删除",
        "download_first": "{ids} 将先下载（运行的第一步：状态 downloading）",
    },
}  # fmt: skip


def _err(exc: Exception) -> str:
    return f"**error:** {exc}"


def build(home: str | None, demo: gr.Blocks) -> list[Labeller]:
    """Build the Models tab inside the current Blocks context; returns its labeller."""
    home = str(workspace_home(home))
    text = Labeller(lambda key, language: lookup(LABELS, key, language))
    L = lambda key: lookup(LABELS, key)  # noqa: E731 - the default-language label at build time

    text("intro", gr.Markdown(L("intro")), "value")
    with gr.Row(equal_height=True):
        model_id = text("id", gr.Textbox("", label=L("id"), scale=3, elem_id="models-id"))
        revision = text("revision", gr.Textbox("", label=L("revision"), elem_id="models-revision"))
    with gr.Row(equal_height=True):
        endpoint = text("endpoint", gr.Textbox(settings(home).get("endpoint", ""), label=L("endpoint"), scale=3,
                                               elem_id="models-endpoint"))  # fmt: skip
        save = text("save_endpoint", gr.Button(L("save_endpoint"), size="sm", scale=0, elem_id="models-save-endpoint"),
                    "value")  # fmt: skip
    with gr.Row():
        go = text("download", gr.Button(L("download"), variant="primary", elem_id="models-download"), "value")
        stop = text("cancel", gr.Button(L("cancel"), elem_id="models-cancel"), "value")
    message = gr.Markdown("", elem_id="models-message")
    text("downloads", gr.Markdown(f"### {L('downloads')}"), "value")
    progress = gr.HTML(mv.downloads_html(mv.downloads(home)), elem_id="models-downloads")
    text("local", gr.Markdown(f"### {L('local')}"), "value")
    table = gr.Dataframe(mv.models_rows(home), headers=mv.COLUMNS, interactive=False, wrap=True, elem_id="models-list")
    with gr.Row(equal_height=True):
        doomed = text("delete_id", gr.Textbox("", label=L("delete_id"), scale=3, elem_id="models-delete-id"))
        delete = text("delete", gr.Button(L("delete"), variant="stop", elem_id="models-delete"), "value")
        refresh = text("refresh", gr.Button(L("refresh"), size="sm", elem_id="models-refresh"), "value")

    def download(mid, rev, url):
        try:
            started = mv.start_download(home, mid, rev, url)
        except mv.ModelsTabError as exc:
            return _err(exc), gr.skip()
        return (f"downloading `{started}` …"), mv.downloads_html(mv.downloads(home))

    def cancel(mid):
        try:
            return f"cancelled `{mv.cancel_download(home, mid)}`"
        except mv.ModelsTabError as exc:
            return _err(exc)

    def remove(mid):
        try:
            return (f"deleted `{mv.delete_model(home, mid)}`"), mv.models_rows(home)
        except mv.ModelsTabError as exc:
            return _err(exc), gr.skip()

    def save_endpoint(url):
        try:
            return f"endpoint: `{mv.set_endpoint(home, url)}`"
        except mv.ModelsTabError as exc:
            return _err(exc)

    last = {"html": None, "done": None}

    def poll():
        items = mv.downloads(home)
        shown = mv.downloads_html(items)
        finished = tuple(d["id"] for d in items if d["state"] == "succeeded")
        rows = mv.models_rows(home) if finished != last["done"] else gr.skip()
        last["done"] = finished
        return shown, rows

    private = dict(api_visibility="private", show_progress="hidden")
    go.click(download, [model_id, revision, endpoint], [message, progress], api_name="models_download",
             concurrency_limit=None, show_progress="hidden")  # fmt: skip
    stop.click(cancel, model_id, message, **private)
    delete.click(remove, doomed, [message, table], **private)
    save.click(save_endpoint, endpoint, message, **private)
    refresh.click(lambda: mv.models_rows(home), None, table, **private)
    demo.load(lambda: (mv.downloads_html(mv.downloads(home)), mv.models_rows(home)), None, [progress, table], **private)
    gr.Timer(POLL_S).tick(poll, None, [progress, table], api_name="models_poll", concurrency_limit=None,
                          show_progress="hidden")  # fmt: skip
    return [text]
