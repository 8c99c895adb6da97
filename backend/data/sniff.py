"""What makes a dataset file unreadable as a whole, found before any record is read.

:func:`file_problem` names the cause in words a user can act on: an empty file, another container
(gzip, zip, bzip2, xz, zstd or Parquet under a text suffix), UTF-16/UTF-32 text, binary data, and for
``.zst`` files a zstd stream that is cut short or damaged. The zstd check walks the frame and block
headers (a few bytes per 128 KiB block, no decompression), because zstandard's stream reader ends
silently at a truncated frame: without it a cut-off file reads as "empty" or as one bad last line that
hides the lost rest.
"""

from __future__ import annotations

import os
from pathlib import Path

_ZSTD_MAGIC = 0xFD2FB528
_SKIPPABLE = 0x184D2A50  # skippable frames: 0x184D2A50 .. 0x184D2A5F
_TEXT_ADVICE = "save it as UTF-8"
# (leading bytes, what the file is, what to do); checked in order, on the (decompressed) head.
_MAGIC = (
    (b"\xff\xfe\x00\x00", "is UTF-32 text (it starts with a UTF-32 byte-order mark)", _TEXT_ADVICE),
    (b"\x00\x00\xfe\xff", "is UTF-32 text (it starts with a UTF-32 byte-order mark)", _TEXT_ADVICE),
    (b"\xff\xfe", "is UTF-16 text (it starts with a UTF-16 byte-order mark)", _TEXT_ADVICE),
    (b"\xfe\xff", "is UTF-16 text (it starts with a UTF-16 byte-order mark)", _TEXT_ADVICE),
    (b"\x1f\x8b", "is gzip-compressed", "decompress it (gunzip), or recompress it with zstd as .jsonl.zst"),
    (b"PK\x03\x04", "is a zip archive", "extract it and point the source at the extracted file or folder"),
    (b"\xfd7zXZ\x00", "is xz-compressed", "decompress it (unxz), or recompress it with zstd as .jsonl.zst"),
    (b"\x28\xb5\x2f\xfd", "is zstd-compressed", "name it .jsonl.zst so it is decompressed while reading"),
    (b"PAR1", "is a Parquet file", "name it .parquet"),
)


def _magic(head: bytes, suffix: str) -> str | None:
    if head.startswith(b"BZh") and head[4:10] == b"\x31\x41\x59\x26\x53\x59":
        return "is bzip2-compressed; decompress it (bunzip2), or recompress it with zstd as .jsonl.zst"
    for magic, what, todo in _MAGIC:
        if head.startswith(magic) and not (suffix == ".parquet" and magic == b"PAR1"):
            return f"{what}; {todo}"
    return None


def _looks_utf16(head: bytes) -> bool:
    """UTF-16 without a byte-order mark: ASCII text with a NUL beside every character."""
    even, odd = head[0::2], head[1::2]
    return len(head) >= 8 and (even.count(0) >= 0.9 * len(even) or odd.count(0) >= 0.9 * len(odd))


def head_problem(head: bytes, suffix: str) -> str | None:
    """What makes a file whose content starts with ``head`` unusable as ``suffix`` data, or None."""
    if not head:
        return "is empty"
    found = _magic(head, suffix)
    if found:
        return found
    if head.count(b"\x00") > 8:
        if _looks_utf16(head):
            return f"is UTF-16 text (a NUL byte beside every character); {_TEXT_ADVICE}"
        return "looks binary (NUL bytes near the start), not text"
    return None


def zstd_problem(path: Path) -> str | None:
    """Whether the zstd frames of ``path`` are complete: 'is truncated …', 'is corrupt …' or None.

    Walks frame headers and block headers only (RFC 8878), so it costs a few bytes per block.
    """
    import zstandard

    size = os.path.getsize(path)
    advice = "re-create or re-download it"
    with open(path, "rb") as fh:
        pos = 0
        while pos < size:
            fh.seek(pos)
            head = fh.read(18)
            magic = int.from_bytes(head[:4], "little")
            if len(head) < 8 and magic != _ZSTD_MAGIC:
                return f"is truncated: it ends inside a zstd frame header at byte {size:,}; {advice}"
            if magic & 0xFFFFFFF0 == _SKIPPABLE:
                pos += 8 + int.from_bytes(head[4:8], "little")
                if len(head) < 8 or pos > size:
                    return f"is truncated: it ends inside a skippable zstd frame at byte {size:,}; {advice}"
                continue
            if magic != _ZSTD_MAGIC:
                return f"is corrupt: no zstd frame at byte {pos:,} (of {size:,}); {advice}"
            try:
                header = zstandard.frame_header_size(head)
                checksum = zstandard.get_frame_parameters(head).has_checksum
            except zstandard.ZstdError as exc:
                cut = pos + len(head) >= size
                state = "is truncated: it ends inside" if cut else "is corrupt: a bad"
                return f"{state} zstd frame header at byte {pos:,} ({exc}); {advice}"
            pos += header
            while True:
                fh.seek(pos)
                block = fh.read(3)
                if len(block) < 3:
                    return f"is truncated: the zstd data ends inside a frame at byte {size:,}; {advice}"
                value = int.from_bytes(block, "little")
                kind = (value >> 1) & 3
                if kind == 3:
                    return f"is corrupt: a reserved zstd block type at byte {pos:,}; {advice}"
                pos += 3 + (1 if kind == 1 else value >> 3)  # an RLE block stores one byte
                if pos > size:
                    return f"is truncated: the zstd data ends inside a block at byte {size:,}; {advice}"
                if value & 1:  # the frame's last block
                    break
            pos += 4 if checksum else 0
            if pos > size:
                return f"is truncated: the zstd data ends inside a frame checksum at byte {size:,}; {advice}"
    return None
