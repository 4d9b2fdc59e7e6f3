"""The run context: entry script, argv, user, host, Python version and git state, cached per process.

Nothing here changes during a process except the working tree, so everything is computed once. The
only slow part is ``git status`` (a subprocess, a few to tens of milliseconds): call
:func:`prefetch` early (``autolog()`` does) to compute it in a background thread so that the first
autologged fit does not pay for it.
"""

from __future__ import annotations

import json
import os
import sys
import threading

from autolog._core._constants import (
    TAG_GIT_BRANCH,
    TAG_GIT_COMMIT,
    TAG_GIT_DIRTY,
    TAG_GIT_REPO,
    TAG_HOST,
    TAG_PYTHON_VERSION,
    TAG_SOURCE_ARGV,
    TAG_SOURCE_NAME,
    TAG_USER,
)
from autolog._core._process import PROCESS, StatePart
from autolog._core._redact import redact_argv
from autolog.context._git import GitWorktreeState, find_git_location, read_head

INTERACTIVE_SOURCE = "<interactive>"


class _RunContextState(StatePart):
    """The cached run context, the entry script's worktree, and the prefetching thread."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.context: dict[str, str] | None = None
        self.worktree: GitWorktreeState | None = None
        self.worktree_known = False
        self.prefetch_thread: threading.Thread | None = None

    def reset(self) -> None:
        refresh()


_state = PROCESS.part("context.run_context", _RunContextState)


def collect_run_context() -> dict[str, str]:
    """Return the tags describing where and from what code this process runs.

    Returns
    -------
    dict of str to str
        ``autolog.source.name`` (entry script path, or ``"<interactive>"``),
        ``autolog.source.argv`` (JSON list, secret values replaced by ``***``), ``autolog.user``, ``autolog.host``,
        ``autolog.python.version`` and, inside a git checkout, ``autolog.git.repo`` (top-level
        directory), ``autolog.git.commit``, ``autolog.git.branch`` (absent for a detached HEAD)
        and ``autolog.git.dirty`` (``"true"``/``"false"``; tracked files only). A fresh copy of
        a per-process cache: call :func:`refresh` after changing the working tree.
    """
    thread = _state.prefetch_thread
    if thread is not None and thread is not threading.current_thread():
        thread.join()
    with _state.lock:
        if _state.context is None:
            _state.context = _compute_context()
        return dict(_state.context)


def git_diff() -> str | None:
    """Return ``git diff HEAD`` of the entry script's checkout when it is dirty, else None.

    Computed once per process (see :func:`refresh`); a diff over 5 MB is cut with a marker line.
    """
    worktree = _current_worktree()
    return worktree.diff() if worktree is not None else None


def refresh() -> None:
    """Forget the cached context, dirty flag and diff; the next call recomputes them."""
    thread = _state.prefetch_thread
    if thread is not None and thread is not threading.current_thread():
        thread.join()  # else a prefetch still running would store the state we are forgetting
    with _state.lock:
        _state.context = None
        _state.worktree = None
        _state.worktree_known = False


def prefetch() -> None:
    """Start computing the context (including ``git status``) in a background thread.

    Returns at once; :func:`collect_run_context` waits for that thread instead of starting the
    work again. Calling it when the context is already cached does nothing.
    """
    with _state.lock:
        if _state.context is not None or (
            _state.prefetch_thread is not None and _state.prefetch_thread.is_alive()
        ):
            return
        _state.prefetch_thread = threading.Thread(
            target=_prefetch_quietly, name="autolog-context-prefetch", daemon=True
        )
        _state.prefetch_thread.start()


def _prefetch_quietly() -> None:
    try:
        context = _compute_context()
    except Exception:  # the foreground call will recompute and report
        return
    with _state.lock:
        if _state.context is None:
            _state.context = context


def _compute_context() -> dict[str, str]:
    import platform
    import socket

    script = entry_script()
    context = {
        TAG_SOURCE_NAME: script or INTERACTIVE_SOURCE,
        TAG_SOURCE_ARGV: json.dumps(redact_argv(sys.argv)),
        TAG_USER: _user(),
        TAG_HOST: socket.gethostname(),
        TAG_PYTHON_VERSION: platform.python_version(),
    }
    context.update(_git_tags())
    return context


def _git_tags() -> dict[str, str]:
    worktree = _current_worktree()
    if worktree is None:
        return {}
    location = find_git_location(worktree.work_tree)
    tags = {TAG_GIT_REPO: worktree.work_tree}
    if location is not None:
        head = read_head(location)
        if head.commit:
            tags[TAG_GIT_COMMIT] = head.commit
        if head.branch:
            tags[TAG_GIT_BRANCH] = head.branch
    dirty = worktree.is_dirty()
    if dirty is not None:
        tags[TAG_GIT_DIRTY] = "true" if dirty else "false"
    return tags


def _current_worktree() -> GitWorktreeState | None:
    if not _state.worktree_known:
        location = find_git_location(_code_directory())
        _state.worktree = GitWorktreeState(location.work_tree) if location else None
        _state.worktree_known = True
    return _state.worktree


def _code_directory() -> str:
    """Where the user's code lives: the entry script's folder, or the working directory.

    A script inside an installed package (``python -m pytest``, a console script) is a tool, not
    the user's code: the project it works on is the working directory.
    """
    script = entry_script()
    if script is None or _is_installed_code(script):
        return os.getcwd()
    return os.path.dirname(script)


def _is_installed_code(path: str) -> bool:
    import sysconfig

    roots = {sysconfig.get_paths()[name] for name in ("purelib", "platlib", "stdlib")}
    return any(path.startswith(os.path.join(root, "")) for root in roots)


def entry_script() -> str | None:
    """Absolute path of the script this process runs, or None when interactive.

    Taken from ``__main__.__file__`` rather than ``argv[0]``: a notebook kernel's argv[0] is the
    kernel launcher inside the virtualenv, while its ``__main__`` has no file.
    """
    main_file = getattr(sys.modules.get("__main__"), "__file__", None)
    if not isinstance(main_file, str) or not os.path.isfile(main_file):
        return None
    return os.path.abspath(main_file)


def _user() -> str:
    import getpass

    try:
        return getpass.getuser()
    except Exception:  # no USER/LOGNAME and no passwd entry (some containers)
        return str(os.getuid()) if hasattr(os, "getuid") else "unknown"
