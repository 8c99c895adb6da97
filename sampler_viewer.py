"""The data-mix viewer: ``streamlit run sampler_viewer.py --server.port 8001`` (or ``studio viewer``).

Point it at a data folder, a JobSpec or policy YAML, the dataset registry, or paste ``name tokens [path]``
lines; tune each source's share (or a temperature alpha), epoch caps and a token budget; read the plan
(the trainer's own arithmetic, ``backend.data.mix``) and export it as a sample policy for
``data.mix.policy``. The logic lives in ``backend.data.mix_policy``; this page only lays it out. No torch here.
"""

from __future__ import annotations

import sys
import tempfile
import traceback
from pathlib import Path

import altair as alt
import pandas as pd
import streamlit as st

from backend.data import mix_policy as mixer
from backend.data import mix_view
from backend.data.formats import DataError
from backend.data.mix import MixError
from backend.data.stage_fit import common_stages, stages_for
from backend.failures import human_bytes
from backend.spec import SpecError
from backend.stages import IMPLEMENTED_STAGES
from backend.workspace import workspace_home

ss = st.session_state
EXPECTED = (MixError, SpecError, DataError, OSError, ValueError)
KEPT = {"lang", "input", "folder", "file", "saved", "manual", "tokenizer", "tokenizer_path", "mode", "alpha", "budget",
        "warn", "policy_name", "freeze", "overwrite", "stage"}  # fmt: skip

