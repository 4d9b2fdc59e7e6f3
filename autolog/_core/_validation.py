"""Validation of keys, values and ids before anything is written.

Every rejection is an :class:`InvalidInputError` that names the offending key or value.
"""

from __future__ import annotations

import math
import numbers
import re
import warnings
from collections.abc import Iterable
from typing import Any

from autolog._core._constants import MAX_KEY_LENGTH
from autolog._core._entities import RunStatus
from autolog._core._exceptions import InvalidInputError

MAX_PARAM_VALUE_LENGTH = 6000
MAX_TAG_VALUE_LENGTH = 8000
MAX_EXPERIMENT_NAME_LENGTH = 500
TRUNCATION_MARKER = "...[truncated]"

_KEY_PATTERN = re.compile(r"[A-Za-z0-9_\-./ :]+")
_RUN_ID_PATTERN = re.compile(r"[0-9a-f]{32}")
# NUL cannot be stored in PostgreSQL text, an unpaired surrogate in no UTF-8 database.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_INT64_MAX = 2**63 - 1


def validate_key(key: Any, kind: str) -> str:
    """Return ``key`` if it is a valid param/metric/tag key, else raise naming it.

    Keys are 1 to 250 characters of ``[A-Za-z0-9_-./ :]``, without ``..`` and without a leading
    ``/``, so that they can never be mistaken for paths outside a run.
    """
    if type(key) is not str:
        raise InvalidInputError(f"{kind} key must be a string, got {type(key).__name__}: {key!r}")
    if len(key) > MAX_KEY_LENGTH:
        raise InvalidInputError(
            f"{kind} key {key[:40]!r}... is {len(key)} characters long; the limit is {MAX_KEY_LENGTH}"
        )
    if not _KEY_PATTERN.fullmatch(key):
        raise InvalidInputError(
            f"invalid {kind} key {key!r}: use 1 to {MAX_KEY_LENGTH} of the characters "
            "letters, digits, '_', '-', '.', '/', ' ' and ':'"
        )
    if ".." in key or key.startswith("/"):
        raise InvalidInputError(f"invalid {kind} key {key!r}: no '..' and no leading '/'")
    return key


def metric_value(key: str, value: Any) -> tuple[float | None, bool]:
    """Return ``(value, is_nan)`` for storage: NaN becomes ``(None, True)``; inf stays inf."""
    value_type = type(value)
    if value_type is not float and value_type is not int:
        if isinstance(value, bool) or value_type.__name__ == "bool_" or not isinstance(value, numbers.Real):
            raise InvalidInputError(
                f"metric {key!r} must be a real number, got {value_type.__name__}: {value!r}"
            )
    try:
        number = float(value)
    except (OverflowError, ValueError, TypeError) as exc:
        raise InvalidInputError(f"metric {key!r}: {value!r} is not a float: {exc}") from exc
    if math.isnan(number):
        return None, True
    return number, False


def integer(value: Any, what: str) -> int:
    """An int (also numpy integers), rejecting bool, floats and strings; names ``what``."""
    if type(value) is int:
        number = value
    elif isinstance(value, numbers.Integral) and not isinstance(value, bool):
        number = int(value)
    else:
        raise InvalidInputError(f"{what} must be an integer, got {type(value).__name__}: {value!r}")
    if abs(number) > _INT64_MAX:
        raise InvalidInputError(f"{what} {number} does not fit in 64 bits")
    return number


def storable_text(text: str, what: str) -> str:
    """``text`` if both databases can store it, else ``InvalidInputError`` naming ``what``."""
    found = _UNSTORABLE.search(text)
    if found is not None:
        problem = "a NUL character" if found.group() == "\x00" else f"an unpaired surrogate {found.group()!r}"
        raise InvalidInputError(
            f"{what} {text[:40]!r} contains {problem} at position {found.start()}: it is not storable text"
        )
    return text


def has_unstorable(text: str) -> bool:
    """Whether ``text`` holds a character no database stores (such text names nothing stored)."""
    return _UNSTORABLE.search(text) is not None


def lookup_text(value: Any, what: str) -> str:
    """A string to look something up by; ``InvalidInputError`` for non-strings and unstorable text."""
    if type(value) is not str:
        raise InvalidInputError(f"{what} must be a string, got {type(value).__name__}: {value!r}")
    return storable_text(value, what)


def optional_text(value: Any, what: str) -> str | None:
    """None, or ``value`` as storable text (run names, user ids, sources)."""
    if value is None:
        return None
    return storable_text(value if type(value) is str else str(value), what)


def text_values(pairs: Iterable[tuple[str, Any]], *, kind: str, limit: int) -> list[tuple[str, str]]:
    """Validate keys, stringify values and truncate over-long ones (one warning for all)."""
    result = []
    truncated = []
    for key, value in pairs:
        validate_key(key, kind)
        text = value if type(value) is str else str(value)
        if _UNSTORABLE.search(text) is not None:
            storable_text(text, f"{kind} value of {key!r}")
        if len(text) > limit:
            text = text[: limit - len(TRUNCATION_MARKER)] + TRUNCATION_MARKER
            truncated.append(key)
        result.append((key, text))
    if truncated:
        warnings.warn(
            f"{kind} value(s) of {', '.join(map(repr, truncated))} longer than {limit} characters "
            f"were truncated and end with {TRUNCATION_MARKER!r}",
            UserWarning,
            stacklevel=4,
        )
    return result


