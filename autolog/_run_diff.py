"""What changed between two runs: params, data, code, environment and metrics.

Everything here reads recorded metadata only (tags, params, metrics, the model's
``autolog-model.json`` and the stored ``code/git_diff.patch``); it never loads a model and never
runs a program in a path taken from the store (a folder named by a run tag could be a crafted
repository whose configuration runs commands). The one optional side trip, asked for explicitly
(``autolog runs diff --git``), is ``git diff`` between the two recorded commits in the caller's
own checkout, with fetching, hooks, external diff/textconv drivers and global/system
configuration disabled; any failure there becomes a note, never an error.
"""

from __future__ import annotations

import math
import os
import re
import subprocess
from dataclasses import asdict, dataclass, field
from typing import Any

from autolog._core._constants import (
    MODEL_METADATA_FILE,
    TAG_AUTOLOG_VERSION,
    TAG_FRAMEWORK,
    TAG_FRAMEWORK_VERSION,
    TAG_GIT_BRANCH,
    TAG_GIT_COMMIT,
    TAG_GIT_DIFF_ARTIFACT,
    TAG_GIT_DIRTY,
    TAG_GIT_REPO,
    TAG_PYTHON_VERSION,
    TAG_SOURCE_NAME,
)
from autolog._core._json import MAX_METADATA_BYTES, loads_bounded, read_bounded
from autolog.tracking import Client

GIT_COMMIT_TAG = TAG_GIT_COMMIT
GIT_BRANCH_TAG = TAG_GIT_BRANCH
GIT_DIRTY_TAG = TAG_GIT_DIRTY
GIT_REPO_TAG = TAG_GIT_REPO
GIT_DIFF_ARTIFACT_TAG = TAG_GIT_DIFF_ARTIFACT
PYTHON_VERSION_TAG = TAG_PYTHON_VERSION

GIT_TIMEOUT_SECONDS = 10
MAX_GIT_DIFF_CHARS = 200_000
_COMMIT_RE = re.compile(r"^[0-9a-fA-F]{7,64}$")
_PATCH_LOCATION_RE = re.compile(r"^runs:/(?P<run_id>[0-9a-f]{32})/(?P<path>code/git_diff\.patch)$")
# Tags written by DatasetFingerprint.to_tags(): autolog.data[.<dataset>].<field>
_DATASET_TAG_RE = re.compile(
    r"^autolog\.data(?:\.(?P<name>.+?))?\.(?P<field>digest|shape|num_rows|columns|dtypes|source|name)$"
)
# Version tags such as autolog.python.version or autolog.sklearn.version.
_VERSION_TAG_RE = re.compile(r"^autolog\.(?:package\.|packages\.|version\.)?(?P<name>.+?)\.?version$")
_REQUIREMENT_RE = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._\-]*)\s*(?:\[[^\]]*\])?\s*==\s*([^;\s]+)")


@dataclass
class ValueChange:
    """A key whose value differs between run A and run B."""

    key: str
    a: Any
    b: Any


@dataclass
class ParamDiff:
    """Params only in B (``added``), only in A (``removed``), in both but different (``changed``)."""

    added: dict = field(default_factory=dict)
    removed: dict = field(default_factory=dict)
    changed: list = field(default_factory=list)
    unchanged: int = 0

    @property
    def has_changes(self) -> bool:
        return bool(self.added or self.removed or self.changed)


@dataclass
class DatasetDiff:
    """One dataset's fingerprint in both runs; ``same_data`` is ``None`` when a digest is missing."""

    name: str
    digest_a: str | None = None
    digest_b: str | None = None
    shape_a: str | None = None
    shape_b: str | None = None
    columns_added: list = field(default_factory=list)
    columns_removed: list = field(default_factory=list)
    source_a: str | None = None
    source_b: str | None = None

    @property
    def same_data(self) -> bool | None:
        if not self.digest_a or not self.digest_b:
            return None
        return self.digest_a == self.digest_b


