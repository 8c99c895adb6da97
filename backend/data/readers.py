"""Which local files are datasets, and how each kind is read.

A source is a file or a folder of files: ``.jsonl``, ``.json`` (an array or JSON lines),
``.jsonl.zst`` (zstd), ``.parquet``, ``.csv`` or ``.txt`` (a line per record). ``BUILDERS`` maps each
suffix to its ``datasets`` builder name; ``backend.data.stream`` reads them record by record.
"""

from __future__ import annotations

from pathlib import Path

BUILDERS = {
    ".jsonl": "json",
    ".json": "json",
    ".jsonl.zst": "json",
    ".json.zst": "json",
    ".parquet": "parquet",
    ".csv": "csv",
    ".txt": "text",
}


def dataset_suffix(path: Path) -> str | None:
    """The dataset suffix of ``path`` (longest match, so ``.jsonl.zst`` beats ``.zst``), or None."""
    name = path.name.lower()
    return next((s for s in sorted(BUILDERS, key=len, reverse=True) if name.endswith(s)), None)
