"""Loopback servers answer only to this machine's names: the ``Host`` check against DNS rebinding, and no
credentialed CORS for other origins. Used by ``studio serve`` and the web UI (``studio/app.py``).

A page at ``http://evil.example`` whose name an attacker re-points to 127.0.0.1 reaches a loopback server as
the "same origin", with ``Host: evil.example``; a browser cannot forge that header, so a server bound to
loopback refuses any ``Host`` that is not 127.0.0.1, localhost, [::1] or the address it was told to bind.
Off loopback a password or key guards the server instead and any ``Host`` is accepted (names and proxies vary).
Pure ASGI (no framework import), so it can sit outside everything else.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")


def is_loopback(host: str) -> bool:
    """Whether binding ``host`` only accepts connections from this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a hostname may resolve to a public address


def host_name(header: str) -> str:
    """The name in a ``Host`` header, without port or IPv6 brackets, lower case: ``[::1]:8000`` -> ``::1``."""
    header = header.strip().lower()
    if header.startswith("["):
        return header[1 : header.find("]")] if "]" in header else header
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


def allowed_hosts(bind: str) -> frozenset[str] | None:
    """Host names a server bound to ``bind`` answers to: the loopback names and ``bind`` itself when ``bind`` is
    loopback; None (any name) off loopback."""
    return frozenset({*LOOPBACK_NAMES, bind.strip("[]").lower()}) if is_loopback(bind) else None


def _header(scope, name: bytes) -> str | None:
    for key, value in scope.get("headers") or []:
        if key.lower() == name:
            return value.decode("latin-1")
    return None


async def send_response(send, status: int, body: bytes, content_type: bytes = b"application/json") -> None:
    """One complete HTTP response through ASGI ``send``."""
    headers = [(b"content-type", content_type), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class HostGuard:
    """ASGI middleware: a request whose ``Host`` is not in ``hosts`` gets a 400 from ``body(host)`` and reaches
    nothing else (a WebSocket is closed with 1008). ``hosts`` None lets every request through."""

    def __init__(self, app, hosts: frozenset[str] | None, body, content_type: bytes = b"application/json"):
        self.app, self.hosts, self.body, self.content_type = app, hosts, body, content_type

    async def __call__(self, scope, receive, send):
        if self.hosts is None or scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        raw = _header(scope, b"host") or ""
        if host_name(raw) in self.hosts:
            return await self.app(scope, receive, send)
        if scope["type"] == "websocket":
            return await send({"type": "websocket.close", "code": 1008})
        await send_response(send, 400, self.body(raw), self.content_type)


class SameOriginOnly:
    """ASGI middleware: a browser request from another origin (its ``Origin`` is not this request's scheme and
    ``Host``) never gets ``Access-Control-Allow-Credentials`` or ``-Allow-Origin`` back, and one that
    could change something (any method but GET/HEAD/OPTIONS) is refused with 403 before the app sees it.

    Gradio 6.31 answers every request carrying an ``Origin`` with ``Access-Control-Allow-Credentials: true``
    and, on localhost, allows any ``http://localhost:*`` origin: another local web server (any port) could drive
    the studio with the user's login cookie. Requests without ``Origin`` (gradio_client, curl, same-origin GETs)
    pass untouched.
    """

    STRIP = (b"access-control-allow-credentials", b"access-control-allow-origin")

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        origin = _header(scope, b"origin")
        if origin is None or self.same_origin(origin, scope.get("scheme", "http"), _header(scope, b"host") or ""):
            return await self.app(scope, receive, send)
        if scope["method"] not in ("GET", "HEAD", "OPTIONS"):
            body = f"requests from {origin} are not allowed (this server answers its own pages only)".encode()
            return await send_response(send, 403, body, b"text/plain; charset=utf-8")

        async def strip(message):
            if message["type"] == "http.response.start":
                message = {**message, "headers": [(k, v) for k, v in message.get("headers", [])
                                                  if k.lower() not in self.STRIP]}  # fmt: skip
            await send(message)

        await self.app(scope, receive, strip)

    @staticmethod
    def same_origin(origin: str, scheme: str, host: str) -> bool:
        """Whether ``origin`` is this server's own page: the request's scheme and its ``Host``, port included."""
        try:
            parts = urlsplit(origin)
        except ValueError:
            return False
        return bool(host) and parts.scheme == scheme and parts.netloc.lower() == host.strip().lower()
