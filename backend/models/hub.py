"""Downloads from a model hub through ``huggingface_hub`` (or ModelScope's own client): ``pull(ref, home, ...)``.

Contract:

* only the files a model needs are fetched (``NEEDED``: safetensors weights and index, config, tokenizer and
  generation files; custom code only when ``auto_map`` lists it); ``.bin``/``.pth``/GGUF duplicates never;
  ``include`` patterns add files;
* free disk is checked against the repository's file sizes before the first byte;
* every file is verified against the hub's checksum (LFS sha256, else the git blob id) — a mismatch deletes
  the file and fails with one line; files already present and verified are not fetched again, and a partial
  file (``.partial/<name>.part``, left by a pull that was killed) is resumed with an HTTP Range request;
* a gated or private repository's 401/403 becomes one line saying how to give a token (``HF_TOKEN`` or the
  workspace token file, 0600; the token itself is never printed or logged);
* ``HF_HUB_OFFLINE=1`` means the studio is offline: :func:`pull` refuses with :func:`offline_message`.

Errors are :class:`HubError` (one human line, and a ``kind``: offline, auth, network, notfound, checksum,
disk, format, client). ``huggingface_hub`` reads ``HF_HUB_OFFLINE`` when imported, so downloads run in a
process of their own (``python -m cli pull``) started with the variable cleared.
"""

from __future__ import annotations

import contextlib
import fnmatch
import hashlib
import json
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from backend.failures import human_bytes
from backend.models.poller import DownloadProgress
from backend.models.ref import MARKER, ModelRef

DEFAULT_ENDPOINT = "https://huggingface.co"
TOKEN_FILE = "hub_token"
SETTINGS_FILE = "hub.json"
PARTIAL_DIR = ".partial"  # files being fetched, resumed by the next pull
NEEDED = ("config.json", "generation_config.json", "model.safetensors.index.json", "*.safetensors",
          "tokenizer.json", "tokenizer_config.json", "tokenizer.model", "special_tokens_map.json",
          "added_tokens.json", "vocab.json", "merges.txt", "*.tiktoken", "chat_template.jinja",
          "chat_template.json")  # fmt: skip
NEVER = ("*.bin", "*.pth", "*.pt", "*.gguf", "*.ckpt", "*.h5", "*.msgpack", "*.onnx")


class HubError(Exception):
    """A download that cannot be done: ``str()`` is one human line; ``kind`` classifies it."""

    def __init__(self, message: str, kind: str = "network"):
        super().__init__(message)
        self.kind = kind


@dataclass
class RemoteFile:
    name: str
    size: int
    sha256: str | None
    blob_id: str | None


OFFLINE_INTENT = "STUDIO_HUB_OFFLINE"  # the studio's own setting, kept where a process sets HF_HUB_OFFLINE for itself


def progress_line(s: dict) -> str:
    """One line of a download's progress sample: bytes of total, speed, ETA and the file being fetched."""
    eta = f", ETA {s['eta']:.0f}s" if s.get("eta") is not None else ""
    return (
        f"{human_bytes(s['bytes'])} / {human_bytes(s['total_bytes'])} at {human_bytes(s['speed'])}/s{eta}"
        f" {s.get('file') or ''}"
    )


def is_offline() -> bool:
    """Whether the studio is offline: ``$STUDIO_HUB_OFFLINE`` when set (a process that forces ``HF_HUB_OFFLINE=1``
    on itself, such as ``studio eval``, records the user's setting there first), else ``HF_HUB_OFFLINE`` set to
    1/true/yes/on."""
    raw = os.environ.get(OFFLINE_INTENT)
    if raw is None:
        raw = os.environ.get("HF_HUB_OFFLINE", "")
    return raw.strip().lower() in ("1", "true", "yes", "on")


@contextlib.contextmanager
def offline_intent():
    """Record whether the studio is offline in ``$STUDIO_HUB_OFFLINE`` for the ``with`` block (restored after), so
    the block may set ``HF_HUB_OFFLINE=1`` for its own libraries and still download on demand when online."""
    before = os.environ.get(OFFLINE_INTENT)
    os.environ[OFFLINE_INTENT] = "1" if is_offline() else "0"
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(OFFLINE_INTENT, None)
        else:
            os.environ[OFFLINE_INTENT] = before