LABELS = {
    "en": {
        "title": "Data-mix viewer",
        "workspace": "Workspace",
        "input": "Sources from",
        "input.folder": "a data folder",
        "input.file": "a JobSpec or policy YAML",
        "input.saved": "a saved policy",
        "input.registry": "the dataset registry",
        "input.manual": "manual entry",
        "folder": "Data folder",
        "file": "Path of a JobSpec or policy YAML",
        "upload": "…or upload a policy YAML",
        "saved": "Policy under <workspace>/policies",
        "manual": "One source per line: name  tokens  [path] (e.g. 1.2M, 3B)",
        "tokenizer": "Tokenizer for token estimates",
        "tok.builtin": "builtin tiny tokenizer",
        "tok.rough": "rough (no tokenizer)",
        "tokenizer_path": "…or a tokenizer folder / tokenizer.json",
        "tok.missing": "The builtin tokenizer is not built in this workspace yet (it is on the first training run): "
        "token counts are rough estimates. Give a tokenizer folder for better ones.",
        "load": "Load sources",
        "choose": "Choose or upload a file first.",
        "empty": "Load sources from the sidebar: a data folder, a JobSpec or policy, the registry, or typed sizes.",
        "sources": "Sources",
        "col.source": "source",
        "col.path": "path",
        "col.format": "format",
        "col.records": "records",
        "col.raw": "raw bytes",
        "col.compressed": "compressed bytes",
        "col.tokens": "tokens",
        "col.origin": "token count",
        "col.bad": "bad records",
        "col.stages": "stages that can use it",
        "eval_only": "none (evaluation data)",
        "stage": "Train stage",
        "stage.help": "Keep only the sources this stage can train on; the policy then holds only those",
        "stage.all": "any (show every source)",
        "misfit": "source '{name}' is {fmt} data: the {stage} stage cannot train on it; it is left out of the plan "
        "and the policy",
        "no_common": "No stage can train on every source ({formats}): a run with this policy would be refused. "
        "Pick a train stage to keep only the sources it can use.",
        "none_fit": "No source fits the {stage} stage.",
        "col.share": "share %",
        "col.planned": "planned tokens",
        "col.epochs": "epochs",
        "col.planned_records": "planned records",
        "col.cap": "epoch cap",
        "origin.manifest": "exact (manifest)",
        "origin.counted": "exact (all records)",
        "origin.estimated": "estimated (sample)",
        "origin.rough": "rough estimate",
        "origin.manual": "typed",
        "tuning": "Tuning",
        "mode": "Shares from",
        "mode.shares": "target shares (sliders)",
        "mode.alpha": "temperature α (size^α)",
        "alpha": "Temperature α",
        "alpha.help": "share ∝ tokens^α: 1 keeps natural sizes, 0 gives every source the same share",
        "budget": "Token budget (0 = none)",
        "budget.help": "Tokens the mix trains on; empty: until the first source reaches its epoch cap (1 without cap)",
        "warn": "Warn above epochs",
        "warn.help": "Highlight sources repeated more often than this",
        "cap": "epoch cap (0 = none)",
        "cap.help": "The most passes the mix may take over this source",
        "before": "Before: natural token shares",
        "after": "After: planned token shares",
        "plan": "Plan: learning multiplier (epochs) per source",
        "total": "Planned tokens",
        "unallocated": "Unallocated",
        "estimated": "Estimated sizes",
        "yes": "yes",
        "no": "no",
        "rescaled": "The sliders add up to {:.1f}%: shares are scaled to 100%.",
        "over_warn": "source '{name}' is repeated {epochs:.2f} times, above {warn:g} epochs",
        "bound.budget": "the token budget ends the mix",
        "bound.cap": "a source's epoch cap ends the mix",
        "bound.exhausted": "the first source used up (one pass) ends the mix",
        "export": "Export the sample policy",
        "freeze": "Write the shown shares as fixed weights",
        "freeze.help": "Off: the policy keeps α and the trainer applies it to its own exact token counts",
        "policy_name": "Policy name",
        "download": "Download policy YAML",
        "save": "Save to workspace",
        "overwrite": "Overwrite an existing policy",
        "saved_to": "Saved to {} (set data.mix.policy to it in the Train tab)",
    },
    "zh": {
        "title": "数据配比工具",
        "workspace": "工作区",
        "input": "数据来源",
        "input.folder": "数据目录",
        "input.file": "JobSpec 或策略 YAML",
        "input.saved": "已保存的策略",
        "input.registry": "数据集注册表",
        "input.manual": "手动输入",
        "folder": "数据目录",
        "file": "JobSpec 或策略 YAML 的路径",
        "upload": "……或上传策略 YAML",
        "saved": "<工作区>/policies 下的策略",
        "manual": "每行一个数据源：名称  token 数  [路径]（如 1.2M、3B）",
        "tokenizer": "用于估算 token 的分词器",
        "tok.builtin": "内置小分词器",
        "tok.rough": "粗略估算（不用分词器）",
        "tokenizer_path": "……或分词器目录 / tokenizer.json",
        "tok.missing": "此工作区尚未生成内置分词器（首次训练时生成）：token 数为粗略估算。"
        "可指定分词器目录以获得更准确的结果。",
        "load": "加载数据源",
        "choose": "请先选择或上传文件。",
        "empty": "请在侧栏加载数据源：数据目录、JobSpec 或策略、注册表，或手动输入大小。",
        "sources": "数据源",
        "col.source": "数据源",
        "col.path": "路径",
        "col.format": "格式",
        "col.records": "样本数",
        "col.raw": "原始字节",
        "col.compressed": "压缩字节",
        "col.tokens": "token 数",
        "col.origin": "token 统计",
        "col.bad": "坏样本",
        "col.stages": "可用的训练阶段",
        "eval_only": "无（评估数据）",
        "stage": "训练阶段",
        "stage.help": "只保留该阶段能训练的数据源；导出的策略也只含这些数据源",
        "stage.all": "任意（显示全部数据源）",
        "misfit": "数据源 '{name}' 是 {fmt} 格式：{stage} 阶段无法用它训练，已从计划和策略中排除",
        "no_common": "没有一个训练阶段能使用全部数据源（{formats}）：用此策略启动训练会被拒绝。"
        "请选择训练阶段，只保留它能使用的数据源。",
        "none_fit": "没有数据源适用于 {stage} 阶段。",
        "col.share": "占比 %",
        "col.planned": "计划 token",
        "col.epochs": "轮数",
        "col.planned_records": "计划样本数",
        "col.cap": "轮数上限",
        "origin.manifest": "精确（清单）",
        "origin.counted": "精确（全部样本）",
        "origin.estimated": "估算（抽样）",
        "origin.rough": "粗略估算",
        "origin.manual": "手动输入",
        "tuning": "配比调整",
        "mode": "占比来源",
        "mode.shares": "目标占比（滑块）",
        "mode.alpha": "温度 α（大小^α）",
        "alpha": "温度 α",
        "alpha.help": "占比 ∝ token 数^α：1 保持自然比例，0 各数据源占比相同",
        "budget": "token 预算（0 表示不限）",
        "budget.help": "混合数据训练的 token 总数；留空：直到第一个数据源达到轮数上限（无上限时为 1 轮）",
        "warn": "超过该轮数时警告",
        "warn.help": "重复次数超过此值的数据源会被标红",
        "cap": "轮数上限（0 表示不限）",
        "cap.help": "混合时该数据源最多被使用的轮数",
        "before": "调整前：自然 token 占比",
        "after": "调整后：计划 token 占比",
        "plan": "计划：各数据源的学习倍数（轮数）",
        "total": "计划 token 数",
        "unallocated": "未分配",
        "estimated": "大小为估算",
        "yes": "是",
        "no": "否",
        "rescaled": "滑块合计 {:.1f}%：占比将按比例缩放到 100%。",
        "over_warn": "数据源 '{name}' 重复 {epochs:.2f} 轮，超过 {warn:g} 轮",
        "bound.budget": "由 token 预算决定混合长度",
        "bound.cap": "由某个数据源的轮数上限决定混合长度",
        "bound.exhausted": "由第一个用完（一轮）的数据源决定混合长度",
        "export": "导出采样策略",
        "freeze": "把显示的占比写成固定权重",
        "freeze.help": "关闭：策略保留 α，由训练程序按其精确 token 数计算",
        "policy_name": "策略名称",
        "download": "下载策略 YAML",
        "save": "保存到工作区",
        "overwrite": "覆盖已有策略",
        "saved_to": "已保存到 {}（在训练页把 data.mix.policy 设为它）",
    },
}