@dataclass
class CodeDiff:
    """The recorded code version of both runs and, when available, the git diff between them."""

    commit_a: str | None = None
    commit_b: str | None = None
    branch_a: str | None = None
    branch_b: str | None = None
    dirty_a: bool | None = None
    dirty_b: bool | None = None
    repo: str | None = None
    source_a: str | None = None
    source_b: str | None = None
    git_diff: str | None = None
    git_diff_stat: str | None = None
    patch_a: str | None = None
    patch_b: str | None = None
    note: str | None = None

    @property
    def same_commit(self) -> bool | None:
        if not self.commit_a or not self.commit_b:
            return None
        return self.commit_a == self.commit_b


@dataclass
class EnvironmentDiff:
    """Python and package versions that differ (``changed``), and how many are the same."""

    python_a: str | None = None
    python_b: str | None = None
    changed: list = field(default_factory=list)
    unchanged: int = 0


@dataclass
class MetricDelta:
    """A metric in either run: both values, ``delta = b - a`` and ``relative = delta / |a|``."""

    key: str
    a: float | None
    b: float | None
    delta: float | None = None
    relative: float | None = None


@dataclass
class RunDiff:
    """Everything that differs between run A (the reference) and run B.

    Plain data: :meth:`to_dict` gives a JSON-ready dictionary (NaN and infinities become strings).
    """

    run_a: str
    run_b: str
    name_a: str | None
    name_b: str | None
    params: ParamDiff
    data: list
    code: CodeDiff
    environment: EnvironmentDiff
    metrics: list

    def to_dict(self) -> dict:
        """Return the diff as JSON-serializable nested dictionaries and lists."""
        result = _json_safe(asdict(self))
        result["params"]["changed"] = [_json_safe(asdict(c)) for c in self.params.changed]
        result["code"]["same_commit"] = self.code.same_commit
        for entry, dataset in zip(result["data"], self.data):
            entry["same_data"] = dataset.same_data
        return result


def diff_runs(run_a, run_b, *, client=None, git_checkout: str | None = None) -> RunDiff:
    """Compare two runs: params, data fingerprints, code, environment and metrics.

    Parameters
    ----------
    run_a, run_b : str or autolog._core._entities.Run
        Run ids or run objects; A is the reference ("before"), B the one compared to it.
    client : autolog.Client, optional
        Where to read the runs and their model metadata; defaults to ``autolog.Client()``.
    git_checkout : str, optional
        A git checkout of YOUR OWN (``autolog runs diff --git`` passes the current directory) in
        which to run ``git diff`` between the two recorded commits, hardened: no fetching (also
        no lazy fetch of a partial clone), no hooks, no external diff or textconv programs, no
        global or system configuration. Default: git is not run; the code section shows the
        recorded commits and each run's stored uncommitted-changes patch. The repository named
        in the ``autolog.git.repo`` tag is never used.

    Returns
    -------
    RunDiff
        Plain data describing the differences; ``to_dict()`` for JSON.

    Raises
    ------
    autolog.exceptions.NotFoundError
        If either run does not exist.
    """
    if client is None:
        client = Client()
    a = _as_run(run_a, client)
    b = _as_run(run_b, client)
    return RunDiff(
        run_a=a.info.run_id,
        run_b=b.info.run_id,
        name_a=a.info.run_name,
        name_b=b.info.run_name,
        params=diff_params(a.data.params, b.data.params),
        data=diff_datasets(a.data.tags, b.data.tags),
        code=diff_code(a, b, client=client, git_checkout=git_checkout),
        environment=diff_environment(_versions(a, client), _versions(b, client)),
        metrics=metric_deltas(a.data.metrics, b.data.metrics),
    )


def _as_run(run, client):
    return client.get_run(run) if isinstance(run, str) else run


