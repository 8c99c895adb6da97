"""The table of training stages: one :class:`StageInfo` per stage, read by everything that depends on a stage.

Spec validation (``backend.spec``: from-scratch, streaming and the early-stopping rules), the form's section
labels (``studio.train_form``), stop & save (``backend.run.stop``), the data formats a stage trains on
(``backend.data.pairs``, ``backend.preflight``) and the extra models of the memory estimate
(``backend.memory``) all read this table, so a new stage is one entry here, its recipe module under
``backend.train``, a preset under ``presets/<stage>/`` and a test (tests/test_stages.py checks every entry).

Torch-free and light (the spec, the UI and the CLI import it). Stages whose ``module`` is ``None`` are
planned: the spec accepts the name and explains that it is not available yet.
"""

from __future__ import annotations

from dataclasses import dataclass

from backend.data.formats import CHAT_FORMATS, TEXT_FORMATS

# What an online RL stage can take a prompt from (backend.data.prompts.record_prompt): a generation
# record's prompt, a preference/kto record's prompt, or a conversation up to its last user turn.
PROMPT_FORMATS = ("generation", "preference", "kto", *CHAT_FORMATS)


@dataclass(frozen=True)
class StageInfo:
    """What the studio knows about one stage.

    ``formats`` are the record formats its data may be in, the first one the shape its rows are turned
    into (``data_kind``: ``text``/``chat`` for the Trainer stages, ``pairs`` for the preference stages,
    ``prompts`` for online RL). ``reference_copy``: with full/freeze training it holds a frozen copy of
    the starting model as the reference (LoRA/QLoRA use the adapter-disabled base instead, no copy);
    ``reference_loaded``: that copy is loaded as a full-training model by the stage's own loop (fp32
    unless ``model.dtype``; not sharded by ZeRO-3) rather than copied by TRL in the policy's dtype;
    ``reference_needs_kl``: the copy exists only with ``rl.kl_coef`` > 0 (TRL skips it at 0).
    ``value_head``: it trains a scalar value head beside the policy; ``reward_model``: it may load the
    reward model of ``rl.reward_model`` (``reward_fp32``: in fp32, else in the compute dtype).
    ``streaming``/``from_scratch``: whether the spec accepts ``data.streaming``/``model.from_scratch``.
    ``evaluates``: its trainer evaluates on held-out data while training, so early stopping and
    keep_best can follow a metric. ``form_group``: the form
    section (``studio.train_form.GROUPS`` key) of the fields only this kind of stage reads, if any.
    """

    name: str
    module: str | None  # the recipe under backend.train; its ``run(spec, run_dir, events) -> dict`` trains
    data_kind: str  # "text", "chat", "pairs" or "prompts"
    formats: tuple[str, ...]
    can_stop: bool  # checks for a stop request and saves a checkpoint first (``studio runs stop``)
    can_resume: bool  # its checkpoints hold a Trainer state that ``resume_run`` continues from
    streaming: bool
    from_scratch: bool
    evaluates: bool
    reference_copy: bool = False
    reference_loaded: bool = False
    reference_needs_kl: bool = False
    value_head: bool = False
    reward_model: bool = False
    reward_fp32: bool = False
    saves_chat_template: bool = False
    form_group: str | None = None
    entry: str = "run"  # the function of ``module`` that backend.train.__main__ calls


_PAIRS = dict(data_kind="pairs", can_stop=True, can_resume=True, streaming=False, from_scratch=False,
              evaluates=False, saves_chat_template=True, form_group="group.pref")  # fmt: skip
# Online RL: the spec accepts data.streaming (the prompts are read whole all the same) and from-scratch.
_RL = dict(data_kind="prompts", formats=PROMPT_FORMATS, streaming=True, from_scratch=True, evaluates=False,
           reference_copy=True, reward_model=True, form_group="group.rl")  # fmt: skip

STAGE_INFO: dict[str, StageInfo] = {
    s.name: s
    for s in (
        # pt takes text, or chat records flattened to text (backend.data.build.ACCEPTS).
        StageInfo(
            "pt",
            "backend.train.pt",
            "text",
            TEXT_FORMATS + CHAT_FORMATS,
            can_stop=True,
            can_resume=True,
            streaming=True,
            from_scratch=True,
            evaluates=True,
        ),  # fmt: skip
        StageInfo(
            "sft",
            "backend.train.sft",
            "chat",
            CHAT_FORMATS,
            can_stop=True,
            can_resume=True,
            streaming=True,
            from_scratch=True,
            evaluates=True,
            saves_chat_template=True,
        ),  # fmt: skip
        StageInfo("rm", "backend.train.rm", formats=("preference",), **_PAIRS),
        StageInfo("dpo", "backend.train.dpo", formats=("preference",), reference_copy=True, **_PAIRS),
        StageInfo("kto", "backend.train.kto", formats=("kto", "preference"), reference_copy=True, **_PAIRS),
        StageInfo("orpo", "backend.train.orpo", formats=("preference",), **_PAIRS),  # reference-free
        # PPO's own loop keeps no Trainer state: it cannot be stopped with a checkpoint or resumed.
        StageInfo(
            "ppo",
            "backend.train.ppo",
            can_stop=False,
            can_resume=False,
            value_head=True,
            reference_loaded=True,
            reward_fp32=True,
            **_RL,
        ),  # fmt: skip
        StageInfo("grpo", "backend.train.grpo", can_stop=True, can_resume=True, reference_needs_kl=True, **_RL),
    )
}

STAGES: dict[str, str | None] = {name: info.module for name, info in STAGE_INFO.items()}
STAGE_NAMES = tuple(STAGES)
IMPLEMENTED_STAGES = tuple(name for name, module in STAGES.items() if module)


def stage_info(name: str) -> StageInfo:
    """The table entry of stage ``name`` (a KeyError names the known stages)."""
    try:
        return STAGE_INFO[name]
    except KeyError:
        raise KeyError(f"unknown stage {name!r}; expected one of: {', '.join(STAGE_NAMES)}") from None


def stages_where(**want) -> tuple[str, ...]:
    """The stages whose entries have every attribute of ``want`` at that value, in table order.

    ``stages_where(from_scratch=False)`` -> ``("rm", "dpo", "kto", "orpo")``.
    """
    return tuple(s.name for s in STAGE_INFO.values() if all(getattr(s, k) == v for k, v in want.items()))
