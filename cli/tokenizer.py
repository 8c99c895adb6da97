"""``studio tokenizer train|extend|compare``: the tokenizer studio from a terminal.

    studio tokenizer train SRC... --out DIR [--kind sp-bpe|sp-unigram|byte-bpe] [--vocab-size 10000]
                           [--character-coverage 0.9995] [--no-byte-fallback] [--no-split-digits]
                           [--normalization identity|nfkc|...] [--special-token T ...] [--chat-tokens]
    studio tokenizer extend --base MODEL_OR_TOKENIZER --out DIR [--from TOKENIZER] [--words FILE]
                            [--special-token T ...] [--max-new N]
    studio tokenizer compare TOKENIZER... [--source SRC ...] [--sentence TEXT] [--json]

Bad input (empty corpus, a vocabulary smaller than the alphabet, a folder without a tokenizer) prints
one ``error:`` line and exits 2. Run as ``python -m cli ...`` too.
"""

from __future__ import annotations

import json
from pathlib import Path

from backend.tokenizer.train import KINDS, NORMALISATIONS
from cli.errors import one_line_errors


def cmd_train(args) -> int:
    from backend.tokenizer.train import train
    from backend.workspace import workspace_home

    report = train(args.sources, args.out, args.kind, args.vocab_size, args.character_coverage,
                   not args.no_byte_fallback, not args.no_split_digits, args.normalization, args.special_token,
                   args.chat_tokens, args.format, args.max_records, args.max_chars,
                   home=workspace_home(args.home))  # fmt: skip
    if args.json:
        print(json.dumps(report, ensure_ascii=False))
    else:
        corpus = report["corpus"]
        print(f"{report['kind']} tokenizer with {report['vocab_size']} tokens saved to {report['out']} "
              f"({corpus['records']} records, {corpus['chars']:,} characters; round trip ok on "
              f"{report['roundtrip']['texts']} texts)")  # fmt: skip
    return 0


def cmd_extend(args) -> int:
    from backend.tokenizer.extend import extend

    words = None
    if args.words:
        words = [w for w in args.words.read_text(encoding="utf-8").splitlines() if w.strip()]
    report = extend(args.base, args.out, args.source, words, args.special_token, args.max_new, args.home)
    if args.json:
        print(json.dumps(report, ensure_ascii=False))
        return 0
    print(f"{report['old_size']} -> {report['new_size']} tokens ({report['added']} pieces, "
          f"{report['added_special']} special; {report['route']} merge), saved to {report['out']}")  # fmt: skip
    if report["model"]:
        rows = report["model"]["embedding_rows"]
        tied = "tied" if report["model"]["tied"] else "untied"
        print(f"model embeddings {rows[0]} -> {rows[1]} rows ({tied}), new rows = mean of their old sub-tokens")
        print("train them: method.lora.modules_to_save: [embed_tokens, lm_head] (or method: full)")
    return 0


def cmd_compare(args) -> int:
    from backend.tokenizer.compare import DEFAULT_SOURCES, compare, render_text

    sources = args.source or list(DEFAULT_SOURCES)
    kwargs = {"sentence": args.sentence} if args.sentence else {}
    result = compare(args.tokenizers, sources, fmt=args.format, max_records=args.max_records, home=args.home,
                     **kwargs)  # fmt: skip
    print(json.dumps(result, ensure_ascii=False) if args.json else render_text(result))
    return 0


def add_parser(sub) -> None:
    """Add the ``tokenizer`` command group to the ``studio`` sub-parsers."""
    group = sub.add_parser("tokenizer", help="train, extend (vocabulary + embeddings) and compare tokenizers")
    cmds = group.add_subparsers(dest="tokenizer_command", required=True)

    p = cmds.add_parser("train", help="train a sentencepiece or byte-level BPE tokenizer into a HF folder")
    p.add_argument("sources", nargs="+", help="text/jsonl/.jsonl.zst/... files or shard folders, builtin:samples/…")
    p.add_argument("--out", required=True, type=Path)
    p.add_argument("--kind", choices=KINDS, default="sp-bpe")
    p.add_argument("--vocab-size", type=int, default=10_000)
    p.add_argument("--character-coverage", type=float, default=0.9995, help="sentencepiece: share of characters kept")
    p.add_argument("--no-byte-fallback", action="store_true", help="sentencepiece: unknown characters become <unk>")
    p.add_argument("--no-split-digits", action="store_true", help="let numbers merge into multi-digit pieces")
    p.add_argument("--normalization", choices=NORMALISATIONS, default="identity",
                   help="nfkc also folds full-width Chinese punctuation to ASCII")  # fmt: skip
    p.add_argument("--special-token", action="append", help="a token never split, e.g. <|im_start|> (repeatable)")
    p.add_argument("--chat-tokens", action="store_true",
                   help="add <|system|> <|user|> <|assistant|> <|endofchat|> and a chat template")  # fmt: skip
    p.add_argument("--format", default="auto", help="record format of the sources (auto-detected)")
    p.add_argument("--max-records", type=int, help="read at most this many records")
    p.add_argument("--max-chars", type=int, default=50_000_000, help="stop after this many characters")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=one_line_errors(cmd_train))

    p = cmds.add_parser("extend", help="add new pieces to a base tokenizer and mean-initialise the embeddings")
    p.add_argument(
        "--base",
        required=True,
        help="base model or tokenizer folder, builtin:tiny-llama, or a hub id (hf:ORG/NAME, downloaded first)",
    )
    p.add_argument("--out", required=True, type=Path)
    p.add_argument("--from", dest="source", help="a trained tokenizer folder whose missing pieces are added")
    p.add_argument("--words", type=Path, help="a file with one word/piece per line to add")
    p.add_argument("--special-token", action="append", help="a special token to add (repeatable)")
    p.add_argument("--max-new", type=int, help="add at most this many pieces (the source's first ones)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=one_line_errors(cmd_extend))

    p = cmds.add_parser("compare", help="tokens per character (zh/en), length reduction, one sentence split")
    p.add_argument("tokenizers", nargs="+", help="tokenizer folders; the first is the 'before'")
    p.add_argument("--source", action="append", help="sample text (default builtin:samples/pretrain_zh_en.jsonl)")
    p.add_argument("--sentence", help="the sentence to show split by each tokenizer")
    p.add_argument("--format", default="auto")
    p.add_argument("--max-records", type=int, default=2000)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=one_line_errors(cmd_compare))
