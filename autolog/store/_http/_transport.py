"""HTTP/1.1 to the tracking server with the standard library: keep-alive, retries, error mapping.

Why ``http.client`` and not httpx, urllib3 or requests: the store talks to ONE host, so "pooling"
is one persistent keep-alive connection per thread, which ``http.client`` gives directly; it adds
no dependency (httpx is only a test dependency, urllib3/requests are not installed with autolog)
and costs the least to import (httpx took ~470 ms to import on the CI machine, http.client
~120 ms, most of it shared with the rest of the standard library).
"""

from __future__ import annotations

import http.client
import random
import socket
import threading
import time
import urllib.parse
import weakref
from typing import Any

from autolog._core._exceptions import (
    AutologError,
    ConflictError,
    InvalidInputError,
    NotFoundError,
    StoreError,
)
from autolog.store._http import _codec

API_PREFIX = "/api/v1"
TIMEOUT_S = 30.0


class AccessDeniedError(AutologError):
    """The server refused the call: no valid token (401) or too low a permission (403)."""


class ServerUnreachableError(StoreError):
    """The server could not be reached (connection refused, reset or timed out) after retries."""


_ERRORS = {
    400: InvalidInputError,
    401: AccessDeniedError,
    403: AccessDeniedError,
    404: NotFoundError,
    409: ConflictError,
}
# Errors where the request may not have reached the server, or its answer was lost.
_CONNECTION_ERRORS = (ConnectionError, socket.timeout, TimeoutError, http.client.HTTPException, OSError)


class Transport:
    """Calls of one server; safe to share between threads (each has its own connection).

    Parameters
    ----------
    base_url : str
        ``http://host:port`` or ``https://host:port`` (a path prefix is kept).
    token : str, optional
        Sent as ``Authorization: Bearer``; never logged or put in error messages.
    retry_budget_s : float
        How long retryable failures are retried (exponential backoff with jitter).
    """

    def __init__(self, base_url: str, token: str | None = None, *, retry_budget_s: float = 10.0):
        parsed = urllib.parse.urlsplit(base_url)
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise InvalidInputError(f"invalid server URL {base_url!r}: expected http(s)://host[:port]")
        self.base_url = base_url.rstrip("/")
        self._scheme = parsed.scheme
        self._host = parsed.hostname
        self._port = parsed.port
        self._prefix = parsed.path.rstrip("/") + API_PREFIX
        self._headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if token:
            self._headers["Authorization"] = f"Bearer {token}"
        self.retry_budget_s = retry_budget_s
        self._local = threading.local()

    def __repr__(self) -> str:
        return f"Transport({self.base_url!r})"  # never the token

    def _connection(self) -> http.client.HTTPConnection:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            if self._scheme == "https":
                connection = http.client.HTTPSConnection(self._host, self._port, timeout=TIMEOUT_S)
            else:
                connection = http.client.HTTPConnection(self._host, self._port, timeout=TIMEOUT_S)
            self._local.connection = connection
            _OPEN_CONNECTIONS.add(connection)
        return connection

    def _drop_connection(self) -> None:
        connection = getattr(self._local, "connection", None)
        self._local.connection = None
        if connection is not None:
            connection.close()

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        query: dict | None = None,
        idempotent: bool = True,
        raw_body: bytes | None = None,
        raw_response: bool = False,
        budget_s: float | None = None,
    ) -> Any:
        """Send one request and return the decoded result; map HTTP errors to autolog errors.

        Connection errors and 5xx answers are retried with backoff for ``retry_budget_s`` when
        the call is ``idempotent``; a non-idempotent call is retried only when the connection
        was refused (the request never reached the server).
        """
        url = self._prefix + path
        if query:
            url += "?" + urllib.parse.urlencode({k: v for k, v in query.items() if v is not None})
        data = raw_body if raw_body is not None else (None if body is None else _codec.dumps(body))
        deadline = time.monotonic() + (self.retry_budget_s if budget_s is None else budget_s)
        attempt = 0
        while True:
            attempt += 1
            try:
                status, payload = self._send(method, url, data)
            except _CONNECTION_ERRORS as exc:
                self._drop_connection()
                refused = isinstance(exc, ConnectionRefusedError)
                if (idempotent or refused) and time.monotonic() < deadline:
                    _sleep_backoff(attempt, deadline)
                    continue
                raise ServerUnreachableError(
                    f"cannot reach the tracking server {self.base_url}: {type(exc).__name__}: {exc}"
                ) from None
            if status >= 500 and idempotent and time.monotonic() < deadline:
                _sleep_backoff(attempt, deadline)
                continue
            return _result(status, payload, raw_response)

    def _send(self, method: str, url: str, data: bytes | None) -> tuple[int, bytes]:
        connection = self._connection()
        for fresh in (False, True):
            try:
                connection.request(method, url, body=data, headers=self._headers)
                response = connection.getresponse()
                return response.status, response.read()
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                # A kept-alive connection the server closed meanwhile: one retry on a new one.
                self._drop_connection()
                if fresh:
                    raise
                connection = self._connection()
        raise AssertionError("unreachable")


_OPEN_CONNECTIONS: weakref.WeakSet = weakref.WeakSet()


def close_connections() -> None:
    """Close every kept-alive connection (at exit, after the last batch and upload were sent)."""
    for connection in list(_OPEN_CONNECTIONS):
        connection.close()


def _sleep_backoff(attempt: int, deadline: float) -> None:
    delay = min(2.0, 0.05 * 2 ** min(attempt, 6)) * (0.5 + random.random() / 2)
    time.sleep(max(0.0, min(delay, deadline - time.monotonic())))


def _result(status: int, payload: bytes, raw_response: bool) -> Any:
    if status < 300:
        return payload if raw_response else _codec.loads(payload)
    message = payload.decode("utf-8", "replace")
    try:
        decoded = _codec.loads(payload)
        if isinstance(decoded, dict) and "error" in decoded:
            message = decoded["error"]
    except ValueError:
        pass
    error = _ERRORS.get(status)
    if error is None:
        error = StoreError
        message = f"tracking server error {status}: {message}"
    raise error(message)
