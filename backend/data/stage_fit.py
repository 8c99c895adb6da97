"""Which training stages can use a record format, by the trainer's own rules (torch-free).

The data-mix viewer shows it per source, filters a mix by stage and warns; pre-flight refuses a source
(or a policy's source) that the stage cannot train on. The answer comes from the very checks the
trainer runs (:func:`backend.data.build.check_want`, :func:`backend.data.pairs.check_pair_format`,
:func:`backend.data.prompts.check_prompt_format`), so the viewer and a run never disagree.
"""

from __future__ import annotations

from backend.data.formats import DataError
from backend.stages import IMPLEMENTED_STAGES


def check_stage_format(stage: str, fmt: str | None, where: str, path) -> None:
    """Raise the trainer's DataError when ``stage`` cannot train on ``fmt`` records of ``path``."""
    from backend.data.build import check_want
    from backend.data.pairs import STAGE_FORMATS, check_pair_format
    from backend.data.prompts import check_prompt_format

    if stage in ("pt", "sft"):
        check_want(fmt, "chat" if stage == "sft" else "text", where, path)
    elif stage in STAGE_FORMATS:
        check_pair_format(fmt, stage, where, path)
    else:
        check_prompt_format(fmt, stage, where, path)


def stages_for(fmt: str | None) -> tuple[str, ...]:
    """The stages that can train on ``fmt`` records (empty for evaluation-only or unknown formats)."""
    fits = []
    for stage in IMPLEMENTED_STAGES:
        try:
            check_stage_format(stage, fmt, "source", "source")
        except DataError:
            continue
        fits.append(stage)
    return tuple(fits)


def misfits(formats: list[tuple[str, str | None]], stage: str) -> list[tuple[str, str | None]]:
    """The ``(name, format)`` pairs among ``formats`` that ``stage`` cannot train on."""
    return [(name, fmt) for name, fmt in formats if stage not in stages_for(fmt)]


def common_stages(formats: list[str | None]) -> tuple[str, ...]:
    """The stages that can train on every one of ``formats`` (empty: no single run can use them all)."""
    return tuple(s for s in IMPLEMENTED_STAGES if all(s in stages_for(f) for f in formats))
