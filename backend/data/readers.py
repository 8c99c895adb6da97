"""Local dataset readers on top of ``datasets`` (no hub access).

A source is a file or a folder of files: ``.jsonl``, ``.json`` (an array or JSON lines),
``.jsonl.zst`` (zstd, read directly by ``datasets``), ``.parquet``, ``.csv`` or ``.txt`` (a line per
record).
"""

from __future__ import annotations

from pathlib import Path

from backend.data.formats import DataError

BUILDERS = {
    ".jsonl": "json",
    ".json": "json",
    ".jsonl.zst": "json",
    ".json.zst": "json",
    ".parquet": "parquet",
    ".csv": "csv",
    ".txt": "text",
}


def _suffix(path: Path) -> str | None:
    name = path.name.lower()
    return next((s for s in sorted(BUILDERS, key=len, reverse=True) if name.endswith(s)), None)


def data_files(path: Path) -> tuple[str, list[str]]:
    """The ``datasets`` builder and the file list of a source path."""
    if not path.exists():
        raise DataError(f"{path}: no such file or folder")
    files = sorted(p for p in path.rglob("*") if p.is_file() and _suffix(p)) if path.is_dir() else [path]
    if not files:
        raise DataError(f"{path}: the folder holds no {', '.join(BUILDERS)} files")
    builders = {BUILDERS[_suffix(f)] for f in files if _suffix(f)}
    if path.is_file() and not _suffix(path):
        raise DataError(f"{path}: unsupported file type; expected one of {', '.join(BUILDERS)}")
    if len(builders) > 1:
        raise DataError(f"{path}: mixes file types ({', '.join(sorted(builders))}); put each type in its own source")
    return builders.pop(), [str(f) for f in files]


def load_source(path: str | Path, max_samples: int | None = None, streaming: bool = False):
    """Load one source as a ``datasets.Dataset`` (or ``IterableDataset`` when streaming)."""
    import datasets

    path = Path(path)
    builder, files = data_files(path)
    datasets.disable_progress_bars()
    try:
        ds = datasets.load_dataset(builder, data_files=files, split="train", streaming=streaming)
    except Exception as exc:  # datasets wraps parse errors in several exception types
        cause = exc.__cause__ or exc
        raise DataError(f"{path}: could not be read as {builder}: {cause}") from None
    if max_samples is not None:
        ds = ds.take(max_samples) if streaming else ds.select(range(min(max_samples, len(ds))))
    return ds
