"""Sharding + zstd compression: the studio's sharder vs the naive per-line round trip.

The naive baseline is the LLMsTrainer ``compress_data.py`` pattern: read text lines, ``json.loads``
each, ``json.dumps`` it back, write it to a single-threaded ``zstandard.open(..., "wb")`` stream and
start a new shard every N lines. The studio's sharder (``backend.data.shard.shard``) validates every
record (JSON with orjson, format, fields, role order) but writes the original bytes, with zstd's
worker threads compressing beside the validation. Same generated input, same process, alternating
rounds; best round of each.

Two reference rows bound what any sharder can reach on this machine: zstd alone compressing the
studio's output bytes (one frame per shard, the same level, one worker thread per core), and reading
the input plus parsing every line with orjson, with no format check and no compression. A sharder
that validates and compresses cannot beat either one, nor their summed CPU time spread over the cores.

    python bench/shard_compress.py [--mb 64] [--rounds 3] [--write]

``--write`` replaces the sharding section of BENCHMARKS.md (or appends it).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from backend.data.shard import shard  # noqa: E402
from bench.benchmarks_md import machine_line, replace_section  # noqa: E402

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


class _Clock:
    """Wall and CPU seconds (all threads of the process: zstd's workers count) of a ``with`` block."""

    def __enter__(self):
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc):
        self.wall, self.cpu = time.perf_counter() - self.wall, time.process_time() - self.cpu


def compress_only(src: Path, shard_size: int, level: int = 3) -> _Clock:
    """zstd alone compressing the shards' bytes (one frame per shard, one worker thread per core)."""
    import zstandard

    lines = src.read_bytes().split(b"\n")
    shards = [b"\n".join(lines[i : i + shard_size]) + b"\n" for i in range(0, len(lines) - 1, shard_size)]
    compressor = zstandard.ZstdCompressor(level=level, threads=-1)
    with _Clock() as clock:
        for data in shards:
            compressor.compress(data)
    return clock


def parse_only(src: Path) -> _Clock:
    """Reading the input, splitting it into lines and parsing each with orjson (no checks, no output)."""
    import orjson

    with _Clock() as clock:
        for line in src.read_bytes().split(b"\n"):
            if line:
                orjson.loads(line)
    return clock


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=int, default=64, help="size of the generated input")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--shard-size", type=int, default=10_000)
    ap.add_argument("--write", action="store_true", help="update the sharding section of BENCHMARKS.md")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="shard-bench-"))
    try:
        src = tmp / "input.jsonl"
        records = generate(src, args.mb)
        size = src.stat().st_size
        load_start = os.getloadavg()[0]
        best, cpu, out_bytes = dict.fromkeys(SETUPS, float("inf")), dict.fromkeys(SETUPS, float("inf")), {}
        for r in range(args.rounds):
            for name in SETUPS if r % 2 == 0 else SETUPS[::-1]:
                out = tmp / f"out-{name}"
                shutil.rmtree(out, ignore_errors=True)
                clock = _run(name, src, out, args.shard_size)
                best[name], cpu[name] = min(best[name], clock.wall), min(cpu[name], clock.cpu)
                if out.exists():
                    out_bytes[name] = sum(p.stat().st_size for p in out.glob("*.zst"))
        load = f"{load_start:.2f} at the start, {os.getloadavg()[0]:.2f} at the end"
        table, summary = _table(best, cpu, out_bytes, size, records)
        print(table + "\n" + summary + f"; load average {load}")
        if args.write:
            _write(args, table, summary, load)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


def _run(name: str, src: Path, out: Path, shard_size: int) -> _Clock:
    """Time one setup (the reference rows time only their own work, not the reading of their input)."""
    if name == "zstd alone":
        return compress_only(src, shard_size)
    if name == "read + parse alone":
        return parse_only(src)
    with _Clock() as clock:
        if name == "naive":
            naive(src, out, shard_size)
        else:
            shard([src], out, shard_size)
    return clock


