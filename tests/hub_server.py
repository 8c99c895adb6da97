"""A local model hub for tests: the Hugging Face hub's HTTP layout on 127.0.0.1, served from memory.

Implements what ``huggingface_hub`` calls for ``model_info(files_metadata=True)`` and ``hf_hub_download``:

* ``GET /api/models/{org}/{name}[/revision/{rev}]``: id, sha and siblings (size, blobId, lfs size/sha256);
* ``HEAD``/``GET /{org}/{name}/resolve/{rev}/{file}``: ``X-Repo-Commit``, ``ETag`` (sha256 for LFS files,
  else the git blob id), ``Content-Length``, and ``Range: bytes=N-`` answered with 206.

Knobs (attributes of :class:`Hub`): ``gated`` repos answer 401 ``X-Error-Code: GatedRepo`` without the right
``Bearer`` token; ``corrupt`` files are served with one byte changed (the metadata keeps the true checksum);
``slow`` files are sent in ``slow_chunk``-byte pieces ``slow_s`` apart. ``log`` records (method, path, Range)
per request.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

COMMIT = "0123456789abcdef0123456789abcdef01234567"
LFS = (".safetensors",)


def blob_id(data: bytes) -> str:
    return hashlib.sha1(f"blob {len(data)}\0".encode() + data).hexdigest()  # noqa: S324 - git's object id


class Hub:
    def __init__(self):
        self.repos: dict[str, dict[str, bytes]] = {}
        self.gated: dict[str, str] = {}  # repo -> the token that opens it
        self.corrupt: set[str] = set()
        self.slow: set[str] = set()
        self.slow_s = 0.02
        self.slow_chunk = 4096
        self.log: list[tuple[str, str, str | None]] = []
        self.lock = threading.Lock()

    def add_folder(self, repo: str, folder: Path, extra: dict[str, bytes] | None = None) -> None:
        files = {p.name: p.read_bytes() for p in Path(folder).iterdir() if p.is_file() and not p.name.startswith(".")}
        self.repos[repo] = {**files, **(extra or {})}

    def gets(self, name: str) -> list[str | None]:
        """The Range headers of every GET of a file (None: the whole file)."""
        return [rng for method, path, rng in self.log if method == "GET" and path.endswith("/" + name)]


def make_handler(hub: Hub):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):  # quiet
            pass

        def _send(self, code: int, body: bytes = b"", headers: dict | None = None, head: bool = False):
            self.send_response(code)
            for k, v in (headers or {}).items():
                self.send_header(k, str(v))
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if not head:
                self.wfile.write(body)

        def _json(self, code: int, obj, headers=None):
            self._send(code, json.dumps(obj).encode(), {"Content-Type": "application/json", **(headers or {})})

        def _route(self, head: bool):
            path = self.path.split("?", 1)[0]
            with hub.lock:
                hub.log.append((self.command, path, self.headers.get("Range")))
            m = re.match(r"^/api/models/([^/]+/[^/]+)(?:/revision/([^/]+))?$", path)
            if m:
                return self._info(m.group(1), head)
            m = re.match(r"^/([^/]+/[^/]+)/resolve/([^/]+)/(.+)$", path)
            if m:
                return self._file(m.group(1), m.group(3), head)
            self._json(404, {"error": "not found"}, {"X-Error-Code": "RepoNotFound"})

        def _info(self, repo: str, head: bool):
            files = hub.repos.get(repo)
            if files is None:
                return self._json(401, {"error": "Repository not found"}, {"X-Error-Code": "RepoNotFound"})
            siblings = []
            for name, data in sorted(files.items()):
                s = {"rfilename": name, "size": len(data), "blobId": blob_id(data)}
                if name.endswith(LFS):
                    s["lfs"] = {"size": len(data), "sha256": hashlib.sha256(data).hexdigest(), "pointerSize": 134}
                siblings.append(s)
            self._json(200, {"id": repo, "modelId": repo, "sha": COMMIT, "private": False,
                             "gated": "auto" if repo in hub.gated else False, "siblings": siblings})  # fmt: skip

        def _file(self, repo: str, name: str, head: bool):
            files = hub.repos.get(repo)
            if files is None or name not in files:
                code = "RepoNotFound" if files is None else "EntryNotFound"
                return (
                    self._json(404, {"error": code}, {"X-Error-Code": code})
                    if not head
                    else self._send(404, b"", {"X-Error-Code": code}, head=True)
                )
            if repo in hub.gated and self.headers.get("Authorization") != f"Bearer {hub.gated[repo]}":
                return self._send(401, b"gated", {"X-Error-Code": "GatedRepo", "X-Error-Message": "gated"}, head=head)
            data = files[name]
            etag = hashlib.sha256(data).hexdigest() if name.endswith(LFS) else blob_id(data)
            if name in hub.corrupt:
                data = bytes([data[0] ^ 0xFF]) + data[1:]
            headers = {"X-Repo-Commit": COMMIT, "ETag": f'"{etag}"', "Accept-Ranges": "bytes"}
            start = 0
            rng = self.headers.get("Range")
            if rng and (m := re.match(r"bytes=(\d+)-", rng)):
                start = int(m.group(1))
            body = data[start:]
            self.send_response(206 if start else 200)
            for k, v in headers.items():
                self.send_header(k, v)
            if start:
                self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if head:
                return
            try:
                if name in hub.slow:
                    step = hub.slow_chunk
                    for i in range(0, len(body), step):
                        self.wfile.write(body[i : i + step])
                        self.wfile.flush()
                        time.sleep(hub.slow_s)
                else:
                    self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass

        def do_GET(self):
            self._route(head=False)

        def do_HEAD(self):
            self._route(head=True)

    return Handler


class HubServer:
    """``with HubServer(hub) as url:`` serves ``hub`` on 127.0.0.1 (a free port) in a thread."""

    def __init__(self, hub: Hub):
        self.hub = hub
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(hub))
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def __enter__(self) -> str:
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self.url

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()