def param_values(pairs: Iterable[tuple[str, Any]]) -> list[tuple[str, str]]:
    """Validated, stringified, truncated params; a key given twice with two values is rejected."""
    checked = text_values(pairs, kind="param", limit=MAX_PARAM_VALUE_LENGTH)
    seen: dict[str, str] = {}
    for key, value in checked:
        if seen.setdefault(key, value) != value:
            raise InvalidInputError(
                f"param {key!r} is given twice in one call, with values {seen[key]!r} and {value!r}"
            )
    return checked


def tag_values(pairs: Iterable[tuple[str, Any]]) -> list[tuple[str, str]]:
    """Validated, stringified, truncated tags (for runs and experiments)."""
    return text_values(pairs, kind="tag", limit=MAX_TAG_VALUE_LENGTH)


def end_status(status: Any, subject: str) -> str:
    """``status`` when it ends a run (FINISHED, FAILED, KILLED); otherwise the error names ``subject``."""
    if status not in RunStatus.TERMINAL:
        raise InvalidInputError(f"invalid end status {status!r} for {subject}: one of {RunStatus.TERMINAL}")
    return status


def run_id(value: Any) -> str:
    """A syntactically valid run id (32 lowercase hex characters), else ``InvalidInputError``."""
    if type(value) is not str or not _RUN_ID_PATTERN.fullmatch(value):
        raise InvalidInputError(f"invalid run id {value!r}: expected 32 lowercase hex characters")
    return value


def experiment_id(value: Any) -> int:
    """The integer behind an experiment id string such as ``"0"``."""
    if isinstance(value, bool):
        raise InvalidInputError(f"invalid experiment id {value!r}")
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and value.isascii() and value.isdigit():
        number = int(value)
    else:
        raise InvalidInputError(f"invalid experiment id {value!r}: expected a string of digits")
    if not 0 <= number <= 2**31 - 1:
        raise InvalidInputError(f"invalid experiment id {value!r}: out of range")
    return number


def experiment_name(name: Any) -> str:
    """A non-blank experiment name of at most 500 characters."""
    if not isinstance(name, str) or not name.strip():
        raise InvalidInputError(f"experiment name must be a non-empty string, got {name!r}")
    storable_text(name, f"experiment name {name[:40]!r}")
    if len(name) > MAX_EXPERIMENT_NAME_LENGTH:
        raise InvalidInputError(
            f"experiment name {name[:40]!r}... is longer than {MAX_EXPERIMENT_NAME_LENGTH} characters"
        )
    return name


# --- model registry ----------------------------------------------------------------------------

MAX_MODEL_NAME_LENGTH = 256
MAX_ALIAS_LENGTH = 255
# Names end up in ``models:/<name>/<version>`` and ``models:/<name>@<alias>`` URIs and in URLs:
# no '/', '@' or ':'; letters, digits, '_', '-', '.' and inner spaces.
_MODEL_NAME_PATTERN = re.compile(r"[A-Za-z0-9_\-.]([A-Za-z0-9_\-. ]*[A-Za-z0-9_\-.])?")
_ALIAS_PATTERN = re.compile(r"[A-Za-z0-9_\-]+")
RESERVED_ALIAS = "latest"


def model_name(name: Any) -> str:
    """A valid registered model name, else ``InvalidInputError`` naming it.

    1 to 256 of letters, digits, ``_``, ``-``, ``.`` and spaces (not at either end), and not
    only dots.
    """
    if type(name) is not str:
        raise InvalidInputError(f"model name must be a string, got {type(name).__name__}: {name!r}")
    if len(name) > MAX_MODEL_NAME_LENGTH:
        raise InvalidInputError(
            f"model name {name[:40]!r}... is {len(name)} characters long; the limit is "
            f"{MAX_MODEL_NAME_LENGTH}"
        )
    if not _MODEL_NAME_PATTERN.fullmatch(name) or not name.strip("."):
        raise InvalidInputError(
            f"invalid model name {name!r}: use 1 to {MAX_MODEL_NAME_LENGTH} of the characters "
            "letters, digits, '_', '-', '.' and inner spaces (no '/', '@' or ':')"
        )
    return name


def alias_name(alias: Any) -> str:
    """A valid alias: letters, digits, ``_`` and ``-``; not numeric-only and not ``latest``."""
    if type(alias) is not str:
        raise InvalidInputError(f"alias must be a string, got {type(alias).__name__}: {alias!r}")
    if len(alias) > MAX_ALIAS_LENGTH or not _ALIAS_PATTERN.fullmatch(alias):
        raise InvalidInputError(
            f"invalid alias {alias!r}: use 1 to {MAX_ALIAS_LENGTH} of the characters letters, "
            "digits, '_' and '-'"
        )
    if alias.isdigit():
        raise InvalidInputError(
            f"invalid alias {alias!r}: an alias cannot be a number (it would read as a version)"
        )
    if alias.lower() == RESERVED_ALIAS:
        raise InvalidInputError(f"invalid alias {alias!r}: 'latest' is reserved for the newest version")
    return alias


def model_version(value: Any) -> int:
    """A version number >= 1, given as an int or a string of digits."""
    if isinstance(value, str) and value.isascii() and value.isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or not 1 <= int(value) <= 2**31 - 1:
        raise InvalidInputError(f"invalid model version {value!r}: expected an integer >= 1")
    return int(value)


def description(value: Any) -> str | None:
    """``None`` or a string (descriptions are free text)."""
    if value is None or type(value) is str:
        return value
    raise InvalidInputError(f"description must be a string or None, got {type(value).__name__}")