SETUPS = ("naive", "studio", "zstd alone", "read + parse alone")
_LABELS = {
    "naive": "naive: json.loads + json.dumps per line, single-threaded `zstd.open`",
    "studio": "studio `shard()`: validate every record, original bytes, zstd worker threads",
    "zstd alone": "reference: zstd alone on the studio's output bytes (one worker per core)",
    "read + parse alone": "reference: read + split + orjson parse, no checks, no output",
}


def _table(best: dict, cpu: dict, out_bytes: dict, size: int, records: int) -> tuple[str, str]:
    rows = ["| setup | best wall s | CPU s | MB/s | output MB | naive wall / this |", "|---|---:|---:|---:|---:|---:|"]
    for name in SETUPS:
        out = f"{out_bytes[name] / 1e6:.1f}" if name in out_bytes else "-"
        rows.append(f"| {_LABELS[name]} | {best[name]:.3f} | {cpu[name]:.3f} | {size / 1e6 / best[name]:.1f} | "
                    f"{out} | {best['naive'] / best[name]:.2f}x |")  # fmt: skip
    cores = os.cpu_count() or 1
    floor = max(best["zstd alone"], best["read + parse alone"], (cpu["zstd alone"] + cpu["read + parse alone"]) / cores)
    ratio, ceiling = best["naive"] / best["studio"], best["naive"] / floor
    summary = (
        f"{records} records, {size / 1e6:.1f} MB input; studio / naive throughput: **{ratio:.2f}x**. "
        f"Ceiling on {cores} cores: zstd alone plus read + parse alone, their CPU spread over every core "
        f"({floor:.3f} s), is {ceiling:.2f}x the naive time; target >= 5x: "
        + ("**met**" if ratio >= 5 else "**not met**" + (", and out of reach on this machine" if ceiling < 5 else ""))
    )
    return "\n".join(rows), summary


_WHY = """\
Why 5x is out of reach on this machine (profiled 2026-11-22 on the 64 MB input, quiet machine):
- The naive side costs about 0.5 s: json.loads ~0.13 s, json.dumps ~0.14 s, single-threaded zstd
  ~0.21 s on its `\\uXXXX`-escaped ASCII output (which zstd compresses faster than the raw UTF-8
  Chinese text the studio keeps, though to a bigger file).
- 5x means the studio finishing in about 0.1 s. zstd alone, at the same level on the studio's
  output, needs 0.25-0.33 CPU-s, so at least 0.13-0.17 s on 2 cores even if validation were free.
- The studio's Python side (cProfile of `shard()` with compression stubbed out) is about 0.14 s in
  one thread: orjson parse ~0.05, reading and line splitting ~0.05, the per-record generator chain,
  format checks and Item objects the rest. That alone is above 0.1 s, so 5x would also need the
  validation split across processes, on a machine with cores to spare for it and for zstd.
- Tried and not kept: zstd job sizes of 1-8 MiB, 1 or 2 zstd worker threads and 1-4 MiB writes
  (within the noise, 0.26-0.28 s); a leaner per-line loop without the generator chain (about
  0.02 CPU-s, under 10% of the studio's CPU time). Under load the studio loses most of its lead,
  because its zstd workers need the second core.
"""


def _write(args, table: str, summary: str, load) -> None:
    import zstandard

    replace_section(
        "## Sharding and zstd compression",
        f"## Sharding and zstd compression ({time.strftime('%Y-%m-%d')})\n\n"
        f"{machine_line()}, zstandard {zstandard.__version__}; 1-minute load average {load}; "
        "the machine is shared with other work, so compare the ratios.\n"
        f'Input: generated pretraining JSON lines (`{{"text", "id"}}`, half zh, half en), level 3, '
        f"{args.shard_size} records per shard, best of {args.rounds} alternating rounds.\n"
        f"Command: `python bench/shard_compress.py --mb {args.mb} --rounds {args.rounds} --write`\n\n"
        f"{table}\n\n{summary}. The naive setup is LLMsTrainer's compress_data.py pattern (json.loads + "
        "json.dumps per line, single-threaded zstd.open at zstd's default level 3); the studio validates every "
        "record (JSON, format, fields) but passes the original bytes through and compresses in zstd worker "
        "threads. CPU s counts every thread of the process.\n\n" + _WHY,
    )


if __name__ == "__main__":
    sys.exit(main())
