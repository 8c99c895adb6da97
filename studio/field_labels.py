"""Short labels of the JobSpec form fields, in English and Chinese.

English labels default to the field's own name made readable (``cutoff_len`` -> "Cutoff len"), so a new
JobSpec field is labelled without touching this file; the entries below only improve on that. Help
text is never here: it is the field's description in ``backend/spec.py``.
"""

from __future__ import annotations

from studio.i18n import code

EN = {
    "stage": "Stage",
    "model.name_or_path": "Model (local folder or builtin:tiny-llama)",
    "model.attn_implementation": "Attention kernel",
    "model.architecture.family": "Family",
    "method.type": "Method",
    "method.lora.rank": "LoRA rank",
    "method.lora.alpha": "LoRA alpha",
    "method.lora.dropout": "LoRA dropout",
    "method.lora.use_rslora": "rsLoRA",
    "method.lora.use_dora": "DoRA",
    "method.quant.bits": "Quantisation bits",
    "method.quant.double_quant": "Double quantisation",
    "data.sources": "Datasets (path, format, weight, max_samples, max_epochs, name)",
    "data.mix.strategy": "Mixing",
    "data.mix.temperature": "Mix temperature (alpha)",
    "data.mix.total_tokens": "Mix token budget",
    "data.mix.policy": "Sample policy file (data-mix viewer)",
    "data.mix.policy_from": "Policy applied from",
    "data.streaming": "Stream the data (larger than memory)",
    "data.cutoff_len": "Cutoff length (tokens)",
    "data.val_size": "Validation size",
    "train.num_epochs": "Epochs",
    "train.max_steps": "Max steps (-1: use epochs)",
    "train.per_device_batch_size": "Batch size per device",
    "train.gradient_accumulation_steps": "Gradient accumulation",
    "train.lr_scheduler": "LR scheduler",
    "train.optim": "Optimiser",
    "train.resume_from_checkpoint": "Resume from checkpoint",
    "train.save_on_sigterm": "Save a checkpoint on SIGTERM",
    "distributed.gpu_ids": "GPU ids",
    "distributed.zero_stage": "DeepSpeed ZeRO stage",
    "distributed.main_process_ip": "Main machine IP",
    "distributed.main_process_port": "Main machine port",
    "output.run_name": "Run name",
}

ZH = {
    "stage": "训练阶段",
    "model.name_or_path": "模型（本地目录或 builtin:tiny-llama）",
    "model.tokenizer": "分词器",
    "model.from_scratch": "从头训练",
    "model.architecture.family": "模型族",
    "model.architecture.hidden_size": "隐藏层宽度",
    "model.architecture.num_hidden_layers": "层数",
    "model.architecture.num_attention_heads": "注意力头数",
    "model.architecture.num_key_value_heads": "KV 头数",
    "model.architecture.intermediate_size": "MLP 宽度",
    "model.architecture.max_position_embeddings": "最大位置数",
    "model.architecture.rope_theta": "RoPE 基频",
    "model.architecture.tie_word_embeddings": "共享输入输出词嵌入",
    "model.dtype": "权重数据类型",
    "model.attn_implementation": "注意力实现",
    "model.trust_remote_code": "信任远程代码",
    "method.type": "微调方法",
    "method.lora.rank": "LoRA 秩",
    "method.lora.alpha": "LoRA 缩放系数",
    "method.lora.dropout": "LoRA 随机丢弃",
    "method.lora.target_modules": "LoRA 作用模块",
    "method.lora.use_rslora": "rsLoRA",
    "method.lora.use_dora": "DoRA",
    "method.lora.modules_to_save": "全量训练的模块",
    "method.quant.bits": "量化位数",
    "method.quant.quant_type": "量化类型",
    "method.quant.double_quant": "双重量化",
    "method.freeze.trainable_layers": "可训练层数",
    "method.freeze.extra_modules": "额外可训练模块",
    "data.sources": "数据集（路径、格式、权重、最大样本数、最大轮数、名称）",
    "data.mix.strategy": "数据混合方式",
    "data.mix.temperature": "混合温度（alpha）",
    "data.mix.total_tokens": "混合 token 预算",
    "data.mix.policy": "采样策略文件（数据配比工具）",
    "data.mix.policy_from": "已应用的策略文件",
    "data.streaming": "流式读取数据（超出内存的数据集）",
    "data.template": "对话模板",
    "data.cutoff_len": "截断长度（token）",
    "data.packing": "序列打包",
    "data.train_on_prompt": "在提示上计算损失",
    "data.val_size": "验证集大小",
    "data.preprocessing_workers": "预处理进程数",
    "data.mask_history": "仅在最后一轮回答上计算损失",
    "data.skip_bad_records": "跳过损坏的记录",
    "train.num_epochs": "训练轮数",
    "train.max_steps": "最大步数（-1：按轮数）",
    "train.per_device_batch_size": "每设备批大小",
    "train.gradient_accumulation_steps": "梯度累积步数",
    "train.learning_rate": "学习率",
    "train.lr_scheduler": "学习率调度",
    "train.warmup_ratio": "预热比例",
    "train.weight_decay": "权重衰减",
    "train.max_grad_norm": "梯度裁剪范数",
    "train.optim": "优化器",
    "train.seed": "随机种子",
    "train.precision": "计算精度",
    "train.gradient_checkpointing": "梯度检查点",
    "train.logging_steps": "日志间隔步数",
    "train.save_steps": "保存间隔步数",
    "train.eval_steps": "评估间隔步数",
    "train.save_total_limit": "最多保留检查点数",
    "train.resume_from_checkpoint": "从检查点恢复",
    "train.save_on_sigterm": "收到 SIGTERM 时保存检查点",
    "distributed.num_processes": "进程数",
    "distributed.gpu_ids": "GPU 编号",
    "distributed.num_machines": "机器数",
    "distributed.machine_rank": "本机序号",
    "distributed.main_process_ip": "主节点 IP",
    "distributed.main_process_port": "主节点端口",
    "distributed.zero_stage": "DeepSpeed ZeRO 阶段",
    "distributed.offload_optimizer": "优化器状态卸载到 CPU",
    "distributed.offload_params": "参数卸载到 CPU",
    "output.run_name": "运行名称",
    "output.workspace": "工作目录",
}


def field_label(field: str, language: str) -> str:
    """The label of a dotted JobSpec field; a readable form of its name when none is written down."""
    if code(language) == "zh" and field in ZH:
        return ZH[field]
    if field in EN:
        return EN[field]
    name = field.rsplit(".", 1)[-1].replace("_", " ")
    return name[:1].upper() + name[1:]
