"""JSON from files others may have written, with size and nesting-depth caps.

``json.loads`` recurses once per nesting level (100,000 ``[`` raise ``RecursionError``), and
pretty-printing recurses again; a 400 MB file is read whole. These helpers refuse both with an
``InvalidInputError`` naming the limit, before parsing.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import IO, Any

from autolog._core._exceptions import InvalidInputError

MAX_JSON_DEPTH = 100
MAX_METADATA_BYTES = 4 * 1024 * 1024  # autolog-model.json: signature and requirements included
MAX_INPUT_EXAMPLE_BYTES = 16 * 1024 * 1024


def _deeper_than(value: Any, limit: int) -> bool:
    """Whether lists/dicts in ``value`` nest deeper than ``limit`` (iterative: no recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (list, dict)):
            if depth > limit:
                return True
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children if isinstance(child, (list, dict)))
    return False


def loads_bounded(data: Any, *, what: str, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """``json.loads(data)`` refusing nesting deeper than ``max_depth`` (InvalidInputError).

    The C decoder is linear and stops a very deep document with RecursionError at about the
    interpreter's recursion limit, before using much memory; anything that parses is then
    measured without recursion.
    """
    too_deep = InvalidInputError(
        f"{what} is nested more than {max_depth} levels deep, the most autolog reads"
    )
    try:
        value = json.loads(data)
    except RecursionError:
        raise too_deep from None
    if _deeper_than(value, max_depth):
        raise too_deep
    return value


def read_bounded(path: str, *, what: str, max_bytes: int, opener: Callable[..., IO] = open) -> Any:
    """Parse the JSON file ``path`` refusing more than ``max_bytes`` bytes or a too deep nesting."""
    with opener(path, "rb") as handle:
        raw = handle.read(max_bytes + 1)
    if len(raw) > max_bytes:
        raise InvalidInputError(
            f"{what} is larger than {max_bytes // (1024 * 1024)} MB, the most autolog reads"
        )
    return loads_bounded(raw, what=what)