def offline_env(offline: bool | None = None) -> dict:
    """Environment entries for a child process: ``HF_HUB_OFFLINE`` for its libraries (``offline``; None: as the
    studio is) and the studio's own setting."""
    studio = "1" if is_offline() else "0"
    return {"HF_HUB_OFFLINE": studio if offline is None else ("1" if offline else "0"), OFFLINE_INTENT: studio}


def offline_message(ref: ModelRef, home: Path, field: str = "model") -> str:
    """The one line a download refused because the studio is offline says."""
    return (
        f"{field}: {ref.id} is not downloaded and the studio is offline (HF_HUB_OFFLINE=1); download it on a "
        f"machine with access (`huggingface-cli download {ref.repo} --local-dir DIR`), copy DIR here and set "
        f"{field} to that folder, or start the studio with HF_HUB_OFFLINE=0"
    )


def settings(home: Path) -> dict:
    try:
        return json.loads((Path(home) / SETTINGS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def save_setting(home: Path, key: str, value: str | None) -> None:
    """Store one hub setting (``endpoint``) in the workspace (the UI's setting)."""
    data = settings(home)
    if value:
        data[key] = value
    else:
        data.pop(key, None)
    (Path(home) / SETTINGS_FILE).write_text(json.dumps(data, indent=1), encoding="utf-8")


def endpoint_for(home: Path, explicit: str | None = None) -> str:
    """The hub endpoint: ``--endpoint``, else ``$HF_ENDPOINT``, else the workspace setting, else huggingface.co."""
    url = explicit or os.environ.get("HF_ENDPOINT") or settings(home).get("endpoint") or DEFAULT_ENDPOINT
    if not url.startswith(("http://", "https://")):
        raise HubError(f"endpoint {url!r}: expected an http:// or https:// URL", "format")
    return url.rstrip("/")


def token_for(home: Path) -> str | None:
    """The token: ``$HF_TOKEN``, else the workspace token file (``<workspace>/hub_token``), else None."""
    if token := os.environ.get("HF_TOKEN", "").strip():
        return token
    try:
        return (Path(home) / TOKEN_FILE).read_text(encoding="utf-8").strip() or None
    except OSError:
        return None


def save_token(home: Path, token: str) -> Path:
    """Write the token file with mode 0600 (created that way: never readable by others, even for a moment)."""
    path = Path(home) / TOKEN_FILE
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(token.strip() + "\n")
    os.chmod(path, 0o600)
    return path


def wanted(name: str, include: list[str], custom_code: set[str]) -> bool:
    """Whether a repository file is fetched: needed, listed by ``auto_map``, or matched by ``include``."""
    if any(fnmatch.fnmatch(name, p) for p in include):
        return True
    if "/" in name or any(fnmatch.fnmatch(name, p) for p in NEVER):
        return False
    return name in custom_code or any(fnmatch.fnmatch(name, p) for p in NEEDED)


def auto_map_files(*configs: dict) -> set[str]:
    """The ``.py`` files that ``auto_map`` entries of config/tokenizer_config name (``module.Class`` -> module.py)."""
    out = set()
    for cfg in configs:
        for value in (cfg.get("auto_map") or {}).values():
            for item in value if isinstance(value, list) else [value]:
                if isinstance(item, str) and "--" not in item and "." in item:
                    out.add(item.rsplit(".", 1)[0].replace(".", "/") + ".py")
    return out


def git_blob_sha1(path: Path) -> str:
    h = hashlib.sha1(f"blob {path.stat().st_size}\0".encode())  # noqa: S324 - git's object id, not security
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def verified(path: Path, remote: RemoteFile) -> bool:
    """Whether a local file matches the hub's size and checksum (sha256 for LFS files, else the git blob id)."""
    if not path.is_file() or (remote.size is not None and path.stat().st_size != remote.size):
        return False
    if remote.sha256:
        return sha256_file(path) == remote.sha256
    if remote.blob_id:
        return git_blob_sha1(path) == remote.blob_id
    return True


PARTS = (".part", ".incomplete")
PROGRESS_EVERY_S = 0.5


class Progress(DownloadProgress):
    """Bytes, speed and ETA of a download, sampled from the files on disk (finished + the client's partial files)."""

    def __init__(self, folder: Path, files: list[RemoteFile], report, every_s: float = 0.5):
        super().__init__(sum(f.size or 0 for f in files), report, every_s)
        self.folder, self.files = folder, files

    def done_bytes(self) -> int:
        done = 0
        for f in self.files:
            path = self.folder / f.name
            if path.is_file():
                done += path.stat().st_size
        for partial in (self.folder / PARTIAL_DIR, self.folder / ".cache" / "huggingface" / "download"):
            if partial.is_dir():
                done += sum(p.stat().st_size for p in partial.rglob("*") if p.is_file() and p.suffix in PARTS)
        return done


def _explain(exc: Exception, ref: ModelRef, home: Path, url: str) -> HubError:
    """One line for an exception of the hub client."""
    from huggingface_hub import errors

    name = type(exc).__name__
    status = getattr(getattr(exc, "response", None), "status_code", None)
    token_help = (
        f"accept its licence on the model's page if it is gated, then give a token: set HF_TOKEN, or save one with "
        f"`studio models token` (stored 0600 in {Path(home) / TOKEN_FILE})"
    )
    if isinstance(exc, errors.GatedRepoError) or status in (401, 403):
        have = "the token given was refused" if token_for(home) else "no token was given"
        return HubError(f"{ref.id} is gated or private (HTTP {status or 401}) and {have}: {token_help}", "auth")
    if isinstance(exc, errors.RevisionNotFoundError):
        return HubError(f"{ref.id}: revision {ref.revision!r} not found at {url}", "notfound")
    if isinstance(exc, errors.RepositoryNotFoundError):
        return HubError(f"{ref.id}: no such repository at {url} (or it is private: {token_help})", "notfound")
    if isinstance(exc, errors.OfflineModeIsEnabled):
        return HubError(offline_message(ref, home), "offline")
    first = (str(exc).strip().splitlines() or [name])[0]
    if "connect" in name.lower() or "timeout" in name.lower() or "connect" in first.lower():
        return HubError(
            f"cannot reach {url} ({name}: {first[:200]}); check the network, or set a mirror with HF_ENDPOINT "
            f"(e.g. https://hf-mirror.com) or `--endpoint`",
            "network",
        )
    return HubError(f"{ref.id}: download from {url} failed ({name}: {first[:300]})", "network")


def remote_files(ref: ModelRef, home: Path, url: str, include: list[str]) -> tuple[str | None, list[RemoteFile]]:
    """The repository's commit and the files to fetch (sizes and checksums), reading config files for ``auto_map``."""
    from huggingface_hub import HfApi, hf_hub_download

    api = HfApi(endpoint=url, token=token_for(home) or False)
    info = api.model_info(ref.repo, revision=ref.revision, files_metadata=True)
    siblings = {
        s.rfilename: RemoteFile(
            s.rfilename, s.lfs.size if s.lfs else (s.size or 0), s.lfs.sha256 if s.lfs else None, s.blob_id
        )  # fmt: skip
        for s in info.siblings or []
    }
    if not any(n.endswith(".safetensors") for n in siblings) and not include:
        pickled = [n for n in siblings if any(fnmatch.fnmatch(n, p) for p in NEVER)]
        what = f"only {', '.join(pickled[:3])}" if pickled else "no weights"
        raise HubError(f"{ref.id} has no *.safetensors weights ({what}); the studio loads safetensors only", "format")
    configs = []
    for name in ("config.json", "tokenizer_config.json"):
        if name in siblings:
            path = hf_hub_download(ref.repo, name, revision=info.sha or ref.revision, local_dir=ref.local_dir(home),
                                   endpoint=url, token=token_for(home) or False)  # fmt: skip
            try:
                configs.append(json.loads(Path(path).read_text(encoding="utf-8")))
            except ValueError:
                pass
    code = auto_map_files(*configs)
    return info.sha, [f for n, f in sorted(siblings.items()) if wanted(n, include, code)]


def check_disk(folder: Path, files: list[RemoteFile]) -> None:
    """Refuse before the first byte when the files still to fetch do not fit."""
    need = sum(f.size or 0 for f in files if not (folder / f.name).is_file())
    probe = folder if folder.exists() else folder.parent
    free = shutil.disk_usage(probe).free
    if need > free:
        raise HubError(f"needs {human_bytes(need)} for {folder.name}, only {human_bytes(free)} free in {probe}", "disk")


def pull(
    ref: ModelRef,
    home: Path,
    endpoint: str | None = None,
    include: list[str] | None = None,
    report=None,
) -> Path:
    """Download ``ref`` into its workspace folder and return it (see the module docstring for the contract).

    ``report(sample)`` is called about twice a second with bytes, total_bytes, speed, eta, elapsed and file.
    """
    if not ref.is_hub:
        raise HubError(f"{ref.text} is not a hub id (hf:ORG/NAME or ms:ORG/NAME)", "format")
    if is_offline():
        raise HubError(offline_message(ref, home), "offline")
    if ref.hub == "ms":
        return _pull_modelscope(ref, home, include or [], report)
    url = endpoint_for(home, endpoint)
    folder = ref.local_dir(home)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / MARKER).unlink(missing_ok=True)  # complete again only once every file is verified
    try:
        commit, files = remote_files(ref, home, url, include or [])
        check_disk(folder, files)
        with Progress(folder, files, report) as progress:
            for f in files:
                progress.current = f.name
                if not verified(folder / f.name, f):
                    _fetch(ref, f, folder, url, commit, token_for(home))
    except HubError:
        raise
    except Exception as exc:  # noqa: BLE001 - every client failure becomes one line
        raise _explain(exc, ref, home, url) from exc
    marker = {"id": ref.id, "repo": ref.repo, "revision": ref.revision, "commit": commit, "endpoint": url,
              "files": {f.name: f.size for f in files}, "time": time.time()}  # fmt: skip
    (folder / MARKER).write_text(json.dumps(marker, indent=1), encoding="utf-8")
    return folder


def _fetch(ref: ModelRef, f: RemoteFile, folder: Path, url: str, commit: str | None, token: str | None) -> None:
    """Fetch one file into ``<folder>/.partial/<name>.part``, resuming what an earlier pull left there (HTTP Range,
    through the client's ``http_get``: ``hf_hub_download`` 2.x keeps partial files per process and drops them, so
    it cannot resume a pull that was killed), verify it, then move it into place."""
    from huggingface_hub import hf_hub_url
    from huggingface_hub.file_download import http_get
    from huggingface_hub.utils import build_hf_headers

    part = folder / PARTIAL_DIR / (f.name + ".part")
    part.parent.mkdir(parents=True, exist_ok=True)
    have = part.stat().st_size if part.is_file() else 0
    if f.size is not None and have > f.size:
        part.unlink()
        have = 0
    if f.size is None or have < f.size:
        source = hf_hub_url(ref.repo, f.name, revision=commit or ref.revision, endpoint=url)
        headers = build_hf_headers(token=token or False)
        with open(part, "ab") as fh:
            http_get(source, fh, resume_size=have, headers=headers, expected_size=f.size)
    if not verified(part, f):
        part.unlink(missing_ok=True)
        what = "sha256" if f.sha256 else "git blob id"
        raise HubError(f"{ref.id}: {f.name} does not match the hub's {what}; deleted it (retry the pull)", "checksum")
    target = folder / f.name
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(part, target)


MODELSCOPE_MISSING = (
    "ms: ids need the ModelScope client, which is not installed: pip install 'llm-studio[modelscope]' "
    "(or pip install modelscope) in the studio's environment"
)


def modelscope_total(ref: ModelRef, patterns: list[str]) -> int | None:
    """The bytes the files to fetch take, from ModelScope's file list; None when the client does not say."""
    try:
        from modelscope.hub.api import HubApi

        files = HubApi().get_model_files(ref.repo, revision=ref.revision or "master", recursive=True)
        names = [(f.get("Path") or f.get("Name") or "", f.get("Size") or 0) for f in files if f.get("Type") != "tree"]
        return sum(size for name, size in names if any(fnmatch.fnmatch(name, p) for p in patterns)) or None
    except Exception:  # noqa: BLE001 - the total is a courtesy: the bar then shows bytes without a percentage
        return None


def _pull_modelscope(ref: ModelRef, home: Path, include: list[str], report=None) -> Path:
    """Download through ModelScope's own client; progress comes from :class:`~backend.models.poller.FolderPoller`
    watching the target folder (the client reports nothing we can hook)."""
    from backend.models.poller import FolderPoller

    try:
        from modelscope import snapshot_download
    except ImportError as exc:
        raise HubError(MODELSCOPE_MISSING, "client") from exc
    folder = ref.local_dir(home)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / MARKER).unlink(missing_ok=True)
    patterns = list(NEEDED) + include
    try:
        with FolderPoller(folder, modelscope_total(ref, patterns), report, every_s=PROGRESS_EVERY_S):
            snapshot_download(ref.repo, revision=ref.revision, local_dir=str(folder), allow_patterns=patterns)
    except Exception as exc:  # noqa: BLE001 - one line
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise HubError(f"{ref.id}: ModelScope download failed ({type(exc).__name__}: {first[:300]})") from exc
    marker = {"id": ref.id, "repo": ref.repo, "revision": ref.revision, "endpoint": "modelscope", "time": time.time()}
    (folder / MARKER).write_text(json.dumps(marker, indent=1), encoding="utf-8")
    return folder


