"""Clean a corpus: drop exact and near duplicates, too-short, symbol-junk and repetitive records.

:func:`clean` streams every source (any format :mod:`backend.data.stream` reads; bad records are
counted and listed as ``file:line: field: what``, never raised) and writes the kept records to ``out``
as their original JSON bytes, one per line (zstd-compressed when the name ends ``.zst``). A record's
text is its text field for pretraining formats, or its message contents joined by newlines for chat
formats. The first of these filters that a record fails names the reason it is dropped:

``exact_duplicate``  the same text after NFKC, whitespace collapse and lowercasing as a kept record;
``near_duplicate``   MinHash LSH over character ``shingle``-grams of that normalised text finds a kept
                     record with estimated Jaccard similarity >= ``near_dup_threshold`` (character
                     shingles need no word segmentation, so Chinese works as well as English);
``too_short``        fewer than ``min_chars`` characters (normalised);
``symbol_ratio``     more than ``max_symbol_ratio`` of the non-space characters are neither letters
                     (any script, combining marks included) nor digits;
``repetition``       more than ``max_repeat_ratio`` of the characters repeat: per part (the text, or each
                     message), the larger of the characters in lines that repeat an earlier line, and the
                     characters covered by the 2nd and later occurrences of the most frequent character
                     10-gram. The first catches copied lines, the second one-line spam ("哈哈哈哈…",
                     "buy now buy now …"); counting per message leaves answers that echo a question alone.

Only kept records enter the duplicate indexes, so ``duplicate_of`` always names a kept record and the
first occurrence of a text is the one kept. Dropped records go, when ``dropped`` is given, to a JSONL
side file as ``{"reason", "source": "file:line", "duplicate_of"?: "file:line", "record"}``.
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable
from contextlib import ExitStack
from pathlib import Path

from backend.data.stream import DEFAULT_MAX_LINE_BYTES
from backend.data.validate import BadRecords, iter_good, record_texts

REASONS = ("exact_duplicate", "near_duplicate", "too_short", "symbol_ratio", "repetition")
_NGRAM = 10  # the character n-gram of the repetition rule


def record_parts(record: dict) -> list[str]:
    """The texts of a normalised record of any format (see validate.normalise and record_texts)."""
    return record_texts(record)


def record_text(record: dict) -> str:
    """A record's text: its text field, or its message contents joined by newlines."""
    return "\n".join(record_parts(record))


def normalise_text(text: str) -> str:
    """NFKC (full-width letters become ASCII), whitespace runs become one space, lowercase."""
    return " ".join(unicodedata.normalize("NFKC", text).split()).lower()


def symbol_ratio(text: str) -> float:
    """The share of non-space characters that are neither letters, combining marks nor digits."""
    chars = [c for c in text if not c.isspace()]
    if not chars:
        return 0.0
    # isalnum covers Latin, CJK and digits quickly; the category check keeps Thai/Hindi vowel marks (Mn/Mc) as text
    junk = sum(1 for c in chars if not c.isalnum() and unicodedata.category(c)[0] not in "LNM")
    return junk / len(chars)


