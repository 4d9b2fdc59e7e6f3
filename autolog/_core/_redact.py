"""Keep secrets out of what autolog shows and stores: passwords in URIs, secret-looking argv.

``redact_uri`` hides the password of ``scheme://user:password@host`` and the value of
secret-looking query parameters (``?password=...``); ``redact_text`` does the same for every URI
inside a longer text (an error message). ``redact_argv`` (used before ``sys.argv`` is recorded
on a run) hides the value of every secret-looking flag, as ``--flag=value`` or ``--flag value``,
and the userinfo of URLs. Standard library only.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

REDACTED = "***"
_SECRET_WORDS = ("pass", "pwd", "token", "secret", "key", "credential", "auth")
_SECRET_NAME = re.compile("|".join(_SECRET_WORDS), re.IGNORECASE)
# scheme://user:password@  (the password may be empty; it stops at '@' before the host)
_USERINFO = re.compile(r"(?P<head>\b[A-Za-z][A-Za-z0-9+.\-]*://[^\s/@:?#]*):(?P<secret>[^\s/@?#]*)@")
# scheme://token@ (userinfo without a colon: a token used as the user name, as GitHub's)
_BARE_USERINFO = re.compile(r"(?P<head>\b(?:https?|git|ssh|ftp)://)(?P<secret>[^\s/@:?#]+)@")
_QUERY_SECRET = re.compile(r"(?P<head>[?&;](?P<name>[A-Za-z0-9_.\-]+)=)(?P<secret>[^&#\s]*)")


def is_secret_name(name: str) -> bool:
    """Whether a flag, parameter or field name looks like it holds a secret (password, token...)."""
    return bool(_SECRET_NAME.search(name))


def redact_uri(uri: str) -> str:
    """``uri`` with its password and secret-looking query values replaced by ``***``."""
    return redact_text(uri)


def redact_text(text: str) -> str:
    """``text`` with the password of every ``scheme://user:password@`` URI in it and every
    secret-looking ``?name=value`` query value replaced by ``***``."""
    if not isinstance(text, str):
        text = str(text)
    text = _USERINFO.sub(lambda m: f"{m['head']}:{REDACTED}@", text)
    text = _BARE_USERINFO.sub(lambda m: f"{m['head']}{REDACTED}@", text)
    return _QUERY_SECRET.sub(
        lambda m: m["head"] + (REDACTED if is_secret_name(m["name"]) else m["secret"]), text
    )


def redact_argv(argv: Iterable[str]) -> list:
    """A copy of ``argv`` with secret values hidden: ``--db-password=x`` and ``--token x`` keep
    the flag and lose the value, URLs lose their userinfo and secret-looking query values."""
    redacted: list = []
    hide_next = False
    for argument in (str(a) for a in argv):
        if hide_next and not argument.startswith("-"):
            redacted.append(REDACTED)
            hide_next = False
            continue
        hide_next = False
        flag, equals, _value = argument.partition("=")
        if argument.startswith("-") and is_secret_name(flag):
            if equals:
                redacted.append(f"{flag}={REDACTED}")
            else:
                redacted.append(argument)
                hide_next = True
            continue
        redacted.append(redact_text(argument))
    return redacted