def preflight_line(ref: ModelRef, home: Path, field: str, timeout_s: float = 3.0) -> str | None:
    """Pre-flight of a hub model that is not downloaded yet: None when the run can download it first, else the
    one line that refuses it (offline, ModelScope client missing, endpoint unreachable). Opens one TCP
    connection at most; imports no hub client."""
    import importlib.util
    import socket
    from urllib.parse import urlsplit

    if is_offline():
        return offline_message(ref, home, field)
    if ref.hub == "ms":
        return None if importlib.util.find_spec("modelscope") else f"{field}: {MODELSCOPE_MISSING}"
    try:
        url = endpoint_for(home)
    except HubError as exc:
        return f"{field}: {exc}"
    parts = urlsplit(url)
    try:
        socket.create_connection((parts.hostname, parts.port or (443 if parts.scheme == "https" else 80)),
                                 timeout=timeout_s).close()  # fmt: skip
    except OSError as exc:
        return (
            f"{field}: {ref.id} is not downloaded and {url} cannot be reached ({exc.strerror or exc}); set a "
            f"mirror (HF_ENDPOINT, e.g. https://hf-mirror.com), or download it elsewhere and set {field} to the folder"
        )
    return None


CONFIGS_DIR = ("models", "hub-configs")  # config.json of models not downloaded yet (pre-flight's estimate)


def config_cache(ref: ModelRef, home: Path) -> Path:
    """Where the config-only fetch of ``ref`` keeps its ``config.json`` (beside, not inside, the downloads)."""
    return Path(home).joinpath(*CONFIGS_DIR, ref.hub, ref.local_dir(home).name)


def fetch_config(ref: ModelRef, home: Path, endpoint: str | None = None) -> Path:
    """Fetch only ``config.json`` of ``ref`` (a few kB, through ``huggingface_hub``) into :func:`config_cache`;
    the file's path. Raises :class:`HubError` with one line."""
    if is_offline():
        raise HubError(offline_message(ref, home), "offline")
    if ref.hub == "ms":
        raise HubError(MODELSCOPE_MISSING, "client")
    from huggingface_hub import hf_hub_download

    url = endpoint_for(home, endpoint)
    folder = config_cache(ref, home)
    try:
        return Path(hf_hub_download(ref.repo, "config.json", revision=ref.revision, local_dir=folder, endpoint=url,
                                    token=token_for(home) or False))  # fmt: skip
    except Exception as exc:  # noqa: BLE001 - every client failure becomes one line
        raise _explain(exc, ref, home, url) from exc
