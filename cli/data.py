"""``studio data ...``: inspect, shard, preview and clean datasets from a terminal.

    studio data inspect PATH [--format F] [--tokenizer DIR|builtin:tiny-tokenizer] [--max-errors N] [--json]
    studio data shard SRC... --out DIR --shard-size N [--tokenizer T] [--level L] [--threads K]
    studio data preview PATH [--template T] [--tokenizer T] [--n 3] [--pack] [--cutoff-len N] [--json]
    studio data clean SRC... --out OUT.jsonl[.zst] [--dropped D.jsonl] [--min-chars N] [--near-dup-threshold 0.85]
                      [--no-near-dup] [--num-perm 128] [--shingle 5] [--max-symbol-ratio 0.5] [--max-repeat-ratio 0.3]

PATH may be ``builtin:samples/<file>`` (a shipped sample). Exit status: inspect returns 1 when bad
records were found or the source holds no usable record, shard and clean when any were skipped.
``--json`` (inspect, preview) prints one JSON document for programs such as the studio's Data tab.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from backend.data.formats import ALL_FORMATS
from cli.errors import one_line_errors


def _tokenizer(name: str | None, home):
    """A tokenizer from a folder, or the builtin tiny one (built on first use)."""
    if not name:
        return None
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    from transformers import AutoTokenizer

    if name.startswith("builtin:"):
        from backend.builtin import ensure_tiny_tokenizer
        from backend.workspace import workspace_home

        return AutoTokenizer.from_pretrained(ensure_tiny_tokenizer(workspace_home(home)))
    return AutoTokenizer.from_pretrained(name)


def _source(path: Path) -> Path:
    """A PATH argument as a local path (``builtin:samples/x`` -> the shipped sample)."""
    from backend.workspace import is_builtin, resolve_data_path

    return resolve_data_path(str(path)) if is_builtin(str(path)) else path


def cmd_inspect(args) -> int:
    from backend.data.validate import inspect_source

    tok = _tokenizer(args.tokenizer, args.home)
    report = inspect_source(
        _source(args.path),
        args.format,
        tok,
        args.template,
        max_errors=args.max_errors,
        max_line_bytes=args.max_line_bytes,
    )
    print(json.dumps(report.to_dict(), ensure_ascii=False, indent=2) if args.json else report.render())
    return 1 if report.bad or not report.records else 0  # bad records, or nothing usable at all


def cmd_shard(args) -> int:
    from tqdm import tqdm

    from backend.data.shard import shard

    tok = _tokenizer(args.tokenizer, args.home)
    with tqdm(unit=" rec", unit_scale=True, dynamic_ncols=True, file=sys.stderr) as bar:
        manifest = shard(args.sources, args.out, args.shard_size, args.format, tok, args.template, args.level,
                         args.threads, progress=bar.update)  # fmt: skip
    for line in manifest["skipped_records"]:
        print(line, file=sys.stderr)
    t = manifest["totals"]
    ratio = t["bytes_raw"] / t["bytes_compressed"] if t["bytes_compressed"] else 0
    tokens = f", {t['tokens']} tokens" if "tokens" in t else ""
    print(
        f"{t['records']} records in {t['shards']} shards under {args.out}{tokens}; "
        f"{t['bytes_raw']:,} -> {t['bytes_compressed']:,} bytes ({ratio:.2f}x); {t['skipped']} skipped"
    )
    return 1 if t["skipped"] else 0


def cmd_preview(args) -> int:
    from backend.data.preview import _tokens, encode_samples, pack_rows, render_ansi

    tok = _tokenizer(args.tokenizer or "builtin:tiny-tokenizer", args.home)
    samples = encode_samples(_source(args.path), tok, args.template, args.n, args.format, args.cutoff_len)
    rows = pack_rows(samples, args.cutoff_len) if args.pack else samples
    findings = template_findings(args, tok)
    if args.json:
        print(json.dumps(preview_json(args, tok, samples, rows, findings), ensure_ascii=False))
        return 0
    for level, message in findings:
        print(f"template check [{level}] {message}")
    colour = sys.stdout.isatty() if args.color == "auto" else args.color == "always"
    for i, row in enumerate(rows):
        title = f"packed row {i + 1}" if args.pack else f"sample {i + 1}"
        print(f"=== {title} ===")
        print(render_ansi(_tokens(tok, row["input_ids"], row["labels"]), row.get("position_ids"), colour))
    return 0


def template_findings(args, tok) -> list[tuple[str, str]]:
    """The template check (:mod:`backend.data.template_check`) on the first chat records of the previewed file."""
    from backend.data.preview import sample_conversations
    from backend.data.template_check import check_template, stop_token_ids
    from backend.data.templates import resolve_template

    conversations = sample_conversations(_source(args.path), args.format)
    if not conversations:
        return []
    folder = getattr(tok, "name_or_path", None)
    jinja = resolve_template(tok, args.template)
    return check_template(tok, jinja, args.template, conversations, stop_token_ids(folder, tok))


def preview_json(args, tok, samples: list[dict], rows: list[dict], findings=()) -> dict:
    """The preview as data: per sample (or packed row) its tokens ``{"text", "id", "loss"}``, the token
    indexes where a packed sample starts (``starts``), and token / loss-token counts, plus totals."""
    from backend.data.preview import _tokens, merged_pieces

    out = []
    for i, row in enumerate(rows):
        tokens = _tokens(tok, row["input_ids"], row["labels"])
        positions = row.get("position_ids")
        starts = [j for j, p in enumerate(positions) if p == 0] if positions is not None else [0]
        title = f"packed row {i + 1}" if args.pack else f"sample {i + 1}"
        listed = [{"text": text, "id": tid, "loss": loss} for text, tid, loss in tokens]
        # Byte pieces of one character: the first carries the character and the run length, the rest "cont".
        for start, (count, text) in merged_pieces(tok, [t[1] for t in tokens], [t[0] for t in tokens]).items():
            listed[start] |= {"text": text, "pieces": count}
            for k in range(start + 1, start + count):
                listed[k]["cont"] = True
        trained = sum(1 for t in tokens if t[2])
        entry = {"title": title, "tokens": listed, "starts": starts, "n_tokens": len(tokens), "loss_tokens": trained}
        if not args.pack and "side" in row:
            entry |= {"pair": row["pair"], "side": row["side"], "title": f"pair {row['pair']} · {row['side']}"}
        out.append(entry)
    return {
        "path": str(args.path),
        "format": args.format,
        "template": args.template,
        "cutoff_len": args.cutoff_len,
        "pack": args.pack,
        "samples": len(samples),
        "rows": out,
        "n_tokens": sum(r["n_tokens"] for r in out),
        "loss_tokens": sum(r["loss_tokens"] for r in out),
        "template_check": [{"level": level, "message": message} for level, message in findings],
    }


def cmd_clean(args) -> int:
    from tqdm import tqdm

    from backend.data.clean import clean, render

    with tqdm(unit=" rec", unit_scale=True, dynamic_ncols=True, file=sys.stderr) as bar:
        report = clean(args.sources, args.out, args.dropped, args.format, args.min_chars, args.near_dup_threshold,
                       not args.no_near_dup, args.num_perm, args.shingle, args.max_symbol_ratio,
                       args.max_repeat_ratio, progress=bar.update)  # fmt: skip
    for line in report["bad_records"]:
        print(line, file=sys.stderr)
    print(render(report))
    return 1 if report["bad"] else 0


def add_parser(sub) -> None:
    """Add the ``data`` command group to the ``studio`` sub-parsers."""
    data = sub.add_parser("data", help="inspect, shard, preview and clean datasets")
    cmds = data.add_subparsers(dest="data_command", required=True)

    def common(p, template: bool = True):
        p.add_argument("--format", default="auto", choices=("auto", *ALL_FORMATS), help="record format")
        p.add_argument("--tokenizer", help="tokenizer folder or builtin:tiny-tokenizer (token counts)")
        if template:
            p.add_argument(
                "--template",
                default="auto",
                help="chat template: auto, a named one or a .jinja file (see data.template)",
            )

    p = cmds.add_parser("inspect", help="format, counts, length statistics and every bad record")
    p.add_argument("path", type=Path)
    common(p)
    p.add_argument("--max-errors", type=int, default=50, help="list at most this many bad records")
    p.add_argument("--max-line-bytes", type=int, default=10 * 1024 * 1024, help="longer lines are reported")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=one_line_errors(cmd_inspect))

    p = cmds.add_parser("shard", help="validate, shard and zstd-compress into part-NNNNN.jsonl.zst + manifest.json")
    p.add_argument("sources", nargs="+", type=Path)
    p.add_argument("--out", required=True, type=Path)
    p.add_argument("--shard-size", type=int, required=True, help="records per shard")
    common(p)
    p.add_argument("--level", type=int, default=3, help="zstd level (1-22)")
    p.add_argument("--threads", type=int, default=-1, help="zstd worker threads (-1: one per core, 0: none)")
    p.set_defaults(func=one_line_errors(cmd_shard))

    p = cmds.add_parser("preview", help="show tokens and which carry loss (green) or are masked (dim)")
    p.add_argument("path", type=Path)
    common(p)
    p.add_argument("--n", type=int, default=3, help="records to show")
    p.add_argument("--pack", action="store_true", help="show packed rows with sample boundaries (│)")
    p.add_argument("--cutoff-len", type=int, default=1024, help="tokens per sample / row")
    p.add_argument("--color", choices=("auto", "always", "never"), default="auto")
    p.add_argument("--json", action="store_true", help="print tokens (text, id, loss) per sample/row as JSON")
    p.set_defaults(func=one_line_errors(cmd_preview))

    p = cmds.add_parser("clean", help="drop exact/near duplicates, too-short, symbol-junk and repetitive records")
    p.add_argument("sources", nargs="+", type=Path)
    p.add_argument("--out", required=True, type=Path, help="kept records, JSONL (zstd when it ends .zst)")
    p.add_argument("--dropped", type=Path, help="write dropped records with reason and source here (JSONL)")
    p.add_argument("--format", default="auto", choices=("auto", *ALL_FORMATS), help="record format")
    p.add_argument("--min-chars", type=int, default=20, help="drop texts shorter than this (normalised characters)")
    p.add_argument("--near-dup-threshold", type=float, default=0.85, help="MinHash Jaccard similarity threshold")
    p.add_argument("--no-near-dup", action="store_true", help="skip near-duplicate detection (exact only)")
    p.add_argument("--num-perm", type=int, default=128, help="MinHash permutations")
    p.add_argument("--shingle", type=int, default=5, help="character n-gram size of the MinHash shingles")
    p.add_argument("--max-symbol-ratio", type=float, default=0.5, help="max share of non-letter/digit characters")
    p.add_argument("--max-repeat-ratio", type=float, default=0.3, help="max share of repeated lines / top 10-gram")
    p.set_defaults(func=one_line_errors(cmd_clean))