def diff_params(a: dict, b: dict) -> ParamDiff:
    """Split two param dictionaries into added, removed, changed and unchanged keys."""
    result = ParamDiff(
        added={k: b[k] for k in sorted(b.keys() - a.keys())},
        removed={k: a[k] for k in sorted(a.keys() - b.keys())},
    )
    for key in sorted(a.keys() & b.keys()):
        if a[key] == b[key]:
            result.unchanged += 1
        else:
            result.changed.append(ValueChange(key, a[key], b[key]))
    return result


def metric_deltas(a: dict, b: dict) -> list:
    """Return one :class:`MetricDelta` per metric key present in either run, sorted by key."""
    return [_metric_delta(k, a.get(k), b.get(k)) for k in sorted(a.keys() | b.keys())]


def _metric_delta(key: str, a: float | None, b: float | None) -> MetricDelta:
    if a is None or b is None:
        return MetricDelta(key, a, b)
    delta = b - a
    relative = delta / abs(a) if a != 0 and math.isfinite(a) else None
    return MetricDelta(key, a, b, delta, relative)


# --------------------------------------------------------------------------- data fingerprints


def dataset_fingerprints(tags: dict) -> dict:
    """Group fingerprint tags by dataset name: ``{name: {field: value}}``."""
    datasets: dict = {}
    for key, value in tags.items():
        match = _DATASET_TAG_RE.match(key)
        if match:
            datasets.setdefault(match["name"] or "data", {})[match["field"]] = value
    return datasets


def diff_datasets(tags_a: dict, tags_b: dict) -> list:
    """Compare the data fingerprints recorded in two runs' tags, one entry per dataset name."""
    fa, fb = dataset_fingerprints(tags_a), dataset_fingerprints(tags_b)
    return [_diff_dataset(name, fa.get(name, {}), fb.get(name, {})) for name in sorted(fa.keys() | fb.keys())]


def _diff_dataset(name: str, a: dict, b: dict) -> DatasetDiff:
    cols_a, cols_b = _columns(a), _columns(b)
    return DatasetDiff(
        name=name,
        digest_a=a.get("digest"),
        digest_b=b.get("digest"),
        shape_a=a.get("shape"),
        shape_b=b.get("shape"),
        columns_added=[c for c in cols_b if c not in set(cols_a)],
        columns_removed=[c for c in cols_a if c not in set(cols_b)],
        source_a=a.get("source"),
        source_b=b.get("source"),
    )


def _columns(fingerprint: dict) -> list:
    raw = fingerprint.get("columns") or fingerprint.get("feature_names")
    if not raw:
        return []
    try:
        parsed = loads_bounded(raw, what="the columns tag", max_depth=2)
    except (TypeError, ValueError):  # InvalidInputError is a ValueError too
        parsed = [c.strip() for c in str(raw).split(",")]
    return [str(c) for c in parsed] if isinstance(parsed, list) else []


# --------------------------------------------------------------------------- code


def diff_code(a, b, *, client=None, git_checkout: str | None = None) -> CodeDiff:
    """Compare the recorded git state of two runs: commits, branches, stored patches.

    ``git diff`` between the commits is added only when ``git_checkout`` names a checkout.
    """
    ta, tb = a.data.tags, b.data.tags
    code = CodeDiff(
        commit_a=ta.get(TAG_GIT_COMMIT),
        commit_b=tb.get(TAG_GIT_COMMIT),
        branch_a=ta.get(TAG_GIT_BRANCH),
        branch_b=tb.get(TAG_GIT_BRANCH),
        dirty_a=_as_bool(ta.get(TAG_GIT_DIRTY)),
        dirty_b=_as_bool(tb.get(TAG_GIT_DIRTY)),
        repo=tb.get(TAG_GIT_REPO) or ta.get(TAG_GIT_REPO),
        source_a=ta.get(TAG_SOURCE_NAME) or a.info.source,
        source_b=tb.get(TAG_SOURCE_NAME) or b.info.source,
    )
    if client is not None:
        code.patch_a = _recorded_patch(client, ta)
        code.patch_b = _recorded_patch(client, tb)
    _add_git_diff(code, git_checkout)
    return code