def T(key: str) -> str:
    """``key`` in the sidebar's language (English, 中文); English, then the key, as fallbacks. The viewer is a
    front end of its own: it imports the backend only, not the Gradio studio's i18n."""
    table = LABELS["zh"] if ss.get("lang") == "中文" else LABELS["en"]
    return table.get(key) or LABELS["en"].get(key, key)


# ------------------------------------------------------------------------------ loading sources
# Loading runs in widget callbacks, before the widgets of the rerun exist, so it may set their values.


def _measure(pairs: list[tuple]) -> tuple[list[mix_view.Source], list[str]]:
    choice = ss.get("tokenizer_path") or ss.tokenizer
    count, exact = mix_view.token_counter(choice, ss.home)
    sources, errors = [], [T("tok.missing")] if choice == "builtin" and not exact else []
    for name, path, fmt in pairs:
        try:
            sources.append(mix_view.measure(name, path, fmt, count, exact, ss.home))
        except EXPECTED as exc:
            errors.append(str(exc))
    return sources, errors


def _use(sources: list[mix_view.Source], settings: dict | None = None) -> None:
    settings = settings or {}
    natural = mixer.natural_shares(sources)
    ss.sources = [s.to_dict() for s in sources]
    for i, s in enumerate(sources):
        percents, caps = settings.get("percents"), settings.get("caps")
        ss[f"pct::{s.name}"] = float(percents[i]) if percents else round(natural[i] * 100, 1)
        ss[f"cap::{s.name}"] = float(caps[i]) if caps else 0.0
    for key in ("mode", "budget"):
        if key in settings:
            ss[key] = settings[key]
    if settings.get("alpha") is not None:
        ss.alpha = float(settings["alpha"])


