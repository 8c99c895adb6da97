"""Sizes of data sources for the data-mix viewer: records, raw and compressed bytes, and tokens.

``scan_directory`` lists the sources of a data folder (its files, and sub-folders such as a ``studio data
shard`` output); ``sources_of_registry`` those of the workspace's dataset registry. ``measure`` sizes one:
records and bytes from the shard ``manifest.json`` when there is one (else a counting pass, reading .zst
through zstandard), tokens exactly from the manifest when ``studio data shard`` counted them, else
tokenised from the first ``SAMPLE_RECORDS`` records and marked as estimated (exact when the sample is
every record). Tokenisers load with the ``tokenizers`` library from a ``tokenizer.json``: no torch, no
transformers, so the Streamlit viewer can import this at start-up.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path

from backend.data import registry
from backend.data.formats import DataError
from backend.data.mix import MixError, SourceSize
from backend.data.readers import dataset_suffix
from backend.data.shard import MANIFEST
from backend.data.stream import source_files
from backend.data.validate import iter_valid_records, record_texts
from backend.workspace import resolve_data_path

SAMPLE_RECORDS = 256  # records tokenised per source when no manifest counted its tokens
_CHATML = "<|im_start|>{}\n{}<|im_end|>\n"  # the builtin tokenizer's template: chat tokens as trained


@dataclass
class Source:
    """One source as the viewer lists it. ``origin`` says where ``tokens`` came from."""

    name: str
    path: str = ""
    format: str = "auto"
    records: int = 0
    bytes_raw: int | None = None
    bytes_compressed: int | None = None
    tokens: float = 0.0
    origin: str = "manual"  # manifest | counted | estimated | rough | manual
    skipped: int = 0
    detected: str = ""  # the format found in the first record (shown; the policy keeps ``format``)

    @property
    def estimated(self) -> bool:
        return self.origin in ("estimated", "rough")

    def size(self) -> SourceSize:
        return SourceSize(self.name, self.tokens, self.records, self.estimated)

    def to_dict(self) -> dict:
        return asdict(self)


# ------------------------------------------------------------------------------------- tokens


def token_counter(choice: str, home: Path):
    """(count(texts) -> tokens, exact?) for a tokenizer choice: 'builtin', 'rough' or a tokenizer folder/file.

    'builtin' is the workspace's tiny tokenizer once built; 'rough' (and a missing builtin) counts one token
    per CJK character and one per four other characters, an order-of-magnitude guess.
    """
    file = None
    if choice == "builtin":
        file = Path(home) / "models" / "tiny-tokenizer" / "tokenizer.json"
    elif choice and choice != "rough":
        file = Path(choice).expanduser()
        file = file / "tokenizer.json" if file.is_dir() else file
        if not file.is_file():
            raise MixError(f"tokenizer: no tokenizer.json at {file}")
    if file is not None and file.is_file():
        from tokenizers import Tokenizer  # Rust tokenizers: no torch, no transformers

        tok = Tokenizer.from_file(str(file))
        return (lambda texts: sum(len(e.ids) for e in tok.encode_batch(texts, add_special_tokens=False))), True
    return (lambda texts: sum(_rough(t) for t in texts)), False


def _rough(text: str) -> int:
    wide = sum(1 for ch in text if ord(ch) > 0x2E7F)
    return wide + math.ceil((len(text) - wide) / 4)


def record_text(record: dict) -> str:
    """The text a normalised record trains on: chat turns in ChatML, else its strings joined."""
    if isinstance(record.get("text"), str):
        return record["text"]
    if isinstance(record.get("messages"), list):
        return "".join(_CHATML.format(m.get("role", ""), m.get("content", "")) for m in record["messages"])
    return "\n".join(record_texts(record))


# ------------------------------------------------------------------------------------ sources


def _manifest(path: Path) -> dict | None:
    file = path / MANIFEST if path.is_dir() else None
    if file is None or not file.exists():
        return None
    try:
        totals = json.loads(file.read_text(encoding="utf-8"))["totals"]
        return totals if isinstance(totals, dict) and "records" in totals else None
    except (OSError, ValueError, KeyError, TypeError):
        return None  # not a studio manifest: the source is measured like any folder


def _bytes(path: Path) -> tuple[int, int | None]:
    """(raw bytes, compressed bytes or None) of a source's files; .zst files are read to count raw bytes."""
    raw, packed = 0, None
    for file in source_files(path):
        if file.name.endswith(".zst"):
            import zstandard

            packed = (packed or 0) + file.stat().st_size
            with open(file, "rb") as fh, zstandard.ZstdDecompressor().stream_reader(fh) as reader:
                while chunk := reader.read(1 << 20):
                    raw += len(chunk)
        else:
            raw += file.stat().st_size
    return raw, packed


