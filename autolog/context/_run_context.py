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
from typing import Optional

from autolog._core._redact import redact_argv
from autolog.context._git import GitWorktreeState, find_git_location, read_head

INTERACTIVE_SOURCE = "<interactive>"

_lock = threading.Lock()
_context: Optional[dict[str, str]] = None
_worktree: Optional[GitWorktreeState] = None
_worktree_known = False
_prefetch_thread: Optional[threading.Thread] = None


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
    global _context
    thread = _prefetch_thread
    if thread is not None and thread is not threading.current_thread():
        thread.join()
    with _lock:
        if _context is None:
            _context = _compute_context()
        return dict(_context)


def git_diff() -> Optional[str]:
    """Return ``git diff HEAD`` of the entry script's checkout when it is dirty, else None.

    Computed once per process (see :func:`refresh`); a diff over 5 MB is cut with a marker line.
    """
    worktree = _current_worktree()
    return worktree.diff() if worktree is not None else None


def refresh() -> None:
    """Forget the cached context, dirty flag and diff; the next call recomputes them."""
    global _context, _worktree, _worktree_known
    thread = _prefetch_thread
    if thread is not None and thread is not threading.current_thread():
        thread.join()  # else a prefetch still running would store the state we are forgetting
    with _lock:
        _context = None
        _worktree = None
        _worktree_known = False


def prefetch() -> None:
    """Start computing the context (including ``git status``) in a background thread.

    Returns at once; :func:`collect_run_context` waits for that thread instead of starting the
    work again. Calling it when the context is already cached does nothing.
    """
    global _prefetch_thread
    with _lock:
        if _context is not None or (_prefetch_thread is not None and _prefetch_thread.is_alive()):
            return
        _prefetch_thread = threading.Thread(
            target=_prefetch_quietly, name="autolog-context-prefetch", daemon=True
        )
        _prefetch_thread.start()


def _prefetch_quietly() -> None:
    global _context
    try:
        context = _compute_context()
    except Exception:  # the foreground call will recompute and report
        return
    with _lock:
        if _context is None:
            _context = context


def _compute_context() -> dict[str, str]:
    import platform  # noqa: PLC0415  (imported on first use: keeps `import autolog` fast)
    import socket  # noqa: PLC0415

    script = entry_script()
    context = {
        "autolog.source.name": script or INTERACTIVE_SOURCE,
        "autolog.source.argv": json.dumps(redact_argv(sys.argv)),
        "autolog.user": _user(),
        "autolog.host": socket.gethostname(),
        "autolog.python.version": platform.python_version(),
    }
    context.update(_git_tags())
    return context


def _git_tags() -> dict[str, str]:
    worktree = _current_worktree()
    if worktree is None:
        return {}
    location = find_git_location(worktree.work_tree)
    tags = {"autolog.git.repo": worktree.work_tree}
    if location is not None:
        head = read_head(location)
        if head.commit:
            tags["autolog.git.commit"] = head.commit
        if head.branch:
            tags["autolog.git.branch"] = head.branch
    dirty = worktree.is_dirty()
    if dirty is not None:
        tags["autolog.git.dirty"] = "true" if dirty else "false"
    return tags


def _current_worktree() -> Optional[GitWorktreeState]:
    global _worktree, _worktree_known
    if not _worktree_known:
        location = find_git_location(_code_directory())
        _worktree = GitWorktreeState(location.work_tree) if location else None
        _worktree_known = True
    return _worktree


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
    import sysconfig  # noqa: PLC0415

    roots = {sysconfig.get_paths()[name] for name in ("purelib", "platlib", "stdlib")}
    return any(path.startswith(os.path.join(root, "")) for root in roots)


def entry_script() -> Optional[str]:
    """Absolute path of the script this process runs, or None when interactive.

    Taken from ``__main__.__file__`` rather than ``argv[0]``: a notebook kernel's argv[0] is the
    kernel launcher inside the virtualenv, while its ``__main__`` has no file.
    """
    main_file = getattr(sys.modules.get("__main__"), "__file__", None)
    if not isinstance(main_file, str) or not os.path.isfile(main_file):
        return None
    return os.path.abspath(main_file)


def _user() -> str:
    import getpass  # noqa: PLC0415

    try:
        return getpass.getuser()
    except Exception:  # no USER/LOGNAME and no passwd entry (some containers)
        return str(os.getuid()) if hasattr(os, "getuid") else "unknown"
