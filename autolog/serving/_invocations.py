"""``POST /invocations`` as a bare ASGI handler: the one route whose latency matters.

Everything else (/ping, /health, /version, 404s) goes to the Starlette app behind it. The handler
reads the body within the limits, parses it, checks the row limit, predicts and answers one JSON
document, without a Request object, routing table or exception middleware per request.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any
from urllib.parse import parse_qs

from autolog._core._exceptions import InvalidInputError
from autolog.serving._inputs import Limits, PayloadTooLargeError, check_rows, parse_csv, parse_json
from autolog.serving._model import ServedModel, jsonable

PATH = "/invocations"
_JSON_TYPES = ("application/json", "")
_CSV_TYPES = ("text/csv", "application/csv")
_JSON_HEADERS = [(b"content-type", b"application/json")]


class UnsupportedMediaTypeError(InvalidInputError):
    """A body in a content type /invocations does not read (HTTP 415)."""


class Invocations:
    """ASGI: answer ``POST /invocations`` here, pass every other request to ``app``."""

    def __init__(self, served: ServedModel, limits: Limits, app: Any) -> None:
        self.served, self.limits, self.app = served, limits, app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"] != PATH:
            await self.app(scope, receive, send)
            return
        if scope["method"] != "POST":
            await _send(send, 405, {"error_code": "METHOD_NOT_ALLOWED", "message": "use POST"}, b"POST")
            return
        try:
            status, document = 200, await self._answer(scope, receive)
        except _ClientGone:
            return
        except Exception as error:
            status, document = error_document(error)
        await _send(send, status, document)

    async def _answer(self, scope: dict, receive: Any) -> dict:
        headers = dict(scope["headers"])
        body = await _read_body(receive, headers.get(b"content-length"), self.limits.max_body_bytes)
        data, method = _parse(body, headers.get(b"content-type", b"").decode("latin-1"))
        rows = check_rows(data, self.limits)
        scope.setdefault("state", {})["rows"] = rows  # for the access log
        if scope["query_string"]:
            method = parse_qs(scope["query_string"].decode("latin-1")).get("method", [method])[-1]
        if rows <= self.served.plan.inline_rows:  # cheaper than the hand-off to a thread
            predictions = self.served.predict(data, method)
        else:
            loop = asyncio.get_running_loop()
            predictions = await loop.run_in_executor(None, self.served.predict, data, method)
        return {"predictions": jsonable(predictions)}


def error_document(error: Exception) -> tuple[int, dict]:
    """``(status, {"error_code", "message"})`` for a request that failed with ``error``."""
    if isinstance(error, PayloadTooLargeError):
        return 413, {"error_code": "PAYLOAD_TOO_LARGE", "message": str(error)}
    if isinstance(error, UnsupportedMediaTypeError):
        return 415, {"error_code": "UNSUPPORTED_MEDIA_TYPE", "message": str(error)}
    if isinstance(error, InvalidInputError):
        return 400, {"error_code": "BAD_REQUEST", "message": str(error)}
    logging.getLogger("autolog.serving").error("prediction failed: %s: %s", type(error).__name__, error)
    message = "the model failed on this request; the server log has the details"
    return 500, {"error_code": "INTERNAL_ERROR", "message": message}


async def _read_body(receive: Any, declared: bytes | None, limit: int) -> bytes:
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLargeError(f"the body is {declared.decode()} bytes; the limit is {limit}")
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] != "http.request":  # http.disconnect: nobody is left to answer
            raise _ClientGone()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise PayloadTooLargeError(f"the body is over the limit of {limit} bytes")
        chunks.append(chunk)
        if not message.get("more_body", False):
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def _parse(body: bytes, content_type: str) -> tuple[Any, str | None]:
    media_type = content_type.split(";")[0].strip().lower()
    if media_type in _JSON_TYPES:
        return parse_json(body)
    if media_type in _CSV_TYPES:
        return parse_csv(body), None
    raise UnsupportedMediaTypeError(
        f"content type {media_type!r} is not accepted; send application/json or text/csv"
    )


class _ClientGone(Exception):
    pass


async def _send(send: Any, status: int, document: dict, allow: bytes | None = None) -> None:
    body = json.dumps(document, allow_nan=False).encode()
    headers = [*_JSON_HEADERS, (b"content-length", str(len(body)).encode())]
    if allow is not None:
        headers.append((b"allow", allow))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
