"""The trainers behind :func:`backend.tokenizer.train.train` and the sentencepiece -> ``tokenizers`` conversion.

``hf_from_sentencepiece`` builds the fast tokenizer straight from the model proto (vocab, merges from
the piece order as transformers' own converter does, the proto's precompiled normaliser, a Metaspace
pre-tokenizer that adds the dummy prefix only at the start of the text, so text after an added token
gets no stray "▁"). sentencepiece is trained with ``remove_extra_whitespaces=False``: the HF tokenizer
keeps every space, and both then split text identically (tested).
"""

from __future__ import annotations

import io
import re

from backend.tokenizer.errors import TokenizerError

SP_CONTROL = {"unk": "<unk>", "bos": "<s>", "eos": "</s>", "pad": "<pad>"}
BYTE_SPECIALS = ["<|endoftext|>", "<|pad|>"]


def sp_model_pb2():
    """sentencepiece's ModelProto module (shipped with sentencepiece 0.2, needs protobuf)."""
    from sentencepiece import sentencepiece_model_pb2

    return sentencepiece_model_pb2


def train_sentencepiece(texts: list[str], model_type: str, vocab_size: int, character_coverage: float,
                        byte_fallback: bool, split_digits: bool, normalization: str, specials: list[str]):  # fmt: skip
    """Train sentencepiece in memory; the ModelProto. Raises TokenizerError for a vocabulary too small."""
    import sentencepiece as spm

    buffer = io.BytesIO()
    try:
        spm.SentencePieceTrainer.train(
            sentence_iterator=iter(texts),
            model_writer=buffer,
            model_type=model_type,
            vocab_size=vocab_size,
            character_coverage=character_coverage,
            byte_fallback=byte_fallback,
            split_digits=split_digits,
            normalization_rule_name=normalization,
            remove_extra_whitespaces=False,
            user_defined_symbols=specials,
            unk_id=0,
            bos_id=1,
            eos_id=2,
            pad_id=3,  # fmt: skip
            max_sentence_length=1 << 16,
            hard_vocab_limit=False,  # a small corpus gives a smaller vocabulary instead of failing
            num_threads=2,
            minloglevel=2,
        )
    except RuntimeError as exc:
        message = str(exc)
        if "required_chars" in message or "smaller than" in message:
            need = re.search(r"(\d+) vs (\d+)", message)
            alphabet = f"the {need.group(2)} characters and control pieces" if need else "the alphabet"
            raise TokenizerError(
                f"vocab_size {vocab_size} is smaller than the alphabet: the corpus needs {alphabet} at "
                f"character_coverage {character_coverage}; raise vocab_size or lower character_coverage"
            ) from None
        raise TokenizerError(f"sentencepiece training failed: {message.strip()}") from None
    proto = sp_model_pb2().ModelProto()
    proto.ParseFromString(buffer.getvalue())
    return proto


def hf_from_sentencepiece(proto, specials: list[str] | None = None):
    """A ``PreTrainedTokenizerFast`` equivalent to the sentencepiece ``proto`` (BPE or unigram)."""
    from tokenizers import AddedToken, Tokenizer, decoders, models, normalizers, pre_tokenizers
    from transformers import PreTrainedTokenizerFast
    from transformers.tokenization_utils_base import generate_merges

    spec = proto.trainer_spec
    pieces = [(p.piece, p.score) for p in proto.pieces]
    unk = spec.unk_piece or SP_CONTROL["unk"]
    if spec.model_type == 1:  # UNIGRAM
        model = models.Unigram(pieces, unk_id=spec.unk_id, byte_fallback=spec.byte_fallback)
    else:
        vocab = {piece: i for i, (piece, _) in enumerate(pieces)}
        model = models.BPE(vocab, generate_merges(vocab), unk_token=unk, fuse_unk=True,
                           byte_fallback=spec.byte_fallback)  # fmt: skip
    tok = Tokenizer(model)
    charsmap = proto.normalizer_spec.precompiled_charsmap
    if charsmap:
        tok.normalizer = normalizers.Precompiled(charsmap)
    prefix = proto.normalizer_spec.add_dummy_prefix
    tok.pre_tokenizer = pre_tokenizers.Metaspace("▁", prepend_scheme="first" if prefix else "never", split=False)
    steps = [decoders.Replace("▁", " "), decoders.ByteFallback(), decoders.Fuse()]
    tok.decoder = decoders.Sequence(steps + ([decoders.Strip(" ", 1, 0)] if prefix else []))
    ids = {p.piece: i for i, p in enumerate(proto.pieces)}
    control = [p.piece for p in proto.pieces if p.type in (2, 3)]  # UNKNOWN, CONTROL
    user = [p.piece for p in proto.pieces if p.type == 4]
    tok.add_special_tokens([AddedToken(t, normalized=False, special=True) for t in control + user])
    named = {k: (spec_piece if ids.get(spec_piece) is not None else None)
             for k, spec_piece in (("bos", spec.bos_piece or "<s>"), ("eos", spec.eos_piece or "</s>"),
                                   ("pad", spec.pad_piece or "<pad>"), ("unk", unk))}  # fmt: skip
    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        bos_token=named["bos"],
        eos_token=named["eos"],
        pad_token=named["pad"],
        unk_token=named["unk"],
        additional_special_tokens=[t for t in (specials or user) if t in ids],
        clean_up_tokenization_spaces=False,
    )


def train_byte_bpe(texts: list[str], vocab_size: int, specials: list[str], split_digits: bool, normalization: str):
    """A ``tokenizers`` byte-level BPE (GPT-2/Qwen style) as a ``PreTrainedTokenizerFast``."""
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    all_specials = list(dict.fromkeys(BYTE_SPECIALS + specials))
    floor = 256 + len(all_specials)
    if vocab_size < floor:
        raise TokenizerError(
            f"vocab_size {vocab_size} is smaller than the byte alphabet (256) plus {len(all_specials)} special "
            f"tokens; use at least {floor}"
        )
    if normalization not in ("identity", "nfc", "nfkc"):
        raise TokenizerError(f"normalization: byte-bpe supports identity, nfc or nfkc (got {normalization})")
    tok = Tokenizer(models.BPE())
    if normalization != "identity":
        tok.normalizer = normalizers.NFC() if normalization == "nfc" else normalizers.NFKC()
    steps = [pre_tokenizers.Digits(individual_digits=True)] if split_digits else []
    tok.pre_tokenizer = pre_tokenizers.Sequence(steps + [pre_tokenizers.ByteLevel(add_prefix_space=False)])
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        min_frequency=2,
        special_tokens=all_specials,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(texts, trainer)
    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        eos_token=BYTE_SPECIALS[0],
        pad_token=BYTE_SPECIALS[1],
        additional_special_tokens=specials,
        clean_up_tokenization_spaces=False,
    )
