"""Peak RSS of exporting a merged LoRA adapter at real size: the streaming merge vs the in-memory one.

Each export runs in a fresh child process that reports its own VmHWM (``backend.memory.peak_rss_mb``).

    python bench/export_peak.py ADAPTER_DIR BASE_DIR [--dtype auto] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = """
import json, sys
from backend.export.run import export
from backend.memory import peak_rss_mb
r = export(sys.argv[1], sys.argv[2], base=sys.argv[3], dtype=sys.argv[4], streaming=sys.argv[5] == "1")
print(json.dumps({"peak_rss_mb": peak_rss_mb(), "dtype": r.dtype, "notes": r.notes}))
"""


def export_peak(adapter: Path, base: Path, out: Path, dtype: str = "auto", streaming: bool = True) -> dict:
    """Export in a child process; its peak RSS (MiB), the export dtype and notes, and the seconds it took."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    start, load = time.time(), os.getloadavg()[0]
    cmd = [sys.executable, "-c", CHILD, str(adapter), str(out), str(base), dtype, "1" if streaming else "0"]
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=3600)
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-3000:])
    row = json.loads(proc.stdout.strip().splitlines()[-1])
    return {**row, "seconds": time.time() - start, "load": load, "streaming": streaming}


def weights_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.glob("*.safetensors"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("adapter", type=Path)
    parser.add_argument("base", type=Path)
    parser.add_argument("--dtype", default="auto")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    size = weights_bytes(args.base) / 2**20
    rows = []
    for streaming in (False, True):
        with tempfile.TemporaryDirectory(prefix="export-peak-") as tmp:
            row = export_peak(args.adapter, args.base, Path(tmp) / "out", args.dtype, streaming)
        row.update(base=str(args.base), model_mb=size, ratio=row["peak_rss_mb"] / size)
        print(json.dumps(row), flush=True)
        rows.append(row)
        if args.json:
            with open(args.json, "a", encoding="utf-8") as fh:
                fh.write(json.dumps(row) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
