"""Merging new pieces into a BPE tokenizer without moving any old id.

Two routes, both appending after every existing id:
- sentencepiece base (``tokenizer.model`` beside ``tokenizer.json`` and no added token past the proto's
  pieces): new pieces are appended to the ModelProto as NORMAL pieces with scores below every old
  score (old merges keep priority); ``tokenizer.json`` gets the same pieces and, after its old merges,
  the merges transformers derives for them from the merged proto (so both split text alike).
- any other ``tokenizers`` BPE (byte-level or Metaspace): each new piece gets a new id and one merge
  ``(a, b)`` appended after the old merges; a piece that no pair of known pieces builds gets its
  missing suffix added first (recursively), so every added piece is reachable by BPE.
Old merges keep their ranks, so old text splits as before except where a new piece now forms.
"""

from __future__ import annotations

import json

from backend.tokenizer.train import TokenizerError


def _byte_maps():
    from transformers.convert_slow_tokenizer import bytes_to_unicode

    enc = bytes_to_unicode()
    return enc, {v: k for k, v in enc.items()}


def representation(tokenizer_json: dict) -> str:
    """How the model's vocabulary writes text: ``byte`` (GPT-2 byte-level), ``meta`` (``▁`` for spaces) or ``raw``."""
    blob = json.dumps([tokenizer_json.get("pre_tokenizer"), tokenizer_json.get("normalizer")])
    if '"ByteLevel"' in blob:
        return "byte"
    return "meta" if "▁" in blob else "raw"


def to_piece(text: str, rep: str) -> str:
    """``text`` written as a vocabulary entry of representation ``rep``."""
    if rep == "byte":
        enc, _ = _byte_maps()
        return "".join(enc[b] for b in text.encode("utf-8"))
    return text.replace(" ", "▁") if rep == "meta" else text


def to_text(piece: str, rep: str) -> str | None:
    """The text of a vocabulary entry, or None when it is not whole UTF-8 text (a byte piece)."""
    if rep == "byte":
        _, dec = _byte_maps()
        try:
            return bytes(dec[c] for c in piece).decode("utf-8")
        except (KeyError, UnicodeDecodeError):
            return None
    if piece.startswith("<0x") and piece.endswith(">") and len(piece) == 6:
        return None
    return piece.replace("▁", " ") if rep == "meta" else piece


class PieceAdder:
    """Adds pieces to a BPE vocabulary (``vocab`` {piece: id}), recording the merges that build them."""

    def __init__(self, vocab: dict[str, int], next_id: int, single_chars_ok: bool):
        self.vocab = vocab
        self.next_id = next_id
        self.single_chars_ok = single_chars_ok  # sentencepiece: every character is an initial symbol
        self.added: list[str] = []
        self.merges: list[tuple[str, str]] = []

    def add(self, piece: str, depth: int = 0) -> bool:
        """Make ``piece`` a reachable vocabulary entry; False when it cannot be built (unknown characters)."""
        if piece in self.vocab:
            return True
        if len(piece) == 1:
            return self.single_chars_ok and self._new(piece, None)
        split = next(((piece[:i], piece[i:]) for i in range(1, len(piece))
                      if piece[:i] in self.vocab and piece[i:] in self.vocab), None)  # fmt: skip
        if split is None and depth < 64:
            for i in range(len(piece) - 1, 0, -1):  # the longest known prefix, then build the rest
                if piece[:i] in self.vocab and self.add(piece[i:], depth + 1):
                    split = (piece[:i], piece[i:])
                    break
            if split is None and self.add(piece[0], depth + 1) and self.add(piece[1:], depth + 1):
                split = (piece[0], piece[1:])
        return split is not None and self._new(piece, split)

    def _new(self, piece: str, split) -> bool:
        self.vocab[piece] = self.next_id
        self.next_id += 1
        self.added.append(piece)
        if split:
            self.merges.append(split)
        return True


def merge_into_json(tokenizer_json: dict, texts: list[str]) -> tuple[dict, list[str]]:
    """``tokenizer.json`` with ``texts`` added as BPE pieces after every old id; (json, added pieces)."""
    model = tokenizer_json["model"]
    if model.get("type") != "BPE":
        raise TokenizerError(f"the base tokenizer's model is {model.get('type')}; only BPE bases can be extended")
    rep = representation(tokenizer_json)
    vocab = dict(model["vocab"])
    used = [*vocab.values(), *(t["id"] for t in tokenizer_json.get("added_tokens", []))]
    adder = PieceAdder(vocab, max(used) + 1, single_chars_ok=rep != "byte")
    for text in texts:
        adder.add(to_piece(text, rep))
    model["vocab"] = vocab
    old = model.get("merges") or []
    as_pairs = bool(old) and isinstance(old[0], list)
    model["merges"] = old + [list(m) if as_pairs or not old else " ".join(m) for m in adder.merges]
    return tokenizer_json, adder.added


def merge_into_proto(proto, tokenizer_json: dict, texts: list[str]) -> tuple[dict, list[str]]:
    """Append ``texts`` to a sentencepiece BPE ``proto`` (in place) and regenerate ``tokenizer.json``'s
    vocab and merges from it; (json, added pieces)."""
    from transformers.tokenization_utils_base import generate_merges

    if proto.trainer_spec.model_type != 2:  # BPE
        raise TokenizerError("the base sentencepiece model is not BPE (unigram bases are not supported)")
    vocab = {p.piece: i for i, p in enumerate(proto.pieces)}
    adder = PieceAdder(vocab, len(proto.pieces), single_chars_ok=True)
    for text in texts:
        adder.add(to_piece(text, "meta"))
    score = min((p.score for p in proto.pieces if p.type == 1), default=0.0)
    for piece in adder.added:
        score -= 1.0  # below every old piece: old merges keep priority
        proto.pieces.add(piece=piece, score=score, type=1)
    full = {p.piece: i for i, p in enumerate(proto.pieces)}
    new = set(adder.added)
    model = tokenizer_json["model"]
    model["vocab"] = full
    # Old merges stay as they are (a real Llama's are ordered by score); the new pieces' merges, as
    # transformers derives them from a merged proto, go after them.
    model["merges"] = list(model.get("merges") or []) + [list(m) for m in generate_merges(full) if "".join(m) in new]
    return tokenizer_json, adder.added
