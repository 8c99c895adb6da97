"""The Chinese help text of every JobSpec field, keyed by its dotted path (as ``studio.field_labels``).

The English help is each field's description in ``backend/spec.py``; this is its translation, shown under
the Train tab's inputs in 中文 mode. Rows of a list field (``data.sources``) are keyed ``data.sources.<column>``.
``tests/test_i18n_fields.py`` fails when a JobSpec field has no entry here or an entry names no field, so a
new field gets its Chinese in the same change. Code names, field names, units and numbers stay as they are.
"""

from __future__ import annotations

FIELD_HELP_ZH: dict[str, str] = {
    "version": "配置格式版本。",
    "stage": (
        "训练阶段：pt（预训练，可继续预训练或从头训练）、sft（监督微调）、rm（奖励模型）、dpo、kto 或 orpo"
        "（基于偏好对或带标签回答的偏好训练）、ppo 或 grpo（以规则奖励和/或奖励模型进行在线强化学习）。"
    ),
    # model
    "model.name_or_path": (
        "Hugging Face 模型的本地目录，或 'builtin:tiny-llama'（工作室自带的小模型，首次使用时构建）。"
        "从头训练时只用它提供分词器，除非另设了 'tokenizer'。"
    ),
    "model.tokenizer": "分词器目录，与 name_or_path 不同时填写（也可用 'builtin:tiny-tokenizer'）。",
    "model.from_scratch": "按 'architecture' 随机初始化权重，而不是加载已有权重。",
    "model.architecture.shape": (
        "已发布模型的精确架构（尺寸、注意力头、词表、RoPE），权重随机初始化；设置后取代 family 及以下各项尺寸。"
    ),
    "model.architecture.family": "从头训练时的模型族（Hugging Face 的 model_type）。",
    "model.architecture.hidden_size": "残差流的宽度。",
    "model.architecture.num_hidden_layers": "解码器层数。",
    "model.architecture.num_attention_heads": "注意力头数。",
    "model.architecture.num_key_value_heads": "分组查询注意力（GQA）的 KV 头数；留空表示与注意力头数相同。",
    "model.architecture.intermediate_size": "MLP 的隐藏层宽度。",
    "model.architecture.max_position_embeddings": "位置编码支持的最长序列。",
    "model.architecture.rope_theta": "RoPE 基频。",
    "model.architecture.tie_word_embeddings": "输入词嵌入与输出层共享权重。",
    "model.dtype": "加载权重所用的数据类型；'auto' 跟随 train.precision。",
    "model.attn_implementation": "注意力实现；flash_attention_2 需要安装 flash-attn 并使用 GPU。",
    "model.trust_remote_code": "运行模型目录中自带的建模代码。只对你信任的模型勾选。",
    # method
    "method.type": (
        "full：训练全部权重；freeze：只训练最后几层；lora：训练适配器；qlora：在 4/8 位量化的基座上训练适配器。"
    ),
    "method.lora.rank": "LoRA 的秩 r。",
    "method.lora.alpha": "LoRA 缩放系数 alpha（更新量按 alpha/r 缩放）。",
    "method.lora.dropout": "LoRA 输入上的 dropout。",
    "method.lora.target_modules": "要加适配器的模块名，例如 [q_proj, v_proj]，或 'all-linear'。",
    "method.lora.use_rslora": "秩稳定 LoRA（rsLoRA）：按 alpha/sqrt(r) 缩放。",
    "method.lora.use_dora": "权重分解 LoRA（DoRA）。",
    "method.lora.modules_to_save": "在适配器之外全量训练的模块，例如扩充词表后的 [embed_tokens, lm_head]。",
    "method.quant.bits": "冻结的基座权重的量化位数。",
    "method.quant.quant_type": "4 位量化的数据类型。",
    "method.quant.double_quant": "对量化常数再做一次量化（每个参数约省 0.4 位）。",
    "method.freeze.trainable_layers": "训练最后 N 个解码器层，其余层冻结。",
    "method.freeze.extra_modules": "额外训练的参数，按名称子串匹配（例如 embed_tokens、lm_head、norm）。",
    # data
    "data.sources": "数据集文件，至少一个。",
    "data.sources.path": (
        "一个 .jsonl、.json、.jsonl.zst、.parquet、.csv 或 .txt 文件，或存放这些文件的目录"
        "（相对路径从工作区读取，例如上传的文件为 data/uploads/x.jsonl）；"
        "自带样例写作 'builtin:samples/…'；工作区 datasets.yaml 中登记的数据集写作 'dataset:<name>'。"
    ),
    "data.sources.format": "记录格式；'auto' 根据第一条记录自动识别。",
    "data.sources.weight": "混合权重：该数据源在训练 token 中所占的份额，相对于其他数据源的权重（见 data.mix）。",
    "data.sources.max_samples": "最多使用该数据源的这么多条记录。",
    "data.sources.max_epochs": "混合时的轮数上限：最多遍历该数据源几遍（大于 1 即上采样）；留空表示不设上限。",
    "data.sources.name": "在混合计划和事件中显示的简称；留空则用文件名或目录名。",
    "data.mix.strategy": (
        "concat：每个数据源的每条记录各用一次，保持自然比例；interleave：按 token 份额对数据源采样"
        "（权重、温度、轮数上限、预算）；auto：设置了其中任意一项时使用 interleave。"
    ),
    "data.mix.temperature": (
        "温度 alpha：token 份额正比于 权重 x 数据源大小^alpha（1 为自然大小，0 只看权重）；留空表示只看权重。"
    ),
    "data.mix.total_tokens": "混合数据的 token 预算；留空则直到第一个数据源达到其轮数上限为止。",
    "data.mix.policy": (
        "由数据配比工具保存的采样策略 YAML；加载配置时，其中的数据源和混合设置会替换 data.sources 与 data.mix。"
    ),
    "data.mix.policy_from": "加载时自动填写：这些数据源来自哪个策略文件。",
    "data.streaming": (
        "训练时以流式读取数据源（适用于大于内存的数据集）：不做缓存，也不整体加载；"
        "需要设置 train.max_steps，且 data.val_size 须为记录条数。"
    ),
    "data.template": (
        "对话模板：'auto' 使用分词器自带的 chat_template（没有时用 chatml）；也可填 .jinja 文件路径，"
        "或内置模板名（chatml、qwen、qwen3、qwen3-nothink、yi、internlm2、llama3、llama2、mistral、baichuan2、"
        "chatglm3、glm4、glm4.5、deepseek、deepseek-r1；empty 只保留助手轮次，用于在对话数据上做增量预训练）。"
        "损失覆盖模板渲染出的每条回答及其轮次结束标记；无法定位回答位置的模板会被拒绝。"
    ),
    "data.cutoff_len": "每条训练序列的最大 token 数；更长的样本会被截断。",
    "data.packing": "把多个样本打包进一条序列，不加填充；注意力不会跨越样本边界。",
    "data.train_on_prompt": "SFT：在系统提示和用户消息的 token 上也计算损失。",
    "data.mask_history": "SFT：只在最后一轮助手回答上计算损失，不计之前的回答。",
    "data.skip_bad_records": (
        "跳过校验失败的记录（JSON 格式错误、缺字段、角色顺序错误）并记录跳过了多少条；"
        "关闭时遇到第一条坏记录即失败，并报告 '文件:行号: 字段: 问题'。"
    ),
    "data.val_size": "留出的验证集：比例（<1）或记录条数（>=1）；0 表示不留验证集。",
    "data.preprocessing_workers": "分词预处理的进程数；留空则按 CPU 核数自动选择。",
    # train
    "train.num_epochs": "遍历训练数据的轮数（max_steps > 0 时忽略）。",
    "train.max_steps": "训练到这么多个优化器步后停止；-1 表示按 num_epochs 训练。",
    "train.per_device_batch_size": "每个设备每步处理的序列数（打包时为打包后的行数）。",
    "train.gradient_accumulation_steps": "每个优化器步累积的微批次数。",
    "train.learning_rate": "峰值学习率。",
    "train.lr_scheduler": "预热之后的学习率调度方式。",
    "train.warmup_ratio": "用于学习率预热的步数比例。",
    "train.weight_decay": "AdamW 的权重衰减。",
    "train.max_grad_norm": "梯度裁剪的范数上限；0 表示不裁剪。",
    "train.optim": "优化器。",
    "train.seed": "随机种子，用于数据顺序、参数初始化和 dropout。",
    "train.precision": (
        "计算精度；'auto' 只在原生支持 bf16 的 GPU 上用 bf16，较老的 GPU 用 fp16，CPU 上用 fp32"
        "（CPU 上的 bf16 autocast 要慢 4-25 倍）。"
    ),
    "train.gradient_checkpointing": "反向传播时重新计算激活值：更省显存，但慢约 30%。",
    "train.logging_steps": "每 N 个优化器步记录一次指标。",
    "train.save_steps": "每 N 步保存一个检查点；0 表示只在结束时保存。",
    "train.eval_steps": "每 N 步在验证集上评估一次；0 表示只在结束时评估。",
    "train.save_total_limit": "最多保留这么多个检查点（留空则全部保留）。",
    "train.early_stopping.patience": "连续这么多次评估没有改进就停止训练；0 表示关闭早停。",
    "train.early_stopping.min_delta": "指标至少变化这么多才算改进。",
    "train.early_stopping.metric": (
        "eval_loss（越低越好；需要 data.val_size 和 train.eval_steps）或 eval_choice_acc"
        "（单选题准确率，越高越好；需要 eval.choice_data 和评估间隔）。"
    ),
    "train.keep_best": (
        "每当 early_stopping.metric 创出新的最佳值就保存一个检查点，并在最近 save_total_limit 个检查点之外保留它；"
        "导出、对话和评估随后可以选择 'best'。"
    ),
    "train.report_to": (
        "工作室自身事件之外的实验追踪工具：tensorboard 写入 runs/<id>/tensorboard（离线）；"
        "mlflow、wandb 和 swanlab 只有已安装并在此列出时才启用。"
    ),
    "train.neftune_alpha": "NEFTune：训练时给输入词嵌入加噪声的强度（例如 5）；留空表示关闭。",
    "train.use_liger_kernel": "Liger 融合内核（GPU，需安装 liger-kernel 包）。",
    "train.resume_from_checkpoint": "填 'latest' 或一个检查点目录以从中恢复训练；留空则从头开始。",
    "train.save_on_sigterm": (
        "收到 SIGTERM（集群抢占作业或普通中止）时，在当前步结束后保存一个检查点再停止，以便之后恢复。"
        "无论这里怎么设置，“保存并停止”按钮都会这样做。"
    ),
    # eval
    "eval.choice_data": "单选题文件（C-Eval 格式），训练中按选项字母的 logits 打分。",
    "eval.prompts_data": "生成用的提示文件；每次评估的回答都会记录并保存。",
    "eval.every_steps": "每 N 步评估一次；0 表示沿用 train.eval_steps，若它也为 0 则只在结束时评估。",
    "eval.few_shot": "每道单选题附带的少样本示例数。",
    "eval.max_new_tokens": "每个提示生成的 token 数。",
    "eval.limit": "每次评估时每个文件最多使用这么多条记录。",
    "eval.stop_check": (
        "SFT：训练结束后对 3 条训练提示做贪心回复；如果模型始终不在轮次结束 token 处停下"
        "（模板或 EOS 不匹配），给出警告。"
    ),
    # preference
    "pref.beta": "dpo/kto/orpo：偏好项的强度（DPO 的 beta）。",
    "pref.loss_type": "dpo：损失变体（sigmoid 为原始 DPO，ipo 和 hinge 为替代形式）。",
    "pref.sft_weight": "dpo：在被选回答上附加的 SFT 损失权重（0 表示不加）。",
    "pref.desirable_weight": "kto：正例（label 为 true）的损失权重。",
    "pref.undesirable_weight": "kto：负例的损失权重。",
    # rl
    "rl.reward_model": "奖励模型：一个 rm 运行（编号、名称或目录）或本地目录；留空表示只用规则奖励。",
    "rl.reward_functions": "加到奖励模型分数上的规则奖励，例如 'contains:谢谢' 或 'length:64'。",
    "rl.num_generations": "grpo：每个提示采样的回答数（即一组）。",
    "rl.max_new_tokens": "每次 rollout 生成的 token 数。",
    "rl.temperature": "rollout 的采样温度。",
    "rl.top_k": "rollout 只从概率最高的 k 个 token 中采样；0 表示从整个词表采样。",
    "rl.top_p": "rollout 的核采样（nucleus）阈值；1 表示关闭。",
    "rl.kl_coef": "相对参考模型的 KL 惩罚权重。",
    "rl.ppo_epochs": "ppo：每批 rollout 上的优化轮数。",
    "rl.clip_range": "ppo/grpo：策略比率的裁剪范围。",
    "rl.vf_coef": "ppo：价值函数损失的权重。",
    "rl.gamma": "ppo：折扣因子。",
    "rl.lam": "ppo：GAE 的 lambda。",
    # distributed
    "distributed.num_processes": "本机上的训练进程数（每个 GPU 一个；CPU 上为 gloo 工作进程）。",
    "distributed.gpu_ids": "要使用的 GPU 编号，例如 [0, 1]；留空则用前 num_processes 个 GPU。",
    "distributed.num_machines": "参与训练的机器数（多机）。",
    "distributed.machine_rank": "本机在 num_machines 台机器中的序号（0 为主节点）。",
    "distributed.main_process_ip": "rank 0 机器的地址（多机）。",
    "distributed.main_process_port": "rank 0 机器的端口。",
    "distributed.zero_stage": "DeepSpeed ZeRO 阶段；0 表示普通数据并行（不用 DeepSpeed）。",
    "distributed.offload_optimizer": "DeepSpeed：把优化器状态放在 CPU 内存中。",
    "distributed.offload_params": "DeepSpeed ZeRO-3：把参数放在 CPU 内存中。",
    "distributed.launcher": (
        "在哪里启动：local（本机）或 slurm（Slurm 集群上的批处理作业，每台机器一个节点；"
        "运行目录必须位于各节点共享的文件系统上）。"
    ),
    "distributed.slurm.partition": "Slurm 分区（--partition）；留空用默认分区。",
    "distributed.slurm.account": "作业计费的账户（--account）。",
    "distributed.slurm.qos": "服务质量（--qos）。",
    "distributed.slurm.time": "时间上限（--time），例如 30、4:00:00 或 2-00:00:00；留空用分区的默认值。",
    "distributed.slurm.gpus_per_node": (
        "每个节点的 GPU 数（--gpus-per-node）；0 表示在 CPU 上训练。num_processes 需设为相同的值。"
    ),
    "distributed.slurm.cpus_per_task": "每个节点上那一个任务的 CPU 核数（--cpus-per-task）；留空用 Slurm 的默认值。",
    "distributed.slurm.mem": "每个节点的内存（--mem），例如 64G；留空用 Slurm 的默认值。",
    "distributed.slurm.job_name": "squeue 中显示的作业名（--job-name）；留空用运行名称。",
    "distributed.slurm.requeue": (
        "作业被抢占时让 Slurm 重新排队（--requeue）。请配合 train.save_on_sigterm 和 save_steps，"
        "让重新排队的作业有检查点可以接着训练。"
    ),
    "distributed.slurm.signal_before_s": (
        "配合 train.save_on_sigterm：Slurm 在时间上限前这么多秒发送 SIGTERM（--signal=TERM@N），"
        "让运行在被杀掉前保存检查点。"
    ),
    "distributed.slurm.extra_sbatch": (
        "更多 #SBATCH 选项，每项一个，例如 --constraint=a100 或 --exclusive（用长格式，不含空格或 shell 字符）。"
    ),
    "distributed.slurm.setup": (
        "启动前在第一个节点上运行的 shell 命令，例如 'module load cuda/12.4' 或 "
        "'source /shared/venv/bin/activate'（每项一条命令）。"
    ),
    "distributed.slurm.python": "节点上的 Python（共享文件系统上的路径）；留空用工作室自身的解释器。",
    # output
    "output.run_name": "运行名称（字母、数字、_ . -）；留空则由训练阶段和方法生成。",
    "output.workspace": "工作区目录；留空用 $STUDIO_HOME 或 ./workspace。",
}