def _recorded_patch(client, tags: dict) -> str | None:
    """The uncommitted changes a run recorded (``code/git_diff.patch``), capped; None if none."""
    match = _PATCH_LOCATION_RE.match(tags.get(GIT_DIFF_ARTIFACT_TAG) or "")
    if not match:
        return None
    import tempfile

    try:
        with tempfile.TemporaryDirectory() as tmp:
            local = client.download_artifacts(match["run_id"], match["path"], tmp)
            with open(local, encoding="utf-8", errors="replace") as handle:
                text = handle.read(MAX_GIT_DIFF_CHARS + 1)
    except Exception:  # a purged run or a missing file: the diff goes on without the patch
        return None
    return text[:MAX_GIT_DIFF_CHARS]


def _as_bool(value: str | None) -> bool | None:
    if value is None:
        return None
    return str(value).strip().lower() in ("1", "true", "yes", "dirty")


def _add_git_diff(code: CodeDiff, git_checkout: str | None) -> None:
    if code.same_commit is None:
        code.note = "no git commit recorded in one or both runs"
        return
    if code.same_commit:
        code.note = "same commit" + (
            " (uncommitted changes in a run)" if code.dirty_a or code.dirty_b else ""
        )
        return
    if (
        code.commit_a is None
        or code.commit_b is None
        or not (_COMMIT_RE.match(code.commit_a) and _COMMIT_RE.match(code.commit_b))
    ):
        code.note = "recorded commits are not git object ids"
        return
    if git_checkout is None:
        code.note = (
            "different commits; to see the code changes run `autolog runs diff --git` in your "
            "checkout of the repository"
        )
        return
    repo = git_checkout
    try:
        code.git_diff_stat = _git(repo, "diff", "--stat", code.commit_a, code.commit_b)
        diff = _git(repo, "diff", code.commit_a, code.commit_b)
    except (OSError, subprocess.SubprocessError) as exc:
        code.note = f"git diff unavailable: {_short_error(exc)}"
        return
    if len(diff) > MAX_GIT_DIFF_CHARS:
        diff = diff[:MAX_GIT_DIFF_CHARS]
        code.note = f"git diff truncated to {MAX_GIT_DIFF_CHARS} characters"
    code.git_diff = diff


# Settings that make git run nothing but itself: no transport at all (so no lazy fetch of a
# partial clone through a promisor remote and its core.sshCommand), no hooks, no fsmonitor
# program, no pager; external diff and textconv drivers are refused by the diff flags.
_HARDENING = (
    "-c",
    "protocol.allow=never",
    "-c",
    "core.sshCommand=false",
    "-c",
    "core.hooksPath=" + os.devnull,
    "-c",
    "core.fsmonitor=false",
    "-c",
    "core.pager=cat",
    "-c",
    "diff.external=",
)


def _git_environment() -> dict:
    env = {key: value for key, value in os.environ.items() if not key.startswith("GIT_")}
    env.update(
        GIT_TERMINAL_PROMPT="0",
        GIT_OPTIONAL_LOCKS="0",
        LC_ALL="C",
        GIT_NO_LAZY_FETCH="1",
        GIT_CONFIG_NOSYSTEM="1",
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_ALLOW_PROTOCOL="none",
    )
    return env


