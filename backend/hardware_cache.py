"""The hardware probe's cache: one small JSON file, ``<workspace>/cache/hardware.json``, valid for one boot.

Probing GPUs means starting a Python child that imports torch (about 2 s, more under load) on every
``studio train``, pre-flight and queue start. What it finds (GPU count, bf16 support, total memory, GPU
UUIDs) cannot change without a reboot, a different ``CUDA_VISIBLE_DEVICES``, another torch or another
Python, so it is stored under a key made of exactly those: ``/proc/sys/kernel/random/boot_id``,
``CUDA_VISIBLE_DEVICES`` (unset and empty are different), torch's installed version (read from the
package metadata, without importing torch) and the interpreter's path. A different key re-probes and
replaces the entry. Free GPU memory does change, so it is never served from the cache: with GPUs, the
caller refreshes it from ``nvidia-smi`` (tens of ms) matched by UUID, and re-probes when that fails.

Only successful probes are stored; a file that is missing, unreadable or of another shape is a miss.
Torch-free and standard library only.
"""

from __future__ import annotations

import json
import os
import subprocess
from importlib import metadata
from pathlib import Path

CACHE_NAME = "hardware.json"
_VERSION = 1  # bump when the stored fields change: an old file is then a miss


def boot_id() -> str | None:
    """This boot's id (Linux); None where there is none, which disables the cache."""
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text(encoding="ascii").strip() or None
    except OSError:
        return None


def cache_key(python: str) -> dict | None:
    """The key a stored probe must match; None when this machine has no boot id (never cached)."""
    boot = boot_id()
    if boot is None:
        return None
    try:
        torch_version = metadata.version("torch")
    except metadata.PackageNotFoundError:
        torch_version = None
    return {
        "version": _VERSION,
        "boot_id": boot,
        "cuda_visible_devices": os.environ.get("CUDA_VISIBLE_DEVICES"),
        "torch": torch_version,
        "python": os.path.abspath(python),  # a venv's python, not the interpreter it links to
    }


def cache_path(home: str | os.PathLike | None) -> Path:
    from backend.workspace import workspace_home

    return workspace_home(home) / "cache" / CACHE_NAME


def load(home: str | os.PathLike | None, key: dict) -> dict | None:
    """The stored probe for ``key``, or None (no file, another key, or a file this module did not write)."""
    try:
        data = json.loads(cache_path(home).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("key") != key or not isinstance(data.get("probe"), dict):
        return None
    return data["probe"]


def store(home: str | os.PathLike | None, key: dict, probe: dict) -> None:
    """Write ``probe`` under ``key`` (replacing any other entry); a write that fails is ignored (no cache)."""
    path = cache_path(home)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(json.dumps({"key": key, "probe": probe}, indent=2) + "\n", encoding="utf-8")
        os.replace(tmp, path)  # atomic: a concurrent reader sees the old file or the new one
    except OSError:
        tmp.unlink(missing_ok=True)


def free_gb_by_uuid(uuids: list[str], timeout: float = 10.0) -> tuple[float, ...] | None:
    """Free memory (GiB) of each GPU in ``uuids`` from ``nvidia-smi``; None when any is not found.

    ``nvidia-smi`` ignores ``CUDA_VISIBLE_DEVICES`` and may order GPUs differently from CUDA, so GPUs are
    matched by UUID (torch prints them without the ``GPU-`` prefix that nvidia-smi shows).
    """
    try:
        out = subprocess.run(
            ["nvidia-smi", "--query-gpu=uuid,memory.free", "--format=csv,noheader,nounits"],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    free = {}
    for line in out.splitlines():
        uuid, _, mib = line.partition(",")
        try:
            free[uuid.strip().removeprefix("GPU-")] = float(mib) / 1024
        except ValueError:
            continue
    wanted = [u.removeprefix("GPU-") for u in uuids]
    if not wanted or any(u not in free for u in wanted):
        return None
    return tuple(free[u] for u in wanted)
