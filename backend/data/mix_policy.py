"""The data-mix viewer's logic, with no Streamlit in it: settings, pasted sizes, the plan, the policy.

- Sources and their sizes come from :mod:`backend.data.mix_view`; ``load_settings`` reads the sources and
  mix settings of a JobSpec or policy YAML; ``parse_manual`` reads pasted ``name tokens [path]`` lines with
  a small grammar (never eval).
- ``make_plan`` turns slider values into :func:`backend.data.mix.plan_mix`, the arithmetic the trainer uses.
- ``build_policy`` writes a :class:`backend.spec.MixPolicy`, checked by ``load_policy`` (the JobSpec's own
  loader) before it is offered; ``save_policy`` puts it under ``<workspace>/policies/``.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from backend.data.mix import MixError, MixPlan, plan_mix
from backend.data.mix_view import Source
from backend.spec import DataSource, MixPolicy, MixSpec, load_policy

POLICY_DIR = "policies"


def load_settings(path: str | Path) -> dict:
    """The sources and mix settings of a policy or JobSpec YAML: ``{"sources": [(name, path, format)],
    "percents", "caps", "alpha", "budget", "mode"}``; SpecError naming the field when it is invalid."""
    import yaml

    from backend.safe_yaml import read_yaml_file
    from backend.spec import load_spec

    file = Path(path).expanduser()
    try:
        head = read_yaml_file(file)
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        head = None  # the loaders below report it with the file and line
    return settings_of(load_policy(file) if isinstance(head, dict) and "sources" in head else load_spec(file).data)


def settings_of(holder) -> dict:
    """The viewer's settings (see ``load_settings``) of a MixPolicy or a JobSpec's data section."""
    from types import SimpleNamespace

    from backend.data.build import source_labels  # torch-free: the trainer's own naming of sources

    labels = source_labels(SimpleNamespace(data=holder))
    total = sum(s.weight for s in holder.sources)
    return {
        "sources": [(label, s.path, s.format) for label, s in zip(labels, holder.sources, strict=True)],
        "percents": [round(100 * s.weight / total, 2) for s in holder.sources],
        "caps": [s.max_epochs or 0.0 for s in holder.sources],
        "alpha": holder.mix.temperature,
        "budget": holder.mix.total_tokens or 0,
        "mode": "alpha" if holder.mix.temperature is not None else "shares",
    }


# ------------------------------------------------------------------------------------- manual

_SIZE = re.compile(r"^([0-9][0-9_,]*(?:\.[0-9]+)?|\.[0-9]+)(?:e([+-]?[0-9]+))?([kmbgt]?)$", re.IGNORECASE)
_SCALE = {"": 1, "k": 1e3, "m": 1e6, "b": 1e9, "g": 1e9, "t": 1e12}


def parse_size(text: str) -> float:
    """A token count such as ``1200``, ``1,200``, ``1.2M``, ``3e9`` or ``2B``; ValueError otherwise."""
    word = text.strip()
    if word.startswith("-"):
        raise ValueError(f"size must be >= 0 (got {word})")
    match = _SIZE.match(word)
    if not match:
        raise ValueError(f"'{word}' is not a size (examples: 1200, 1.2M, 3B)")
    digits = match[1].replace("_", "").replace(",", "")
    return float(digits) * 10 ** int(match[2] or 0) * _SCALE[match[3].lower()]


def parse_manual(text: str) -> tuple[list[Source], list[str]]:
    """Sources from lines ``name  tokens  [path]`` (comma, tab or spaces between; # comments); (sources, errors).

    Nothing is evaluated: each line is split and its size parsed by ``parse_size``. Every problem is
    reported with its line number; the caller loads nothing while there are errors.
    """
    sources: list[Source] = []
    errors: list[str] = []
    first: dict[str, int] = {}
    for no, line in enumerate(text.splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        parts = [p for p in re.split(r"\s*[,\t;:]\s*|\s+", line, maxsplit=2) if p]
        if len(parts) < 2:
            errors.append(f"line {no}: expected 'name  tokens  [path]', got '{line}'")
            continue
        name, size = parts[0], parts[1]
        try:
            tokens = parse_size(size)
        except ValueError as exc:
            errors.append(f"line {no}: {name}: {exc}")
            continue
        if name in first:
            errors.append(f"line {no}: duplicate name '{name}' (first on line {first[name]})")
            continue
        first[name] = no
        sources.append(Source(name, parts[2].strip() if len(parts) > 2 else "", tokens=tokens))
    if not sources and not errors:
        errors.append("nothing to parse: write one source per line, e.g. 'wiki  1.2B  data/wiki'")
    return sources, errors


# --------------------------------------------------------------------------------------- plan


def make_plan(sources: list[Source], percents: list[float], caps: list[float], alpha: float | None,
              budget: float, mode: str) -> MixPlan:  # fmt: skip
    """The mix plan of the viewer's settings: ``mode`` 'shares' (percents as weights) or 'alpha' (size^alpha).

    A cap or budget of 0 means none. In alpha mode every non-empty source has weight 1.
    """
    if mode == "alpha":
        weights = [1.0 if s.tokens > 0 else 0.0 for s in sources]
        temperature = alpha
    else:
        weights, temperature = [float(p) for p in percents], None
        if sources and not any(w > 0 for w in weights):
            raise MixError("every share is 0%: move at least one slider above 0")
    return plan_mix([s.size() for s in sources], weights, [c if c else None for c in caps], temperature,
                    budget if budget else None)  # fmt: skip


def natural_shares(sources: list[Source]) -> list[float]:
    """Each source's share of all tokens (the mix without weights); zeros when there are no tokens."""
    total = sum(s.tokens for s in sources)
    return [s.tokens / total if total else 0.0 for s in sources]


def unallocated(percents: list[float]) -> float:
    """Percent points not given to any source (negative when over 100); shares are scaled to 100%."""
    return 100.0 - sum(percents)


# ------------------------------------------------------------------------------------- policy


def build_policy(sources: list[Source], plan: MixPlan, caps: list[float], budget: float, mode: str,
                 alpha: float | None, freeze: bool = True) -> MixPolicy:  # fmt: skip
    """The sample policy of a plan. ``freeze`` writes the shown shares as weights (what you see trains);
    otherwise alpha mode writes ``temperature`` for the trainer to apply to its own token counts."""
    rows = []
    keep_alpha = mode == "alpha" and not freeze
    for source, share, cap in zip(sources, plan.shares, caps, strict=True):
        if share <= 0:
            continue  # a policy source needs a weight > 0: a 0% source is left out
        if not source.path:
            raise MixError(f"source '{source.name}' has no path: a policy needs one (add it after the size)")
        weight = 1.0 if keep_alpha else (round(share * 100, 4) or share * 100)  # a tiny share stays > 0
        rows.append(DataSource(path=source.path, format=source.format, weight=weight, max_epochs=cap or None,
                               name=source.name))  # fmt: skip
    mix = MixSpec(strategy="interleave", temperature=alpha if keep_alpha else None, total_tokens=int(budget) or None)
    return MixPolicy(sources=rows, mix=mix)


def check_policy_text(text: str) -> MixPolicy:
    """Validate policy YAML with ``load_policy``, the JobSpec's own loader (MixError naming the field)."""
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        try:
            return load_policy(fh.name)
        except ValueError as exc:  # SpecError and the loader's field errors; name the text, not the temp file
            raise MixError(str(exc).replace(fh.name, "the policy")) from None


def safe_name(name: str) -> str:
    """A policy file stem: letters (any script), digits, '.', '-' and '_' only; MixError when nothing is left."""
    stem = re.sub(r"[^\w.-]+", "-", name.strip()).strip(".-_")[:64]
    stem = stem.removesuffix(".yaml").removesuffix(".yml")
    if not stem:
        raise MixError("policy name: use letters, digits, '-' or '_'")
    return stem


def save_policy(home: Path, name: str, text: str, overwrite: bool = False) -> Path:
    """Write ``<home>/policies/<safe name>.yaml``; FileExistsError unless ``overwrite``."""
    folder = (Path(home) / POLICY_DIR).resolve()
    target = (folder / f"{safe_name(name)}.yaml").resolve()
    if target.parent != folder:
        raise MixError(f"policy name: {name!r} leaves {folder}")
    check_policy_text(text)
    if target.exists() and not overwrite:
        raise FileExistsError(f"{target} exists: confirm to overwrite it")
    folder.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    return target


def list_policies(home: Path) -> list[Path]:
    """Saved policies of the workspace, by name."""
    folder = Path(home) / POLICY_DIR
    return sorted(folder.glob("*.yaml")) if folder.is_dir() else []