def _git(repo: str, *args: str) -> str:
    """Run ``git diff`` in the caller's checkout ``repo``, hardened (see ``_HARDENING``)."""
    safe_flags = ["--no-ext-diff", "--no-textconv", "--no-color"] if args[0] == "diff" else []
    # The commits are hex object ids (checked by the caller), never options.
    command = ["git", *_HARDENING, "--no-pager", "-C", repo, args[0], *safe_flags, *args[1:]]
    env = _git_environment()
    completed = subprocess.run(
        command,
        capture_output=True,
        text=True,
        errors="replace",
        timeout=GIT_TIMEOUT_SECONDS,
        env=env,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    if completed.returncode != 0:
        raise subprocess.SubprocessError(completed.stderr.strip().splitlines()[-1:] or "git failed")
    return completed.stdout


def _short_error(exc: BaseException) -> str:
    if isinstance(exc, FileNotFoundError):
        return "git is not installed"
    if isinstance(exc, subprocess.TimeoutExpired):
        return f"git took longer than {GIT_TIMEOUT_SECONDS} s"
    message = exc.args[0] if exc.args else str(exc)
    if isinstance(message, list):
        message = message[0] if message else "git failed"
    return str(message)


# --------------------------------------------------------------------------- environment


def diff_environment(a: dict, b: dict) -> EnvironmentDiff:
    """Compare ``{package: version}`` maps; ``python`` is reported on its own."""
    env = EnvironmentDiff(python_a=a.get("python"), python_b=b.get("python"))
    for name in sorted((a.keys() | b.keys()) - {"python"}):
        if a.get(name) == b.get(name):
            env.unchanged += 1
        else:
            env.changed.append(ValueChange(name, a.get(name), b.get(name)))
    return env


def run_versions(tags: dict, requirements=()) -> dict:
    """Return ``{package: version}`` from version tags and ``name==version`` requirement lines."""
    versions = {}
    for line in requirements:
        match = _REQUIREMENT_RE.match(str(line))
        if match:
            versions[_normalize_package(match[1])] = match[2]
    for key, value in tags.items():
        name = _version_tag_package(key, tags)
        if name and value:
            versions[_normalize_package(name)] = value
    return versions


def _version_tag_package(key: str, tags: dict) -> str | None:
    """The package a version tag describes, e.g. ``autolog.framework.version`` -> its framework."""
    if key == TAG_AUTOLOG_VERSION:
        return "autolog"
    if key == TAG_FRAMEWORK_VERSION:
        return tags.get(TAG_FRAMEWORK) or "framework"
    match = _VERSION_TAG_RE.match(key)
    return match["name"] if match else None


def _normalize_package(name: str) -> str:
    name = re.sub(r"[-_.]+", "-", name).lower()
    return {"sklearn": "scikit-learn"}.get(name, name)


def _versions(run, client) -> dict:
    return run_versions(run.data.tags, _model_requirements(run, client))


def _model_requirements(run, client) -> list:
    requirements: list = []
    for metadata in model_metadata(run.info.run_id, client).values():
        reqs = metadata.get("requirements") if isinstance(metadata, dict) else None
        if isinstance(reqs, list):
            requirements.extend(str(r) for r in reqs)
    return requirements


def model_metadata(run_id: str, client) -> dict:
    """Read every ``<dir>/autolog-model.json`` at the top of a run's artifacts (JSON only).

    Returns
    -------
    dict
        ``{artifact_dir: metadata}``; unreadable or malformed files are skipped.
    """
    found: dict[str, Any] = {}
    try:
        entries = client.list_artifacts(run_id)
    except Exception:  # artifacts are optional for a diff: a broken listing means "no model"
        return found
    for entry in entries:
        if entry.is_dir:
            metadata = _read_json_artifact(client, run_id, f"{entry.path}/{MODEL_METADATA_FILE}")
            if metadata is not None:
                found[entry.path] = metadata
    return found


def _read_json_artifact(client, run_id: str, path: str):
    import tempfile

    try:
        parent = path.rsplit("/", 1)[0]
        sizes = {entry.path: entry.file_size for entry in client.list_artifacts(run_id, parent)}
        if (sizes.get(path) or 0) > MAX_METADATA_BYTES:
            return None  # never copied: too large to be autolog's metadata
        with tempfile.TemporaryDirectory() as tmp:
            local = client.download_artifacts(run_id, path, tmp)
            return read_bounded(local, what=path, max_bytes=MAX_METADATA_BYTES)
    except Exception:  # missing, too large, too deep or bad JSON: not a model directory
        return None


def _json_safe(value):
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    return value
