"""The uncommitted changes of a dirty checkout, recorded once per store and diff.

Shared by every integration through :class:`autolog.engine.FitRecorder`. Importing this module
imports nothing beyond the standard library and the bottom layer.
"""

from __future__ import annotations

from typing import Any

from autolog._core._constants import (
    TAG_GIT_DIFF_ARTIFACT,
    TAG_GIT_DIFF_SHA256,
    TAG_GIT_DIRTY,
    TAG_SOURCE_ARGV,
)
from autolog._core._process import PROCESS, StatePart
from autolog.engine._state import get_options

GIT_DIFF_ARTIFACT = "code/git_diff.patch"


class _GitDiffState(StatePart):
    def __init__(self) -> None:
        self.last_digest: tuple[str, str] | None = None  # (diff text, sha256 hex) of the last diff seen
        # (tracking URI, sha256) -> "runs:/<run_id>/code/git_diff.patch" of the run holding that diff.
        self.locations: dict[tuple[str, str], str] = {}


_state = PROCESS.part("engine.git_diff", _GitDiffState)


def log_git_diff(run: Any) -> None:
    """Record the uncommitted changes of a dirty checkout, written ONCE per store and diff.

    Every run of a dirty checkout is tagged ``autolog.git.diff_sha256`` (content address) and
    ``autolog.git.diff_artifact`` (``runs:/<id>/code/git_diff.patch``, the run holding the
    text). The first run of the process that sees a given diff writes the artifact; later runs
    with the same diff (the common case: many fits from one script) refer to it instead of
    writing the same bytes again. ``run`` is the engine's ``RunHandle``.
    """
    from autolog.context import collect_run_context, git_diff

    if not get_options().log_git_diff or collect_run_context().get(TAG_GIT_DIRTY) != "true":
        return
    diff = git_diff()
    if not diff:
        return
    digest = _digest_of(diff)
    key = (run.client.tracking_uri, digest)
    location = _state.locations.get(key)
    if location is None:
        run.log_text(diff, GIT_DIFF_ARTIFACT)
        location = f"runs:/{run.run_id}/{GIT_DIFF_ARTIFACT}"
        _state.locations[key] = location
    run.set_tags({TAG_GIT_DIFF_SHA256: digest, TAG_GIT_DIFF_ARTIFACT: location})


def recorded_context(context: dict) -> dict:
    """The run-context tags as the options allow: without ``autolog.source.argv`` when
    ``autolog(log_argv=False)`` (a new dict: ``context`` is the process's cached one)."""
    if get_options().log_argv:
        return context
    return {key: value for key, value in context.items() if key != TAG_SOURCE_ARGV}


def _digest_of(diff: str) -> str:
    last = _state.last_digest
    if last is not None and (last[0] is diff or last[0] == diff):
        return last[1]
    import hashlib

    digest = hashlib.sha256(diff.encode("utf-8")).hexdigest()
    _state.last_digest = (diff, digest)
    return digest