def load(kind: str) -> None:
    """Load sources from the sidebar's chosen input; every problem becomes a message, never a traceback."""
    ss.msg = None
    try:
        settings = None
        if kind == "manual":
            sources, errors = mixer.parse_manual(ss.get("manual", ""))
            if errors:
                ss.msg = ("error", "\n\n".join(errors))
                return
        else:
            if kind == "folder":
                pairs = [(n, p, "auto") for n, p in mix_view.scan_directory(ss.folder)]
            elif kind == "registry":
                pairs = [(n, p, "auto") for n, p in mix_view.sources_of_registry(ss.home)]
            else:  # a JobSpec or policy: a path, a saved policy, or an uploaded file
                settings = _uploaded() if kind == "upload" else _settings(ss.get(kind))
                pairs = settings["sources"]
            sources, errors = _measure(pairs)
            if errors:
                ss.msg = ("warning", "\n\n".join(errors))
        _use(sources, settings)
    except EXPECTED as exc:
        ss.msg = ("error", str(exc))
    except Exception as exc:  # a callback's error would reach the page as a traceback: log it, show one line
        traceback.print_exc(file=sys.stderr)
        ss.msg = ("error", f"{type(exc).__name__}: {exc}")


def _settings(path: str | None) -> dict:
    if not path:
        raise MixError(T("choose"))
    return mixer.load_settings(path)


def _uploaded() -> dict:
    upload = ss.get("upload")
    if upload is None:
        raise MixError(T("choose"))
    with tempfile.TemporaryDirectory() as folder:  # under the upload's own name, so messages name it
        path = Path(folder) / f"{mixer.safe_name(upload.name)}.yaml"
        path.write_bytes(upload.getvalue())
        return mixer.load_settings(path)


def sidebar() -> None:
    st.sidebar.radio("Language / 语言", ["English", "中文"], key="lang", horizontal=True)
    st.sidebar.caption(f"{T('workspace')}: `{ss.home}`")
    kinds = ["folder", "file", "saved", "registry", "manual"]
    kind = st.sidebar.radio(T("input"), kinds, format_func=lambda k: T(f"input.{k}"), key="input")
    if kind == "folder":
        st.sidebar.text_input(T("folder"), key="folder")
    elif kind == "file":
        st.sidebar.text_input(T("file"), key="file")
        st.sidebar.file_uploader(T("upload"), type=["yaml", "yml"], key="upload", on_change=load, args=("upload",))
    elif kind == "saved":
        saved = [str(p) for p in mixer.list_policies(ss.home)]
        st.sidebar.selectbox(T("saved"), saved, key="saved", format_func=lambda p: p.rsplit("/", 1)[-1])
    elif kind == "manual":
        st.sidebar.text_area(T("manual"), key="manual", height=160, placeholder="wiki  1.2B  data/wiki\ncode  300M")
    st.sidebar.selectbox(T("tokenizer"), ["builtin", "rough"], key="tokenizer", format_func=lambda k: T(f"tok.{k}"))
    st.sidebar.text_input(T("tokenizer_path"), key="tokenizer_path")
    st.sidebar.button(T("load"), on_click=load, args=(kind,), type="primary", key="load")


# --------------------------------------------------------------------------------------- the page


def _size(n: int | None) -> str:
    """Bytes as the table shows them: KiB/MiB for small files too, '—' when there are none (no .zst file)."""
    return "—" if n is None else human_bytes(n)


def _format(s: mix_view.Source) -> str:
    return s.detected or s.format


def _stages(s: mix_view.Source) -> str:
    if s.origin == "manual" and s.format == "auto":
        return "—"  # typed sizes: the format is not known
    return ", ".join(stages_for(_format(s))) or T("eval_only")


