"""The arithmetic of mixing sources by token share: one plan shared by the trainer and the data-mix viewer.

A source ``i`` has a size (``tokens_i`` tokens in ``records_i`` records), a weight ``w_i``, and an optional
epoch cap ``c_i``. Its requested share of the mixed stream's tokens is::

    share_i = w_i * tokens_i ** alpha / sum_j (w_j * tokens_j ** alpha)

(``alpha`` is ``data.mix.temperature``; without one, shares follow the weights alone). A mix of ``T``
tokens then takes ``share_i * T`` tokens from source ``i``, that is ``epochs_i = share_i * T / tokens_i``
passes over it. ``T`` is the token budget when one is given, capped so that no source passes its epoch
cap; with neither a budget nor a cap it is the largest ``T`` that uses no source more than once (the mix
ends when the first source runs out, like ``datasets``' ``first_exhausted``).

This module is pure Python (no torch, no datasets): the Streamlit viewer imports it at start-up.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field


class MixError(ValueError):
    """A mix cannot be planned; the message names the source and what is wrong."""


@dataclass
class SourceSize:
    """How big one source is. ``estimated`` marks token counts extrapolated from a sample."""

    name: str
    tokens: float
    records: int
    estimated: bool = False


@dataclass
class MixPlan:
    """What a mix takes from every source (lists are in source order)."""

    names: list[str]
    shares: list[float]  # requested token shares, summing to 1
    epochs: list[float]  # passes over each source
    tokens: list[float]  # planned tokens per source
    records: list[int]  # planned records per source
    total_tokens: float
    bound: str  # what ended the mix: "budget", "cap:<name>" or "exhausted:<name>"
    estimated: bool = False
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)

    def rows(self) -> list[dict]:
        """One dict per source: name, share, epochs, tokens, records (for tables and events)."""
        return [
            {"name": n, "share": s, "epochs": e, "tokens": t, "records": r}
            for n, s, e, t, r in zip(self.names, self.shares, self.epochs, self.tokens, self.records, strict=True)
        ]


def token_shares(sizes: list[SourceSize], weights: list[float], temperature: float | None = None) -> list[float]:
    """Requested token shares from weights and an optional temperature alpha (share ∝ w * size^alpha)."""
    if not sizes:
        raise MixError("no sources to mix")
    if len(weights) != len(sizes):
        raise MixError(f"{len(weights)} weights for {len(sizes)} sources")
    for size, w in zip(sizes, weights, strict=True):
        if not math.isfinite(w) or w < 0:
            raise MixError(f"source '{size.name}': weight must be a number >= 0 (got {w})")
        if not math.isfinite(size.tokens) or size.tokens < 0 or size.records < 0:
            raise MixError(
                f"source '{size.name}': size must be >= 0 (got {size.tokens} tokens, {size.records} records)"
            )
    if temperature is not None and not 0 <= temperature <= 1:
        raise MixError(f"temperature must be between 0 and 1 (got {temperature})")
    alpha = temperature or 0.0
    raw = [w * (s.tokens**alpha if s.tokens > 0 else 0.0) if alpha else w for s, w in zip(sizes, weights, strict=True)]
    total = sum(raw)
    if total <= 0:
        raise MixError("every weight is zero: give at least one source a weight above 0")
    return [r / total for r in raw]


def plan_mix(
    sizes: list[SourceSize],
    weights: list[float],
    caps: list[float | None] | None = None,
    temperature: float | None = None,
    total_tokens: float | None = None,
) -> MixPlan:
    """The plan of a mix: shares, epochs, tokens and records per source, and what bounds its length."""
    shares = token_shares(sizes, weights, temperature)
    caps = caps or [None] * len(sizes)
    if len(caps) != len(sizes):
        raise MixError(f"{len(caps)} epoch caps for {len(sizes)} sources")
    for size, share, cap in zip(sizes, shares, caps, strict=True):
        if share > 0 and size.tokens <= 0:
            raise MixError(
                f"source '{size.name}' has no tokens, yet its share is {share:.1%}: drop it or give it weight 0"
            )
        if cap is not None and not cap > 0:
            raise MixError(f"source '{size.name}': epoch cap must be > 0 (got {cap})")
    if total_tokens is not None and not total_tokens > 0:
        raise MixError(f"token budget must be > 0 (got {total_tokens})")

    # Each source with a share bounds the mix length: T <= cap_i * tokens_i / share_i.
    limits = []
    for size, share, cap in zip(sizes, shares, caps, strict=True):
        if share > 0 and (cap is not None or total_tokens is None):
            kind = "cap" if cap is not None else "exhausted"
            limits.append(((cap if cap is not None else 1.0) * size.tokens / share, f"{kind}:{size.name}"))
    total, bound = (total_tokens, "budget") if total_tokens is not None else (math.inf, "")
    for limit, why in limits:
        if limit < total:
            total, bound = limit, why
    tokens = [share * total for share in shares]
    epochs = [t / s.tokens if s.tokens > 0 else 0.0 for t, s in zip(tokens, sizes, strict=True)]
    records = [round(e * s.records) for e, s in zip(epochs, sizes, strict=True)]
    warnings = [
        f"source '{s.name}' is repeated {e:.2f} times (upsampled)"
        for s, e in zip(sizes, epochs, strict=True)
        if e > 1.0001
    ]
    if total_tokens is not None and total < total_tokens:
        warnings.append(f"the token budget {total_tokens:,.0f} is cut to {total:,.0f} by the epoch cap of {bound[4:]}")
    return MixPlan(
        names=[s.name for s in sizes],
        shares=shares,
        epochs=epochs,
        tokens=tokens,
        records=records,
        total_tokens=total,
        bound=bound,
        estimated=any(s.estimated for s in sizes),
        warnings=warnings,
    )


def realised_shares(tokens_by_source: dict, names: list[str]) -> dict[str, float]:
    """Token shares actually seen, by source name, from ``{source index: tokens}`` counts."""
    total = sum(tokens_by_source.values())
    return {name: (tokens_by_source.get(i, 0) / total if total else 0.0) for i, name in enumerate(names)}
