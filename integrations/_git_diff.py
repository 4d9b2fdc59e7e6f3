"""The uncommitted changes of a dirty checkout, recorded once per store and diff.

Shared by every integration (scikit-learn's recorder and :class:`autolog.integrations._framework.
FrameworkRecorder`). Importing this module imports nothing beyond the standard library.
"""

from __future__ import annotations

from typing import Any

GIT_DIFF_ARTIFACT = "code/git_diff.patch"
GIT_DIFF_SHA_TAG = "autolog.git.diff_sha256"
GIT_DIFF_ARTIFACT_TAG = "autolog.git.diff_artifact"
_diff_digest: list = []  # [(diff text, sha256 hex)]: the digest of the last diff seen
# (tracking URI, sha256) -> "runs:/<run_id>/code/git_diff.patch" of the run holding that diff.
_diff_locations: dict[tuple[str, str], str] = {}


def log_git_diff(run: Any) -> None:
    """Record the uncommitted changes of a dirty checkout, written ONCE per store and diff.

    Every run of a dirty checkout is tagged ``autolog.git.diff_sha256`` (content address) and
    ``autolog.git.diff_artifact`` (``runs:/<id>/code/git_diff.patch``, the run holding the
    text). The first run of the process that sees a given diff writes the artifact; later runs
    with the same diff (the common case: many fits from one script) refer to it instead of
    writing the same bytes again. ``run`` is the engine's ``RunHandle``.
    """
    from autolog.context import collect_run_context, git_diff
    from autolog.engine import get_options

    if not get_options().log_git_diff or collect_run_context().get("autolog.git.dirty") != "true":
        return
    diff = git_diff()
    if not diff:
        return
    digest = _digest_of(diff)
    key = (run.client.tracking_uri, digest)
    location = _diff_locations.get(key)
    if location is None:
        run.log_text(diff, GIT_DIFF_ARTIFACT)
        location = f"runs:/{run.run_id}/{GIT_DIFF_ARTIFACT}"
        _diff_locations[key] = location
    run.set_tags({GIT_DIFF_SHA_TAG: digest, GIT_DIFF_ARTIFACT_TAG: location})


def recorded_context(context: dict) -> dict:
    """The run-context tags as the options allow: without ``autolog.source.argv`` when
    ``autolog(log_argv=False)``."""
    from autolog.engine import get_options

    if not get_options().log_argv:
        context.pop("autolog.source.argv", None)
    return context


def _digest_of(diff: str) -> str:
    if _diff_digest and (_diff_digest[0][0] is diff or _diff_digest[0][0] == diff):
        return _diff_digest[0][1]
    import hashlib

    digest = hashlib.sha256(diff.encode("utf-8")).hexdigest()
    _diff_digest[:] = [(diff, digest)]
    return digest
