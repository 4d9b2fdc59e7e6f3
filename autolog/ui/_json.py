"""JSON in and out of the UI's API: safe-to-sniff responses and request bodies that must be objects."""

from __future__ import annotations

import json

from starlette.requests import Request
from starlette.responses import JSONResponse

from autolog._core._exceptions import InvalidInputError
from autolog.ui._format import json_safe


class SafeJSONResponse(JSONResponse):
    """JSON with NaN/inf as strings and ``<``, ``>``, ``&`` escaped (inert if sniffed as HTML)."""

    def render(self, content) -> bytes:
        try:  # the common case, without walking every value (a chart's 30,000 numbers) in Python
            text = json.dumps(content, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
        except ValueError:  # a NaN or an infinity somewhere
            text = json.dumps(json_safe(content), ensure_ascii=False, allow_nan=False, separators=(",", ":"))
        text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
        return text.encode("utf-8")


async def json_body(request: Request) -> dict:
    try:
        body = await request.json()
    except ValueError as exc:
        raise InvalidInputError("the request body is not valid JSON") from exc
    if not isinstance(body, dict):
        raise InvalidInputError("the request body must be a JSON object")
    return body