def sources_table(sources: list[mix_view.Source]) -> None:
    rows = [
        {
            T("col.source"): s.name,
            T("col.path"): s.path,
            T("col.format"): _format(s),
            T("col.stages"): _stages(s),
            T("col.records"): s.records,
            T("col.raw"): _size(s.bytes_raw),
            T("col.compressed"): _size(s.bytes_compressed),
            T("col.tokens"): round(s.tokens),
            T("col.origin"): T(f"origin.{s.origin}"),
            T("col.bad"): s.skipped,
        }  # fmt: skip
        for s in sources
    ]
    st.dataframe(pd.DataFrame(rows), hide_index=True)


def stage_filter(sources: list[mix_view.Source]) -> list[mix_view.Source]:
    """The train-stage picker: the sources the chosen stage can use (all with 'any'), with a warning for each
    one left out, or for a mix no single stage can train on."""
    choices = ["all", *IMPLEMENTED_STAGES]
    stage = st.selectbox(T("stage"), choices, key="stage", help=T("stage.help"),
                         format_func=lambda k: T("stage.all") if k == "all" else k)  # fmt: skip
    known = [s for s in sources if not (s.origin == "manual" and s.format == "auto")]
    if stage == "all":
        if known and not common_stages([_format(s) for s in known]):
            formats = ", ".join(f"{s.name}: {_format(s) or '?'}" for s in known)
            st.warning(T("no_common").format(formats=formats))
        return sources
    kept = []
    for s in sources:
        if s in known and stage not in stages_for(_format(s)):
            st.warning(T("misfit").format(name=s.name, fmt=_format(s) or "?", stage=stage))
        else:
            kept.append(s)
    if not kept:
        st.error(T("none_fit").format(stage=stage))
    return kept


def tuning(sources: list[mix_view.Source]) -> tuple[list[float], list[float]]:
    """The per-source sliders and caps and the global settings; (percents, caps)."""
    c1, c2, c3, c4 = st.columns(4)
    mode = c1.radio(T("mode"), ["shares", "alpha"], key="mode", format_func=lambda m: T(f"mode.{m}"))
    c2.slider(T("alpha"), 0.0, 1.0, step=0.05, key="alpha", disabled=mode != "alpha", help=T("alpha.help"))
    c3.number_input(T("budget"), min_value=0, step=10_000, key="budget", help=T("budget.help"))
    c4.number_input(T("warn"), min_value=1.0, step=0.5, key="warn", help=T("warn.help"))
    percents, caps = [], []
    for s in sources:
        left, right = st.columns([3, 1])
        percents.append(
            left.slider(s.name, 0.0, 100.0, step=0.1, key=f"pct::{s.name}", disabled=mode == "alpha", format="%.1f%%")
        )
        caps.append(right.number_input(T("cap"), min_value=0.0, step=0.5, key=f"cap::{s.name}", help=T("cap.help")))
    return percents, caps


def donut(frame: pd.DataFrame, title: str):
    return (
        alt.Chart(frame, title=title)
        .mark_arc(innerRadius=50)
        .encode(
            theta="share:Q",
            # On the right, one entry per line and never truncated: a bottom legend was clipped by the height.
            color=alt.Color("source:N", legend=alt.Legend(orient="right", labelLimit=0, title=None)),
            tooltip=["source", alt.Tooltip("share:Q", format=".1%")],
        )  # fmt: skip
        .properties(height=280)
    )