def repeated_chars(text: str) -> int:
    """Characters that repeat: the larger of those in lines repeating an earlier line, and those covered by the
    2nd and later occurrences of the most frequent character 10-gram (their union, so "哈哈…" counts in full)."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    seen: set[str] = set()
    by_lines = 0
    for line in lines:
        by_lines += len(line) if line in seen else 0
        seen.add(line)
    grams = [text[i : i + _NGRAM] for i in range(len(text) - _NGRAM + 1)]
    top, count = Counter(grams).most_common(1)[0] if grams else ("", 0)
    covered, end = 0, None
    if count > 1:
        for i, gram in enumerate(grams):
            if gram == top:
                covered += 0 if end is None else i + _NGRAM - max(i, end)  # the first occurrence is not a repeat
                end = i + _NGRAM
    return max(by_lines, covered)


def repeat_ratio(parts: list[str]) -> float:
    """Repeated characters (see :func:`repeated_chars`) per character, counted within each part (message):
    an answer that echoes the question is normal chat, a message that repeats itself is not."""
    total = sum(map(len, parts))
    return sum(map(repeated_chars, parts)) / total if total else 0.0


class NearDupIndex:
    """MinHash LSH of character shingles; ``find`` returns the source of a near-copy among those added."""

    def __init__(self, threshold: float = 0.85, num_perm: int = 128, shingle: int = 5):
        from datasketch import MinHash, MinHashLSH

        self.shingle = shingle
        self.lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
        # Reuse one set of permutations: generating them per MinHash costs more than hashing a record.
        template = MinHash(num_perm=num_perm)
        self.kwargs = {"num_perm": num_perm, "permutations": template.permutations}
        if hasattr(template, "scheme"):  # datasketch 2 wants the scheme stated when permutations are passed in
            self.kwargs["scheme"] = template.scheme
        self.MinHash = MinHash
        self.sources: list[str] = []

    def sketch(self, norm: str):
        k = self.shingle
        shingles = {norm[i : i + k] for i in range(max(1, len(norm) - k + 1))}
        m = self.MinHash(**self.kwargs)
        m.update_batch([s.encode("utf-8") for s in shingles])
        return m

    def find(self, sketch) -> str | None:
        keys = self.lsh.query(sketch)
        return self.sources[min(keys)] if keys else None  # the earliest kept record among the candidates

    def add(self, sketch, source: str) -> None:
        self.lsh.insert(len(self.sources), sketch)
        self.sources.append(source)


def _open_out(path: Path, stack: ExitStack):
    path.parent.mkdir(parents=True, exist_ok=True)
    fh = stack.enter_context(open(path, "wb"))  # noqa: SIM115 -- the ExitStack closes it
    if path.name.lower().endswith(".zst"):
        import zstandard

        return stack.enter_context(zstandard.ZstdCompressor(level=3).stream_writer(fh, closefd=False))
    return fh


def clean(sources: Iterable[str | Path], out: str | Path, dropped: str | Path | None = None, fmt: str = "auto",
          min_chars: int = 20, near_dup_threshold: float = 0.85, near_dup: bool = True, num_perm: int = 128,
          shingle: int = 5, max_symbol_ratio: float = 0.5, max_repeat_ratio: float = 0.3,
          progress: Callable[[int], None] | None = None,
          max_line_bytes: int = DEFAULT_MAX_LINE_BYTES) -> dict:  # fmt: skip
    """Filter ``sources`` into ``out`` (see the module docs) and return the report.

    The report has ``records`` (good records read), ``kept``, ``dropped`` (per reason, every reason
    listed), ``bad`` (unreadable records) and ``bad_records`` (the first ``MAX_LISTED_ERRORS`` of them).
    ``progress`` is called with the number of items read since its last call.
    """
    index = NearDupIndex(near_dup_threshold, num_perm, shingle) if near_dup else None
    exact: dict[bytes, str] = {}  # 16-byte digest -> source of the kept record: small even for 10^8 records
    report = {"records": 0, "kept": 0, "dropped": dict.fromkeys(REASONS, 0)}
    bad = BadRecords()
    with ExitStack() as stack:
        kept_fh = _open_out(Path(out), stack)
        drop_fh = _open_out(Path(dropped), stack) if dropped else None
        for _, record, item in iter_good(sources, fmt, max_line_bytes, bad, progress):
            report["records"] += 1
            where = f"{item.file}:{item.line}"
            parts = record_parts(record)
            norm = normalise_text("\n".join(parts))
            digest = hashlib.blake2b(norm.encode("utf-8"), digest_size=16).digest()
            reason, duplicate_of, sketch = None, exact.get(digest), None
            if duplicate_of:
                reason = "exact_duplicate"
            elif index is not None:
                sketch = index.sketch(norm)
                duplicate_of = index.find(sketch)
                reason = "near_duplicate" if duplicate_of else None
            if reason is None:
                reason = _quality(parts, norm, min_chars, max_symbol_ratio, max_repeat_ratio)
            if reason is None:
                report["kept"] += 1
                kept_fh.write(item.line_bytes() + b"\n")
                exact[digest] = where
                if index is not None:
                    index.add(sketch, where)
                continue
            report["dropped"][reason] += 1
            if drop_fh is not None:
                row = {"reason": reason, "source": where}
                row |= {"duplicate_of": duplicate_of} if duplicate_of else {}
                drop_fh.write(json.dumps({**row, "record": item.value}, ensure_ascii=False).encode() + b"\n")
    report |= {"bad": bad.count, "bad_records": bad.listed}
    return report


def _quality(parts: list[str], norm: str, min_chars: int, max_symbol: float, max_repeat: float) -> str | None:
    if len(norm) < min_chars:
        return "too_short"
    if symbol_ratio("".join(parts)) > max_symbol:
        return "symbol_ratio"
    if repeat_ratio(parts) > max_repeat:
        return "repetition"
    return None


def render(report: dict) -> str:
    """The report as terminal text: records in, kept, dropped per reason, bad records."""
    lines = [f"{report['records']} records in, {report['kept']} kept, {sum(report['dropped'].values())} dropped, "
             f"{report['bad']} bad"]  # fmt: skip
    lines += [f"  {reason:<16}{n:>9}" for reason, n in report["dropped"].items()]
    return "\n".join(lines)
