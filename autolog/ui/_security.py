"""The UI's guards: Host and Origin checks, CSRF for writes, security headers, artifact paths.

The server binds to 127.0.0.1 by default; a web page on another site must still not be able to
read or change anything through the user's browser. Hence:

- Host check (DNS rebinding): the ``Host`` header must name the server (the bound address,
  ``localhost``, loopback addresses, or names the user allowed explicitly). IP literals of the
  machine cannot be rebound by DNS, names can.
- Origin check: a request carrying an ``Origin`` that is not this server is refused.
- Writes (POST/PUT/PATCH/DELETE) need ``Content-Type: application/json`` and the per-process CSRF
  token in ``X-CSRF-Token``; a cross-site form cannot set either.
- Every response carries a strict Content-Security-Policy (no inline scripts), ``nosniff`` and
  ``frame-ancestors 'none'``.
"""

from __future__ import annotations

import hmac
import ipaddress
import posixpath
import secrets
import urllib.parse
from collections.abc import Iterable

from autolog._core._exceptions import InvalidInputError

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1", "[::1]"})
CSRF_HEADER = "x-csrf-token"

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
# Artifacts served to the browser: nothing in them may run, even when opened directly.
ARTIFACT_CSP = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"

SECURITY_HEADERS = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
]


def new_csrf_token() -> str:
    """A fresh random token for this server process."""
    return secrets.token_urlsafe(32)


def default_allowed_hosts(bind_host: str, extra: Iterable[str] = ()) -> frozenset:
    """The host names accepted in the ``Host`` header for a server bound to ``bind_host``."""
    names = set(LOOPBACK_NAMES) | {_strip_brackets(bind_host).lower()} | {h.lower() for h in extra}
    return frozenset(names)


def _strip_brackets(host: str) -> str:
    return host[1:-1] if host.startswith("[") and host.endswith("]") else host


def split_host_header(value: str) -> str:
    """Return the host name of a ``Host`` header value, without the port, lower-cased."""
    value = value.strip().lower()
    if value.startswith("["):
        end = value.find("]")
        return value[1:end] if end > 0 else value
    return value.rsplit(":", 1)[0] if value.count(":") == 1 else value


def host_allowed(host_header: str | None, allowed: frozenset, *, any_ip: bool) -> bool:
    """True when the ``Host`` header names this server.

    ``any_ip`` (server bound to all interfaces) also accepts any IP literal: DNS cannot rebind an
    address typed as numbers.
    """
    if not host_header:
        return False
    name = split_host_header(host_header)
    if name in allowed:
        return True
    return any_ip and _is_ip_literal(name)


def _is_ip_literal(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def origin_allowed(origin: str | None, host_header: str | None) -> bool:
    """True when there is no ``Origin`` or it is this server (same scheme-less host and port)."""
    if origin is None:
        return True
    if origin == "null" or not host_header:
        return False
    parsed = urllib.parse.urlsplit(origin)
    return parsed.scheme in ("http", "https") and parsed.netloc.lower() == host_header.strip().lower()


def csrf_ok(sent: str | None, expected: str) -> bool:
    """Constant-time comparison of the token sent with the server's token."""
    return bool(sent and hmac.compare_digest(sent.encode(), expected.encode()))


class SecurityMiddleware:
    """Pure ASGI middleware: Host, Origin and CSRF checks, then security headers on every reply."""

    def __init__(self, app, *, allowed_hosts: frozenset, any_ip: bool, csrf_token: str):
        self.app = app
        self.allowed_hosts = allowed_hosts
        self.any_ip = any_ip
        self.csrf_token = csrf_token

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = _headers(scope)
        refusal = self._refusal(scope["method"], headers)
        if refusal is not None:
            return await _plain_response(send, *refusal)
        await self.app(scope, receive, _with_security_headers(send))

    def _refusal(self, method: str, headers: dict) -> tuple | None:
        host = headers.get("host")
        if not host_allowed(host, self.allowed_hosts, any_ip=self.any_ip):
            return 400, "Invalid Host header: this server only answers to its own address."
        if not origin_allowed(headers.get("origin"), host):
            return 403, "Cross-origin request refused."
        if method in SAFE_METHODS:
            return None
        if headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
            return 403, "Cross-site write refused."
        content_type = headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if content_type != "application/json":
            return 415, "Writes must be sent as application/json."
        if not csrf_ok(headers.get(CSRF_HEADER), self.csrf_token):
            return 403, "Missing or wrong CSRF token (header X-CSRF-Token)."
        return None


def _headers(scope) -> dict:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}


def _with_security_headers(send):
    async def wrapped(message):
        if message["type"] == "http.response.start":
            present = {k.lower() for k, _ in message.get("headers", [])}
            extra = [(k, v) for k, v in SECURITY_HEADERS if k not in present]
            message = {**message, "headers": list(message.get("headers", [])) + extra}
        await send(message)

    return wrapped


async def _plain_response(send, status: int, text: str) -> None:
    body = (text + "\n").encode()
    headers = [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers + SECURITY_HEADERS})
    await send({"type": "http.response.body", "body": body})


# --------------------------------------------------------------------------- artifact paths


def clean_artifact_path(raw: str | None) -> str:
    """Validate an artifact path from a request and return it normalized ("" is the root).

    Refuses, with :class:`InvalidInputError`: ``..`` segments, absolute paths, drive letters,
    backslashes, NUL and control characters, and the same hidden behind one or more layers of
    percent-encoding. The store confines paths too; this is the UI's own, earlier, check.

    Parameters
    ----------
    raw : str or None
        The path as received (already URL-decoded once by the server).

    Returns
    -------
    str
        A relative POSIX path without ``.`` segments or trailing slash.
    """
    if raw is None:
        return ""
    decoded = _fully_unquoted(raw)
    for candidate in {raw, decoded}:
        _refuse_unsafe(candidate, raw)
    if raw != decoded:
        raise InvalidInputError(f"invalid artifact path {raw!r}: percent-encoded characters are not accepted")
    parts = [p for p in raw.split("/") if p not in ("", ".")]
    return posixpath.join(*parts) if parts else ""


def _fully_unquoted(value: str, rounds: int = 5) -> str:
    for _ in range(rounds):
        unquoted = urllib.parse.unquote(value)
        if unquoted == value:
            break
        value = unquoted
    return value


def _refuse_unsafe(candidate: str, raw: str) -> None:
    if any(ord(c) < 32 or ord(c) == 127 for c in candidate):
        raise InvalidInputError(f"invalid artifact path {raw!r}: control characters are not accepted")
    if "\\" in candidate:
        raise InvalidInputError(f"invalid artifact path {raw!r}: backslashes are not accepted")
    if candidate.startswith("/") or (len(candidate) > 1 and candidate[1] == ":"):
        raise InvalidInputError(f"invalid artifact path {raw!r}: absolute paths are not accepted")
    if ".." in candidate.split("/"):
        raise InvalidInputError(f"invalid artifact path {raw!r}: '..' is not accepted")