def plan_view(sources: list[mix_view.Source], plan, percents: list[float], caps: list[float]) -> None:
    natural = mixer.natural_shares(sources)
    names = [s.name for s in sources]
    left, right = st.columns(2)
    left.altair_chart(donut(pd.DataFrame({"source": names, "share": natural}), T("before")), key="chart_before")
    right.altair_chart(donut(pd.DataFrame({"source": names, "share": plan.shares}), T("after")), key="chart_after")
    warn = float(ss.warn)
    rows = pd.DataFrame({
        T("col.source"): names,
        T("col.share"): [round(100 * x, 2) for x in plan.shares],
        T("col.planned"): [round(x) for x in plan.tokens],
        T("col.epochs"): [round(x, 3) for x in plan.epochs],
        T("col.planned_records"): plan.records,
        T("col.cap"): [f"{c:g}" if c else "—" for c in caps],
    })  # fmt: skip
    paint = lambda e: "background-color: #f8d7da" if e > warn else ("background-color: #fff3cd" if e > 1.0001 else "")  # noqa: E731
    st.subheader(T("plan"))
    st.table(rows.style.map(paint, subset=[T("col.epochs")]).format(precision=2))
    m1, m2, m3 = st.columns(3)
    m1.metric(T("total"), f"{plan.total_tokens:,.0f}", help=T(f"bound.{plan.bound.split(':')[0]}"))
    m2.metric(T("unallocated"), f"{mixer.unallocated(percents):.1f}%" if ss.mode == "shares" else "—")
    m3.metric(T("estimated"), T("yes") if plan.estimated else T("no"))
    if ss.mode == "shares" and abs(mixer.unallocated(percents)) > 0.01:
        st.info(T("rescaled").format(sum(percents)))
    for message in plan.warnings:
        st.warning(message)
    for name, e in zip(names, plan.epochs, strict=True):
        if e > warn:
            st.warning(T("over_warn").format(name=name, epochs=e, warn=warn))


def export(sources: list[mix_view.Source], plan, caps: list[float]) -> None:
    st.subheader(T("export"))
    freeze = ss.mode != "alpha" or st.checkbox(T("freeze"), key="freeze", help=T("freeze.help"))
    policy = mixer.build_policy(sources, plan, caps, ss.budget, ss.mode, ss.alpha, freeze=freeze)
    text = policy.to_yaml()
    mixer.check_policy_text(text)  # validated by the JobSpec's own loader before it is offered
    name = st.text_input(T("policy_name"), key="policy_name")
    st.code(text, language="yaml")
    left, mid, right = st.columns(3)
    left.download_button(T("download"), text, file_name=f"{mixer.safe_name(name)}.yaml", mime="application/x-yaml")
    overwrite = right.checkbox(T("overwrite"), key="overwrite")
    if mid.button(T("save"), key="save"):
        try:
            path = mixer.save_policy(ss.home, name, text, overwrite=overwrite)
            st.success(T("saved_to").format(path))
        except FileExistsError as exc:
            st.warning(f"{exc}")


def main() -> None:
    st.set_page_config(page_title="Data-mix viewer · 数据配比", layout="wide")
    defaults = dict(home=str(workspace_home()), folder="data/samples", file="", tokenizer="builtin", mode="shares",
                    stage="all", alpha=1.0, budget=0, warn=4.0, policy_name="mix", freeze=True, msg=None,
                    sources=[])  # fmt: skip
    for key, value in defaults.items():
        ss.setdefault(key, value)
    # Streamlit forgets the value of a widget that a rerun does not draw (the folder box while typing sizes);
    # storing it again as plain state keeps every edit across reruns.
    for key in [k for k in ss if k in KEPT or str(k).startswith(("pct::", "cap::"))]:
        ss[key] = ss[key]
    sidebar()
    st.title(T("title"))
    if ss.msg:
        getattr(st, ss.msg[0])(ss.msg[1])
    sources = [mix_view.Source(**s) for s in ss.sources]
    if not sources:
        st.info(T("empty"))
        return
    st.subheader(T("sources"))
    sources_table(sources)
    sources = stage_filter(sources)
    if not sources:
        return
    st.subheader(T("tuning"))
    percents, caps = tuning(sources)
    try:
        plan = mixer.make_plan(sources, percents, caps, ss.alpha, ss.budget, ss.mode)
        plan_view(sources, plan, percents, caps)
        export(sources, plan, caps)
    except EXPECTED as exc:
        st.error(str(exc))


try:
    main()
except Exception as exc:  # the page shows one line; the traceback goes to the server's terminal
    traceback.print_exc(file=sys.stderr)
    st.error(f"{type(exc).__name__}: {exc}")