def measure(name: str, path: str, fmt: str, count, exact: bool, home: Path, columns=None) -> Source:
    """Size one source (``path`` as a JobSpec source path: a file or folder, builtin: or dataset:)."""
    where = resolve(path, home)
    if isinstance(where, tuple):
        where, fmt, columns = where[0], (fmt if fmt != "auto" else where[1]), where[2]
    if not where.exists():
        raise MixError(f"source '{name}': {where}: no such file or folder")
    totals = _manifest(where)
    records = iter_valid_records(where, fmt, "skip", columns=columns)
    sample, seen = [], 0
    try:
        for record in records:
            seen += 1
            if len(sample) < SAMPLE_RECORDS:
                sample.append(record_text(record))
            elif totals is not None:
                break  # the manifest has the count: no need to read on
    except (DataError, OSError, ValueError) as exc:
        raise MixError(f"source '{name}': {exc}") from None
    source = Source(name, path, fmt, seen, skipped=records.skipped, detected=records.format or "")
    if totals is not None:
        source.records = int(totals["records"])
        source.bytes_raw, source.bytes_compressed = totals.get("bytes_raw"), totals.get("bytes_compressed")
        source.skipped = int(totals.get("skipped") or 0)  # bad records the shard step left out
    else:
        source.bytes_raw, source.bytes_compressed = _bytes(where)
    if totals is not None and totals.get("tokens") is not None:
        source.tokens, source.origin = float(totals["tokens"]), "manifest"
    elif sample:
        per_record = count(sample) / len(sample)
        source.tokens = per_record * source.records
        source.origin = "rough" if not exact else ("counted" if len(sample) >= source.records else "estimated")
    return source


def resolve(path: str, home: Path):
    """A source path as a Path, or (path, format, columns) for a ``dataset:`` registry entry."""
    if registry.is_registered(path):
        try:
            entry = registry.lookup(path, home)
        except DataError as exc:
            raise MixError(str(exc)) from None
        return Path(entry.path), entry.format, entry.columns or None
    return resolve_data_path(path, home)  # a relative path is read from the workspace, as the trainer reads it


def scan_directory(folder: str | Path) -> list[tuple[str, str]]:
    """(name, path) of every source in ``folder``: its data files and sub-folders (a shard folder is one)."""
    root = Path(folder).expanduser().resolve()  # absolute: a policy must not depend on the trainer's cwd
    if not root.is_dir():
        raise MixError(f"{root}: not a folder")
    if (root / MANIFEST).exists():
        return [(root.name, str(root))]
    found: list[tuple[str, str]] = []
    for child in sorted(root.iterdir()):
        if child.name.startswith("."):
            continue
        suffix = dataset_suffix(child) if child.is_file() else None
        if suffix and child.name != MANIFEST:
            found.append((child.name[: -len(suffix)] or child.name, str(child)))
        elif child.is_dir() and source_files(child):
            found.append((child.name, str(child)))
    names = [n for n, _ in found]
    found = [(n if names.count(n) == 1 else Path(p).name, p) for n, p in found]  # a.jsonl and a.json
    if not found:
        raise MixError(f"{root}: no data files (.jsonl, .json, .jsonl.zst, .parquet, .csv, .txt) or shard folders")
    return found


def sources_of_registry(home: Path) -> list[tuple[str, str]]:
    """(name, 'dataset:<name>') of every dataset in the workspace registry."""
    try:
        entries = registry.load_registry(home)
    except DataError as exc:
        raise MixError(str(exc)) from None
    if not entries:
        raise MixError(f"the dataset registry is empty: add datasets to {Path(home) / registry.REGISTRY_FILE}")
    return [(name, registry.PREFIX + name) for name in sorted(entries)]
