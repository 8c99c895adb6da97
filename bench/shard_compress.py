"""Sharding + zstd compression: the studio's sharder vs the naive per-line round trip.

The naive baseline is the LLMsTrainer ``compress_data.py`` pattern: read text lines, ``json.loads``
each, ``json.dumps`` it back, write it to a single-threaded ``zstandard.open(..., "wb")`` stream and
start a new shard every N lines. The studio's sharder (``backend.data.shard.shard``) validates every
record (JSON with orjson, format, fields, role order) but writes the original bytes, with zstd's
worker threads compressing beside the validation. Same generated input, same process, alternating
rounds; best round of each.

    python bench/shard_compress.py [--mb 64] [--rounds 3] [--write]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from backend.data.shard import shard  # noqa: E402

_EN_WORDS = "the a model data token learns from every line of text that we feed it during training while loss falls"
EN = _EN_WORDS.split()
ZH = list("我们今天学习数据模型训练中文句子的方法和结果是一个很好的例子春夏秋冬山水城市图书馆")


def generate(path: Path, mb: int, seed: int = 0) -> int:
    """Pretraining-style JSON lines (``{"text"}``, half zh, half en, 0.3-4 KB each) up to ``mb`` MB."""
    rng, size, n = random.Random(seed), 0, 0
    with open(path, "w", encoding="utf-8") as fh:
        while size < mb * 1_000_000:
            if rng.random() < 0.5:
                text = " ".join(rng.choice(EN) for _ in range(rng.randint(60, 700)))
            else:
                text = "".join(rng.choice(ZH) for _ in range(rng.randint(100, 1300)))
            line = json.dumps({"text": text, "id": n}, ensure_ascii=False) + "\n"
            fh.write(line)
            size += len(line.encode("utf-8"))
            n += 1
    return n


def naive(src: Path, out: Path, shard_size: int) -> None:
    import zstandard as zstd

    out.mkdir(parents=True, exist_ok=True)
    total, file_num = 0, 0
    wfp = zstd.open(out / f"part-{file_num}.jsonl.zst", "wb", encoding="utf-8")
    with open(src, encoding="utf-8") as f:
        for line in f:
            record = json.loads(line)
            if total % shard_size == 0 and total > 0:
                file_num += 1
                wfp.close()
                wfp = zstd.open(out / f"part-{file_num}.jsonl.zst", "wb", encoding="utf-8")
            wfp.write(json.dumps(record).encode("utf-8"))
            wfp.write(b"\n")
            total += 1
    wfp.close()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=int, default=64, help="size of the generated input")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--shard-size", type=int, default=10_000)
    ap.add_argument("--write", action="store_true", help="append the result to BENCHMARKS.md")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="shard-bench-"))
    try:
        src = tmp / "input.jsonl"
        records = generate(src, args.mb)
        size = src.stat().st_size
        best = {"naive": float("inf"), "studio": float("inf")}
        out_bytes = {}
        for r in range(args.rounds):
            for name in ("naive", "studio") if r % 2 == 0 else ("studio", "naive"):
                out = tmp / f"out-{name}"
                shutil.rmtree(out, ignore_errors=True)
                t = time.perf_counter()
                if name == "naive":
                    naive(src, out, args.shard_size)
                else:
                    shard([src], out, args.shard_size)
                best[name] = min(best[name], time.perf_counter() - t)
                out_bytes[name] = sum(p.stat().st_size for p in out.glob("*.zst"))
        ratio = best["naive"] / best["studio"]
        rows = [
            f"| {name} | {best[name]:.2f} | {size / 1e6 / best[name]:.1f} | {out_bytes[name] / 1e6:.1f} |"
            for name in ("naive", "studio")
        ]
        table = "\n".join(["| setup | best time s | MB/s | output MB |", "|---|---:|---:|---:|", *rows])
        summary = f"{records} records, {size / 1e6:.1f} MB input; studio / naive throughput: {ratio:.2f}x"
        print(table + "\n" + summary)
        if args.write:
            _append(args, table, summary)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


def _append(args, table: str, summary: str) -> None:
    import zstandard

    machine = f"{platform.machine()}, {os.cpu_count()} CPU cores, Python {platform.python_version()}"
    text = (
        f"\n## Sharding and zstd compression ({time.strftime('%Y-%m-%d')})\n\n"
        f"Machine: {machine}, zstandard {zstandard.__version__}; shared with other work, so compare the ratio.\n"
        f'Input: generated pretraining JSON lines (`{{"text", "id"}}`, half zh, half en), level 3, '
        f"{args.shard_size} records per shard, best of {args.rounds} alternating rounds.\n"
        f"Command: `python bench/shard_compress.py --mb {args.mb} --rounds {args.rounds} --write`\n\n"
        f"{table}\n\n{summary}. The naive setup is LLMsTrainer's compress_data.py pattern (json.loads + json.dumps "
        "per line, single-threaded zstd.open); the studio validates every record but passes the original "
        "bytes through and compresses in zstd worker threads.\n"
    )
    with open(Path(__file__).resolve().parents[1] / "BENCHMARKS.md", "a", encoding="utf-8") as fh:
        fh.write(text)


if __name__ == "__main__":
    sys.exit(main())
