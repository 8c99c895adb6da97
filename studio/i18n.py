"""Labels of the studio's components in English and Chinese.

Keys are the JobSpec's dotted field names for form inputs (so a field is named the same everywhere)
and short names for everything else. Help text is not translated here: it comes from the JobSpec
field descriptions, the single source of it.
"""

from __future__ import annotations

LANGUAGES = {"English": "en", "中文": "zh"}
DEFAULT_LANGUAGE = "English"

LABELS: dict[str, dict[str, str]] = {
    "en": {
        "tab.train": "Train",
        "preset": "Preset",
        "stage": "Stage",
        "model.name_or_path": "Model (local folder or builtin:tiny-llama)",
        "method.type": "Method",
        "data.sources[0].path": "Dataset path",
        "data.cutoff_len": "Cutoff length (tokens)",
        "train.num_epochs": "Epochs",
        "train.max_steps": "Max steps (-1: use epochs)",
        "train.per_device_batch_size": "Batch size per device",
        "train.gradient_accumulation_steps": "Gradient accumulation",
        "train.learning_rate": "Learning rate",
        "train.precision": "Precision",
        "output.run_name": "Run name",
        "start": "Start",
        "abort": "Abort",
        "preview": "Preview: YAML and commands",
        "yaml": "job.yaml",
        "commands": "Commands",
        "progress": "Progress",
        "status": "Status",
        "log": "Log",
        "raw_log": "Raw train.log",
        "refresh": "Refresh",
        "loss": "Loss",
    },
    "zh": {
        "tab.train": "训练",
        "preset": "预设",
        "stage": "训练阶段",
        "model.name_or_path": "模型（本地目录或 builtin:tiny-llama）",
        "method.type": "微调方法",
        "data.sources[0].path": "数据集路径",
        "data.cutoff_len": "截断长度（token）",
        "train.num_epochs": "训练轮数",
        "train.max_steps": "最大步数（-1：按轮数）",
        "train.per_device_batch_size": "每设备批大小",
        "train.gradient_accumulation_steps": "梯度累积步数",
        "train.learning_rate": "学习率",
        "train.precision": "计算精度",
        "output.run_name": "运行名称",
        "start": "开始",
        "abort": "中止",
        "preview": "预览：YAML 与命令",
        "yaml": "job.yaml",
        "commands": "命令",
        "progress": "进度",
        "status": "状态",
        "log": "日志",
        "raw_log": "原始 train.log",
        "refresh": "刷新",
        "loss": "损失",
    },
}


def t(key: str, language: str = DEFAULT_LANGUAGE) -> str:
    """The label of ``key`` in ``language`` (a LANGUAGES name or code); English, then the key, as fallbacks."""
    code = LANGUAGES.get(language, language)
    return LABELS.get(code, {}).get(key) or LABELS["en"].get(key, key)
