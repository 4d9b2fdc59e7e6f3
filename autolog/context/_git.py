"""Git state of the code being run, read from the ``.git`` directory without a subprocess.

Commit and branch come straight from ``HEAD``, loose refs and ``packed-refs`` (a few file reads,
well under a millisecond). Only the dirty flag and the diff need the ``git`` binary; they are
computed lazily, once per process, and cached until :func:`refresh` is called.
"""

from __future__ import annotations

import os
import re
import threading
from dataclasses import dataclass

DIFF_SIZE_CAP = 5 * 1024 * 1024
# Tracked files whose changes are never put in the saved patch: names that usually hold secrets.
SECRET_FILE_PATTERNS = (
    ".env",
    ".env.*",
    "*.pem",
    "*.key",
    "*.p12",
    "*.pfx",
    "id_rsa*",
    "id_ed25519*",
    ".netrc",
    ".pgpass",
    "*secret*",
    "*credential*",
    "*password*",
    "*token*",
)
_SECRET_PATHSPECS = tuple(f":(exclude,glob,icase)**/{pattern}" for pattern in SECRET_FILE_PATTERNS)
DIFF_TRUNCATION_MARKER = "\n...[autolog: diff truncated at {cap} bytes of {size}]\n"
_GIT_TIMEOUT_SECONDS = 30
_OBJECT_ID = re.compile(r"^[0-9a-f]{40}([0-9a-f]{24})?$")


@dataclass(frozen=True)
class GitLocation:
    """Where a working tree keeps its git data."""

    work_tree: str  # top-level directory of the checkout
    git_dir: str  # holds HEAD (for a linked worktree: .git/worktrees/<name>)
    common_dir: str  # holds refs/ and packed-refs (the main .git directory)


@dataclass(frozen=True)
class GitHead:
    """The checked-out commit and branch; ``branch`` is None for a detached HEAD."""

    commit: str | None
    branch: str | None


def find_git_location(start_dir: str) -> GitLocation | None:
    """Return the git location of the checkout containing ``start_dir``, or None."""
    directory = os.path.abspath(start_dir)
    while True:
        dot_git = os.path.join(directory, ".git")
        if os.path.isdir(dot_git):
            return _location_from_git_dir(directory, dot_git)
        if os.path.isfile(dot_git):
            git_dir = _read_gitdir_file(dot_git)
            return _location_from_git_dir(directory, git_dir) if git_dir else None
        parent = os.path.dirname(directory)
        if parent == directory:
            return None
        directory = parent


def _read_gitdir_file(dot_git_file: str) -> str | None:
    # Linked worktrees and submodules have a ".git" file: "gitdir: <path>", relative to it.
    content = _read_text(dot_git_file)
    if not content or not content.startswith("gitdir:"):
        return None
    git_dir = content[len("gitdir:") :].strip()
    return os.path.normpath(os.path.join(os.path.dirname(dot_git_file), git_dir))


def _location_from_git_dir(work_tree: str, git_dir: str) -> GitLocation:
    common = _read_text(os.path.join(git_dir, "commondir"))
    common_dir = os.path.normpath(os.path.join(git_dir, common.strip())) if common else git_dir
    return GitLocation(work_tree=work_tree, git_dir=git_dir, common_dir=common_dir)


def read_head(location: GitLocation) -> GitHead:
    """Resolve ``HEAD`` to a commit id and branch name (symbolic refs followed, packed refs read)."""
    head = (_read_text(os.path.join(location.git_dir, "HEAD")) or "").strip()
    if not head.startswith("ref:"):
        return GitHead(commit=head if _OBJECT_ID.match(head) else None, branch=None)
    ref = head[len("ref:") :].strip()
    branch = ref[len("refs/heads/") :] if ref.startswith("refs/heads/") else ref
    return GitHead(commit=_resolve_ref(location, ref), branch=branch)


def _resolve_ref(location: GitLocation, ref: str, depth: int = 0) -> str | None:
    if depth > 5:  # a symbolic-ref cycle; git itself gives up too
        return None
    for base in dict.fromkeys((location.git_dir, location.common_dir)):
        value = _read_text(os.path.join(base, *ref.split("/")))
        if value is None:
            continue
        value = value.strip()
        if value.startswith("ref:"):
            return _resolve_ref(location, value[len("ref:") :].strip(), depth + 1)
        return value if _OBJECT_ID.match(value) else None
    return _packed_refs(location.common_dir).get(ref)  # None: unborn branch (no commit yet)


def _packed_refs(common_dir: str) -> dict[str, str]:
    refs = {}
    for line in (_read_text(os.path.join(common_dir, "packed-refs")) or "").splitlines():
        if not line or line[0] in "#^":  # header, or the peeled commit of an annotated tag
            continue
        object_id, _, name = line.partition(" ")
        refs[name.strip()] = object_id
    return refs


def _read_text(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()
    except OSError:
        return None


def _run_git(work_tree: str, *args: str) -> str | None:
    # GIT_OPTIONAL_LOCKS=0: `git status` must not rewrite the user's index (or fight their
    # own git command for index.lock) just because we looked.
    import subprocess

    env = dict(os.environ, GIT_OPTIONAL_LOCKS="0", LC_ALL="C")
    try:
        completed = subprocess.run(
            ["git", "-C", work_tree, *args],
            capture_output=True,
            env=env,
            timeout=_GIT_TIMEOUT_SECONDS,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if completed.returncode != 0:
        return None
    return completed.stdout.decode("utf-8", errors="replace")


class GitWorktreeState:
    """Dirty flag and diff of one working tree, each computed at most once until ``refresh``."""

    def __init__(self, work_tree: str) -> None:
        self.work_tree = work_tree
        self._lock = threading.Lock()
        self._dirty: bool | None = None
        self._dirty_known = False
        self._diff: str | None = None
        self._diff_known = False

    def is_dirty(self) -> bool | None:
        """True when tracked files differ from HEAD (untracked files do not count); None if unknown."""
        with self._lock:
            if not self._dirty_known:
                status = _run_git(self.work_tree, "status", "--porcelain", "--untracked-files=no")
                self._dirty = None if status is None else bool(status.strip())
                self._dirty_known = True
            return self._dirty

    def diff(self) -> str | None:
        """``git diff HEAD`` when dirty (capped at :data:`DIFF_SIZE_CAP` with a marker), else None.

        Files matching :data:`SECRET_FILE_PATTERNS` (``.env``, ``*.pem``, ``*secret*`` ...) are left out.
        """
        if not self.is_dirty():
            return None
        with self._lock:
            if not self._diff_known:
                text = _run_git(
                    self.work_tree,
                    "diff",
                    "HEAD",
                    "--no-color",
                    "--no-ext-diff",
                    "--no-textconv",
                    "--",
                    ".",
                    *_SECRET_PATHSPECS,
                )
                self._diff = _cap_diff(text) if text else None
                self._diff_known = True
            return self._diff


def _cap_diff(text: str) -> str:
    encoded = text.encode("utf-8", errors="replace")
    if len(encoded) <= DIFF_SIZE_CAP:
        return text
    head = encoded[:DIFF_SIZE_CAP].decode("utf-8", errors="ignore")
    return head + DIFF_TRUNCATION_MARKER.format(cap=DIFF_SIZE_CAP, size=len(encoded))
