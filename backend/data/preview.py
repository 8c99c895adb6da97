"""Token-level preview: what the model sees and which tokens carry loss.

:func:`preview_samples` renders records through the template and tokenizer and returns, per sample,
``[(token_text, token_id, carries_loss), ...]`` (the structure the UI's Data tab shows);
:func:`render_ansi` colours it for a terminal: green for tokens with loss, dim for masked ones.
Pretraining text is shown as the ``cutoff_len`` chunks it becomes; with ``pack`` samples are packed
into rows the way training packs them, with the sample boundaries marked.
"""

from __future__ import annotations

from itertools import islice

from backend.data.packing import IGNORE_INDEX, chunk_document, pack_examples
from backend.data.templates import MaskError, encode_chat, encode_text, mask_error, resolve_template
from backend.data.validate import iter_valid_records, record_texts

GREEN, DIM, BOLD, RESET = "\033[32m", "\033[2m", "\033[1m", "\033[0m"

Token = tuple[str, int, bool]


def _tokens(tokenizer, ids: list[int], labels: list[int]) -> list[Token]:
    return [(tokenizer.decode([t]), t, label != IGNORE_INDEX) for t, label in zip(ids, labels, strict=True)]


def as_conversation(record: dict) -> list[dict] | None:
    """The chat a record trains on, for preview: messages; a preference pair's prompt + chosen reply; a KTO
    prompt + completion; None for text (and for evaluation records, which have no assistant turn)."""
    if "messages" in record:
        return record["messages"]
    if "chosen" in record:
        return record["prompt"] + record["chosen"]
    if "completion" in record:
        return record["prompt"] + record["completion"]
    return None


def pair_sides(record: dict) -> list[tuple[str, list[dict]]]:
    """The replies of a preference pair (``chosen``, ``rejected``) or a KTO example (``desirable`` or
    ``undesirable``), each as prompt + reply; empty for any other record."""
    if "chosen" in record and "rejected" in record:
        return [("chosen", record["prompt"] + record["chosen"]), ("rejected", record["prompt"] + record["rejected"])]
    if "completion" in record and "label" in record:
        return [("desirable" if record["label"] else "undesirable", record["prompt"] + record["completion"])]
    return []


def merged_pieces(tokenizer, ids: list[int], texts: list[str], longest: int = 8) -> dict[int, tuple[int, str]]:
    """Runs of byte-level pieces that only decode together (诗 as three byte tokens, each alone '\ufffd'):
    ``{first index: (pieces in the run, the text they decode to)}``. A run is at most ``longest`` pieces;
    pieces that decode to nothing whole even together are left as they are."""
    runs, i = {}, 0
    while i < len(ids):
        if "\ufffd" not in texts[i]:
            i += 1
            continue
        for j in range(i + 2, min(len(ids), i + longest) + 1):
            joined = tokenizer.decode(ids[i:j])
            if "\ufffd" not in joined:
                runs[i] = (j - i, joined)
                i = j
                break
        else:
            i += 1
    return runs


def encode_samples(path, tokenizer, template: str = "auto", n: int = 3, fmt: str = "auto", cutoff_len: int = 1024,
                   mask_history: bool = False) -> list[dict]:  # fmt: skip
    """The first ``n`` valid records as training samples ``{"input_ids", "labels"}`` (text: its chunks; a
    preference pair: two samples, prompt + chosen and prompt + rejected, marked ``pair`` and ``side``)."""
    jinja = resolve_template(tokenizer, template)
    samples = []
    records = iter_valid_records(path, fmt, on_error="skip")
    for pair, record in enumerate(islice(records, n), 1):
        sides = pair_sides(record)
        if sides:  # a preference pair or a KTO example: each reply with the prompt, as the stage scores it
            for side, conversation in sides:
                try:
                    sample = encode_chat(tokenizer, conversation, jinja, cutoff_len, mask_history=mask_history)
                except MaskError as exc:
                    raise mask_error(exc, template, jinja, records.where) from None
                samples.append({**sample, "pair": pair, "side": side})
            continue
        conversation = as_conversation(record)
        if conversation is not None:
            try:
                samples.append(encode_chat(tokenizer, conversation, jinja, cutoff_len, mask_history=mask_history))
            except MaskError as exc:
                raise mask_error(exc, template, jinja, records.where) from None
        else:
            text = record["text"] if "text" in record else "\n".join(record_texts(record))
            for piece in chunk_document(encode_text(tokenizer, text), cutoff_len):
                samples.append({"input_ids": piece, "labels": list(piece)})
    return samples


def sample_conversations(path, fmt: str = "auto", n: int = 20, columns=None) -> list[tuple[str, list[dict]]]:
    """``(file:line, conversation)`` of the first ``n`` valid records that train as chat (for the template check)."""
    records = iter_valid_records(path, fmt, on_error="skip", columns=columns)
    out = []
    for record in records:
        conversation = as_conversation(record)
        if conversation is not None:
            out.append((records.where, conversation))
        if len(out) >= n:
            break
    return out


def preview_samples(path, tokenizer, template: str = "auto", n: int = 3, fmt: str = "auto", cutoff_len: int = 1024,
                    pack: bool = False, mask_history: bool = False) -> list[list[Token]]:  # fmt: skip
    """Per sample (or packed row with ``pack``): ``[(token_text, token_id, carries_loss)]``.

    Packed rows follow training exactly: the first token of each sample carries no loss, so a row's
    sample boundaries are where ``position_ids`` restart (see :func:`pack_rows`).
    """
    samples = encode_samples(path, tokenizer, template, n, fmt, cutoff_len, mask_history)
    if not pack:
        return [_tokens(tokenizer, s["input_ids"], s["labels"]) for s in samples]
    return [_tokens(tokenizer, r["input_ids"], r["labels"]) for r in pack_rows(samples, cutoff_len)]


def pack_rows(samples: list[dict], capacity: int) -> list[dict]:
    """Samples packed into rows as training packs them (``input_ids``, ``labels``, ``position_ids``)."""
    rows = pack_examples({k: [s[k] for s in samples] for k in ("input_ids", "labels")}, capacity)
    return [dict(zip(rows, values, strict=True)) for values in zip(*rows.values(), strict=True)]


def render_ansi(tokens: list[Token], positions: list[int] | None = None, colour: bool = True) -> str:
    """Tokens in green (loss) or dim (masked); ``positions`` marks sample boundaries with ``│``."""
    out = []
    for i, (text, _id, loss) in enumerate(tokens):
        if positions is not None and i and positions[i] == 0:
            out.append(f"{BOLD}│{RESET}" if colour else "│")
        if colour:
            out.append(f"{GREEN if loss else DIM}{text}{RESET}")
        else:
            out.append(f"[{text}]" if loss else text)
    trained = sum(1 for t in tokens if t[2])
    return "".join(out) + f"\n-- {len(tokens)} tokens, {trained} with loss, {len(tokens) - trained} masked"
