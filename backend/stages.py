"""The table of training stages: name -> module under ``backend.train`` (torch-free, so the spec can use it).

A test keeps this table, the files in ``backend/train/`` and the JobSpec's ``stage`` choices in sync.
Stages with ``None`` are planned: the spec accepts the name and explains that it is not available yet.
"""

STAGES: dict[str, str | None] = {
    "pt": "backend.train.pt",
    "sft": "backend.train.sft",
    "rm": "backend.train.rm",
    "dpo": "backend.train.dpo",
    "kto": "backend.train.kto",
    "orpo": "backend.train.orpo",
    "ppo": "backend.train.ppo",
    "grpo": "backend.train.grpo",
}

STAGE_NAMES = tuple(STAGES)
IMPLEMENTED_STAGES = tuple(name for name, module in STAGES.items() if module)
